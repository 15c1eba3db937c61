#include "store/audit_log_sql.h"

#include <algorithm>
#include <set>

namespace kangyun::store::audit_sql {
namespace {

// Rows per INSERT: many, to save round trips (SQLite binds its rows itself, one statement for
// all), well under the limit of bound values per statement.
size_t RowsPerInsert(SqlDialect) { return 500; }

std::string Bind(Sql* sql, SqlValue v, SqlDialect d) {
  sql->params.push_back(std::move(v));
  return (d == SqlDialect::kPostgres ? "$" : "?") + std::to_string(sql->params.size());
}

std::string InList(Sql* sql, const std::vector<int64_t>& ids, SqlDialect d) {
  std::string out;
  for (int64_t id : ids) out += (out.empty() ? "" : ", ") + Bind(sql, id, d);
  return out;
}

int64_t Int(const SqlValue& v) { return std::get<int64_t>(v); }
std::string Text(SqlValue& v) { return std::move(std::get<std::string>(v)); }

}  // namespace

const char* Schema(SqlDialect d) {
  if (d == SqlDialect::kPostgres)
    return R"sql(
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.agent (id BIGINT PRIMARY KEY, reference TEXT COLLATE "C" NOT NULL,
  subject TEXT COLLATE "C" NOT NULL, address TEXT COLLATE "C" NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS agent_reference ON audit.agent (reference);
CREATE INDEX IF NOT EXISTS agent_subject ON audit.agent (subject);
CREATE INDEX IF NOT EXISTS agent_address ON audit.agent (address);
CREATE TABLE IF NOT EXISTS audit.log (seq BIGINT PRIMARY KEY, recorded BIGINT NOT NULL,
  agent BIGINT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS log_agent ON audit.log (agent, seq);
CREATE INDEX IF NOT EXISTS log_recorded ON audit.log (recorded);
CREATE TABLE IF NOT EXISTS audit.patient (patient TEXT COLLATE "C" NOT NULL, seq BIGINT NOT NULL,
  PRIMARY KEY (patient, seq));
CREATE TABLE IF NOT EXISTS audit.seal (last_seq BIGINT PRIMARY KEY, first_seq BIGINT NOT NULL,
  hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit.head (one INTEGER PRIMARY KEY CHECK (one = 1),
  last_seq BIGINT NOT NULL, first_seq BIGINT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit.archive (last_seq BIGINT PRIMARY KEY, first_seq BIGINT NOT NULL,
  month TEXT NOT NULL, file TEXT NOT NULL, previous_hash TEXT NOT NULL, last_hash TEXT NOT NULL,
  sha256 TEXT NOT NULL);
)sql";
  return R"sql(
CREATE TABLE IF NOT EXISTS audit.agent (id INTEGER PRIMARY KEY, reference TEXT NOT NULL,
  subject TEXT NOT NULL, address TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit.agent_reference ON agent (reference);
CREATE INDEX IF NOT EXISTS audit.agent_subject ON agent (subject);
CREATE INDEX IF NOT EXISTS audit.agent_address ON agent (address);
CREATE TABLE IF NOT EXISTS audit.log (seq INTEGER PRIMARY KEY, recorded INTEGER NOT NULL,
  agent INTEGER NOT NULL, body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS audit.log_agent ON log (agent, seq);
CREATE INDEX IF NOT EXISTS audit.log_recorded ON log (recorded);
CREATE TABLE IF NOT EXISTS audit.patient (patient TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (patient, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit.seal (last_seq INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL,
  hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit.head (one INTEGER PRIMARY KEY CHECK (one = 1),
  last_seq INTEGER NOT NULL, first_seq INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit.archive (last_seq INTEGER PRIMARY KEY,
  first_seq INTEGER NOT NULL, month TEXT NOT NULL, file TEXT NOT NULL,
  previous_hash TEXT NOT NULL, last_hash TEXT NOT NULL, sha256 TEXT NOT NULL);
)sql";
}

Sql Rows(const AuditQuery& q, SqlDialect d) {
  Sql sql;
  // From a resident's entries when the query names one: they are few and in sequence order.
  std::string seq = q.patient.empty() ? "l.seq" : "p.seq";
  sql.text = "SELECT l.seq, l.recorded, l.agent, l.body FROM ";
  if (q.patient.empty()) {
    sql.text += "audit.log l WHERE 1 = 1";
  } else {
    sql.text += "audit.patient p JOIN audit.log l ON l.seq = p.seq WHERE p.patient = " +
                Bind(&sql, q.patient, d);
  }
  if (q.seq > 0) sql.text += " AND " + seq + " = " + Bind(&sql, q.seq, d);
  if (q.match_nothing) sql.text += " AND 1 = 0";
  if (!q.agents.empty()) sql.text += " AND l.agent IN (" + InList(&sql, q.agents, d) + ")";
  if (q.from > 0) sql.text += " AND l.recorded >= " + Bind(&sql, q.from, d);
  if (q.to > 0) sql.text += " AND l.recorded < " + Bind(&sql, q.to, d);
  if (q.after > 0)
    sql.text += " AND " + seq + (q.descending ? " < " : " > ") + Bind(&sql, q.after, d);
  sql.text +=
      " ORDER BY " + seq + (q.descending ? " DESC" : "") + " LIMIT " + Bind(&sql, q.limit, d);
  return sql;
}

std::vector<AuditRow> ToRows(Table t) {
  std::vector<AuditRow> out;
  out.reserve(t.size());
  for (auto& c : t) {
    AuditRow r;
    r.seq = Int(c[0]);
    r.recorded = Int(c[1]);
    r.agent = Int(c[2]);
    r.body = Text(c[3]);
    out.push_back(std::move(r));
  }
  return out;
}

Sql CompartmentPatients(const std::vector<int64_t>& rids, SqlDialect d) {
  Sql sql;
  sql.text = "SELECT patient_id FROM compartment WHERE rid IN (" + InList(&sql, rids, d) + ")";
  return sql;
}

Sql Agents(const std::vector<int64_t>& ids, const std::string& field, const std::string& value,
           SqlDialect d) {
  Sql sql;
  sql.text = "SELECT id, reference, subject, address, text FROM audit.agent WHERE ";
  if (field == "reference" || field == "subject" || field == "address") {
    sql.text += field + " = " + Bind(&sql, value, d);
  } else if (ids.empty()) {
    sql.text += "1 = 0";
  } else {
    sql.text += "id IN (" + InList(&sql, ids, d) + ")";
  }
  return sql;
}

std::vector<AuditAgent> ToAgents(Table t) {
  std::vector<AuditAgent> out;
  out.reserve(t.size());
  for (auto& c : t) {
    AuditAgent a;
    a.id = Int(c[0]);
    a.reference = Text(c[1]);
    a.subject = Text(c[2]);
    a.address = Text(c[3]);
    a.text = Text(c[4]);
    out.push_back(std::move(a));
  }
  return out;
}

Sql Seals(int64_t after_last, int64_t count, SqlDialect d) {
  Sql sql;
  sql.text = "SELECT first_seq, last_seq, hash FROM audit.seal WHERE last_seq > " +
             Bind(&sql, after_last, d) + " ORDER BY last_seq LIMIT " + Bind(&sql, count, d);
  return sql;
}

Sql Head(SqlDialect) {
  Sql sql;
  sql.text = "SELECT first_seq, last_seq, hash FROM audit.head";
  return sql;
}

std::optional<AuditSeal> ToHead(Table t) {
  std::vector<AuditSeal> seals = ToSeals(std::move(t));
  if (seals.empty()) return std::nullopt;
  return std::move(seals[0]);
}

std::vector<std::string> ToPatients(Table t) {
  std::vector<std::string> out;
  out.reserve(t.size());
  for (auto& c : t) out.push_back(Text(c[0]));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<AuditSeal> ToSeals(Table t) {
  std::vector<AuditSeal> out;
  out.reserve(t.size());
  for (auto& c : t) out.push_back({Int(c[0]), Int(c[1]), Text(c[2])});
  return out;
}

Sql Archives(SqlDialect) {
  Sql sql;
  sql.text =
      "SELECT first_seq, last_seq, month, file, previous_hash, last_hash, sha256 "
      "FROM audit.archive ORDER BY last_seq";
  return sql;
}

Sql ArchivedSeqs(const AuditQuery& q, int64_t archived_last, SqlDialect d) {
  Sql sql;
  sql.text = "SELECT seq FROM audit.patient WHERE patient = " + Bind(&sql, q.patient, d) +
             " AND seq <= " + Bind(&sql, archived_last, d);
  if (q.after > 0)
    sql.text += std::string(" AND seq ") + (q.descending ? "< " : "> ") + Bind(&sql, q.after, d);
  sql.text += std::string(" ORDER BY seq") + (q.descending ? " DESC" : "") + " LIMIT " +
              Bind(&sql, q.limit, d);
  return sql;
}

std::vector<int64_t> ToSeqs(Table t) {
  std::vector<int64_t> out;
  out.reserve(t.size());
  for (const auto& row : t) out.push_back(Int(row[0]));
  return out;
}

std::vector<AuditArchive> ToArchives(Table t) {
  std::vector<AuditArchive> out;
  for (auto& c : t)
    out.push_back(
        {Int(c[0]), Int(c[1]), Text(c[2]), Text(c[3]), Text(c[4]), Text(c[5]), Text(c[6])});
  return out;
}

std::vector<Sql> Archive(const AuditArchive& a, SqlDialect d) {
  std::vector<Sql> out;
  Sql record;
  record.text =
      "INSERT INTO audit.archive (first_seq, last_seq, month, file, previous_hash, last_hash, "
      "sha256) VALUES (" +
      Bind(&record, a.first, d) + ", " + Bind(&record, a.last, d) + ", " +
      Bind(&record, a.month, d) + ", " + Bind(&record, a.file, d) + ", " +
      Bind(&record, a.previous_hash, d) + ", " + Bind(&record, a.last_hash, d) + ", " +
      Bind(&record, a.sha256, d) + ")";
  out.push_back(std::move(record));
  // The residents each row names stay (audit.patient): a resident's archived rows are found
  // by them, and read from the file.
  Sql rows;
  rows.text = "DELETE FROM audit.log WHERE seq BETWEEN " + Bind(&rows, a.first, d) + " AND " +
              Bind(&rows, a.last, d);
  out.push_back(std::move(rows));
  Sql seals;
  seals.text = "DELETE FROM audit.seal WHERE last_seq BETWEEN " + Bind(&seals, a.first, d) +
               " AND " + Bind(&seals, a.last, d);
  out.push_back(std::move(seals));
  return out;
}

std::vector<Sql> Append(const std::vector<AuditAgent>& agents, const std::vector<AuditRow>& rows,
                        const AuditSeal& seal, SqlDialect d) {
  std::vector<Sql> out;
  for (const AuditAgent& a : agents) {
    Sql sql;
    sql.text = "INSERT INTO audit.agent (id, reference, subject, address, text) VALUES (" +
               Bind(&sql, a.id, d) + ", " + Bind(&sql, a.reference, d) + ", " +
               Bind(&sql, a.subject, d) + ", " + Bind(&sql, a.address, d) + ", " +
               Bind(&sql, a.text, d) + ") ON CONFLICT (id) DO NOTHING";
    out.push_back(std::move(sql));
  }
  for (size_t start = 0; start < rows.size(); start += RowsPerInsert(d)) {
    size_t end = std::min(rows.size(), start + RowsPerInsert(d));
    Sql log;
    log.text = "INSERT INTO audit.log (seq, recorded, agent, body) VALUES ";
    for (size_t i = start; i < end; ++i) {
      const AuditRow& r = rows[i];
      log.text += std::string(i == start ? "" : ", ") + "(" + Bind(&log, r.seq, d) + ", " +
                  Bind(&log, r.recorded, d) + ", " + Bind(&log, r.agent, d) + ", " +
                  Bind(&log, r.body, d) + ")";
    }
    out.push_back(std::move(log));
  }
  Sql patients;
  size_t pairs = 0;
  auto flush = [&] {
    if (pairs > 0) out.push_back(std::move(patients));
    patients = Sql();
    pairs = 0;
  };
  for (const AuditRow& r : rows) {
    for (const std::string& p : std::set<std::string>(r.patients.begin(), r.patients.end())) {
      if (pairs == RowsPerInsert(d)) flush();
      patients.text += pairs == 0 ? "INSERT INTO audit.patient (patient, seq) VALUES " : ", ";
      patients.text += "(" + Bind(&patients, p, d) + ", " + Bind(&patients, r.seq, d) + ")";
      ++pairs;
    }
  }
  flush();
  Sql s;
  s.text = "INSERT INTO audit.seal (first_seq, last_seq, hash) VALUES (" + Bind(&s, seal.first, d) +
           ", " + Bind(&s, seal.last, d) + ", " + Bind(&s, seal.hash, d) + ")";
  out.push_back(std::move(s));
  Sql head;
  head.text = "INSERT INTO audit.head (one, first_seq, last_seq, hash) VALUES (1, " +
              Bind(&head, seal.first, d) + ", " + Bind(&head, seal.last, d) + ", " +
              Bind(&head, seal.hash, d) +
              ") ON CONFLICT (one) DO UPDATE SET first_seq = excluded.first_seq, "
              "last_seq = excluded.last_seq, hash = excluded.hash";
  out.push_back(std::move(head));
  return out;
}

}  // namespace kangyun::store::audit_sql
