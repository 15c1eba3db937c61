#include "store/job_sql.h"

namespace kangyun::store::job_sql {
namespace {

constexpr const char* kColumns =
    "id, kind, status, due, owner, lease_until, attempts, params, progress, error, created, "
    "updated";

// Statements built with the dialect's numbered placeholders.
struct Builder {
  explicit Builder(SqlDialect d) : sql_builder(d) {}
  std::string Bind(SqlValue v) { return sql_builder.Bind(&sql, std::move(v)); }
  SqlBuilder sql_builder;
  Sql sql;
};

}  // namespace

const char* Schema(SqlDialect d) {
  // Due jobs are found by the partial index; ended ones stay for their status until removed.
  if (d == SqlDialect::kPostgres)
    return "CREATE TABLE IF NOT EXISTS scheduled_jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
           "status TEXT NOT NULL, due BIGINT NOT NULL, owner TEXT NOT NULL, "
           "lease_until BIGINT NOT NULL, attempts BIGINT NOT NULL, params TEXT NOT NULL, "
           "progress TEXT NOT NULL, error TEXT NOT NULL, created BIGINT NOT NULL, "
           "updated BIGINT NOT NULL);"
           "CREATE INDEX IF NOT EXISTS scheduled_jobs_due ON scheduled_jobs (due) "
           "WHERE status IN ('queued', 'running');"
           "CREATE INDEX IF NOT EXISTS scheduled_jobs_kind ON scheduled_jobs (kind, created);";
  return "CREATE TABLE IF NOT EXISTS scheduled_jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
         "status TEXT NOT NULL, due INTEGER NOT NULL, owner TEXT NOT NULL, "
         "lease_until INTEGER NOT NULL, attempts INTEGER NOT NULL, params TEXT NOT NULL, "
         "progress TEXT NOT NULL, error TEXT NOT NULL, created INTEGER NOT NULL, "
         "updated INTEGER NOT NULL) WITHOUT ROWID;"
         "CREATE INDEX IF NOT EXISTS scheduled_jobs_due ON scheduled_jobs (due) "
         "WHERE status IN ('queued', 'running');"
         "CREATE INDEX IF NOT EXISTS scheduled_jobs_kind ON scheduled_jobs (kind, created);";
}

Sql Insert(const ScheduledJob& job, SqlDialect d) {
  Builder b(d);
  std::string values;
  for (SqlValue v : {SqlValue(job.id), SqlValue(job.kind), SqlValue(job.status), SqlValue(job.due),
                     SqlValue(job.owner), SqlValue(job.lease_until), SqlValue(job.attempts),
                     SqlValue(job.params), SqlValue(job.progress), SqlValue(job.error),
                     SqlValue(job.created), SqlValue(job.updated)})
    values += (values.empty() ? "" : ", ") + b.Bind(std::move(v));
  b.sql.text = std::string("INSERT INTO scheduled_jobs (") + kColumns + ") VALUES (" + values +
               ") ON CONFLICT (id) DO NOTHING RETURNING id";
  return b.sql;
}

Sql Claim(const std::vector<std::string>& kinds, const std::string& owner, int64_t now,
          int64_t lease_until, SqlDialect d) {
  Builder b(d);
  std::string at = b.Bind(now);
  std::string set = "status = 'running', owner = " + b.Bind(owner) +
                    ", lease_until = " + b.Bind(lease_until) +
                    ", attempts = attempts + 1, updated = " + at;
  std::string due =
      "SELECT id FROM scheduled_jobs WHERE status IN ('queued', 'running') AND due <= " + at +
      " AND lease_until < " + at + " AND " +
      b.sql_builder.TextListMembership("kind", kinds, &b.sql) + " ORDER BY due LIMIT 1";
  // Across processes on PostgreSQL, a row another claim has locked is passed over, not waited
  // for; SQLite has one writer.
  if (d == SqlDialect::kPostgres) due += " FOR UPDATE SKIP LOCKED";
  b.sql.text =
      "UPDATE scheduled_jobs SET " + set + " WHERE id = (" + due + ") RETURNING " + kColumns;
  return b.sql;
}

Sql Update(const ScheduledJob& job, SqlDialect d) {
  Builder b(d);
  b.sql.text = "UPDATE scheduled_jobs SET status = " + b.Bind(job.status) +
               ", due = " + b.Bind(job.due) + ", lease_until = " + b.Bind(job.lease_until) +
               ", progress = " + b.Bind(job.progress) + ", error = " + b.Bind(job.error) +
               ", updated = " + b.Bind(job.updated) + " WHERE id = " + b.Bind(job.id) +
               " AND owner = " + b.Bind(job.owner) + " AND status = 'running' RETURNING id";
  return b.sql;
}

Sql Cancel(const std::string& id, int64_t now, SqlDialect d) {
  Builder b(d);
  b.sql.text = "UPDATE scheduled_jobs SET status = 'cancelled', updated = " + b.Bind(now) +
               " WHERE id = " + b.Bind(id) + " AND status IN ('queued', 'running') RETURNING id";
  return b.sql;
}

Sql Get(const std::string& id, SqlDialect d) {
  Builder b(d);
  b.sql.text = std::string("SELECT ") + kColumns + " FROM scheduled_jobs WHERE id = " + b.Bind(id);
  return b.sql;
}

Sql List(const std::string& kind, int64_t limit, SqlDialect d) {
  Builder b(d);
  std::string where = kind.empty() ? "" : " WHERE kind = " + b.Bind(kind);
  b.sql.text = std::string("SELECT ") + kColumns + " FROM scheduled_jobs" + where +
               " ORDER BY created DESC, id LIMIT " + b.Bind(limit);
  return b.sql;
}

std::optional<ScheduledJob> ToJob(audit_sql::Table t) {
  std::vector<ScheduledJob> jobs = ToJobs(std::move(t));
  if (jobs.empty()) return std::nullopt;
  return std::move(jobs.front());
}

Status Inserted(size_t rows, const ScheduledJob& job) {
  if (rows == 0) return Status(StatusCode::kConflict, "job " + job.id + " exists already");
  return Status::Ok();
}

std::vector<ScheduledJob> ToJobs(audit_sql::Table t) {
  std::vector<ScheduledJob> out;
  out.reserve(t.size());
  for (auto& row : t) {
    auto text = [&](int i) { return std::get<std::string>(std::move(row[i])); };
    auto number = [&](int i) { return std::get<int64_t>(row[i]); };
    ScheduledJob j;
    j.id = text(0);
    j.kind = text(1);
    j.status = text(2);
    j.due = number(3);
    j.owner = text(4);
    j.lease_until = number(5);
    j.attempts = number(6);
    j.params = text(7);
    j.progress = text(8);
    j.error = text(9);
    j.created = number(10);
    j.updated = number(11);
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace kangyun::store::job_sql
