// SqliteStore: the embedded store. WAL journal, one serialised writer, a pool of readers that
// each see a consistent snapshot. synchronous=FULL so that an acknowledged commit survives a
// crash of the process or the machine.
#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <unordered_map>

#include "base/log.h"
#include "store/audit_log_sql.h"
#include "store/body_codec.h"
#include "store/index_table_rows.h"
#include "store/job_sql.h"
#include "store/param_key.h"
#include "store/result_set_cache.h"
#include "store/sql_builder.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_backup.h"

namespace kangyun::store {
namespace {

Status SqliteError(sqlite3* db, const std::string& what) {
  int code = sqlite3_errcode(db);
  std::string msg = what + ": " + sqlite3_errmsg(db);
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    return {StatusCode::kUnavailable, "The store is busy; retry the request"};
  if (code == SQLITE_FULL) return {StatusCode::kUnavailable, "The store is out of space"};
  return Internal(msg);
}

class Connection {
 public:
  ~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    if (db_) sqlite3_close(db_);
  }

  // Page cache sizes: the writer's holds the B-tree pages that inserts touch; readers keep a
  // small one each, because there are as many as request threads and the operating system's
  // file cache, shared by all of them, holds the rest.
  static constexpr int kWriterCacheKiB = 65536, kReaderCacheKiB = 8192;

  // `audit_path`, when given, is attached as the schema `audit` (store/audit_log_sql.h).
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, int cache_kib,
                                                  const std::string& audit_path = "") {
    auto c = std::unique_ptr<Connection>(new Connection());
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &c->db_, flags, nullptr) != SQLITE_OK) {
      std::string msg = c->db_ ? sqlite3_errmsg(c->db_) : "out of memory";
      return Internal("cannot open SQLite database " + path + ": " + msg);
    }
    sqlite3_busy_timeout(c->db_, 30000);
    KY_RETURN_IF_ERROR(c->Exec("PRAGMA journal_mode=WAL"));
    KY_RETURN_IF_ERROR(c->Exec("PRAGMA synchronous=FULL"));
    KY_RETURN_IF_ERROR(c->Exec("PRAGMA foreign_keys=OFF"));
    KY_RETURN_IF_ERROR(c->Exec("PRAGMA cache_size=-" + std::to_string(cache_kib)));
    // Savepoint journals of group-committed writes and sort spills stay in memory.
    KY_RETURN_IF_ERROR(c->Exec("PRAGMA temp_store=MEMORY"));
    if (!audit_path.empty()) {
      std::string quoted;
      for (char ch : audit_path) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
      KY_RETURN_IF_ERROR(c->Exec("ATTACH DATABASE '" + quoted + "' AS audit"));
      KY_RETURN_IF_ERROR(c->Exec("PRAGMA audit.journal_mode=WAL"));
      KY_RETURN_IF_ERROR(c->Exec("PRAGMA audit.synchronous=FULL"));
      KY_RETURN_IF_ERROR(c->Exec("PRAGMA audit.cache_size=-" + std::to_string(cache_kib / 4)));
    }
    return c;
  }

  Status Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      Status s = SqliteError(db_, "SQL failed");
      sqlite3_free(err);
      return s;
    }
    return Status::Ok();
  }

  // A cached prepared statement, reset and with the given values bound.
  Result<sqlite3_stmt*> Prepare(const std::string& sql, const std::vector<SqlValue>& params = {}) {
    sqlite3_stmt* stmt;
    auto it = cache_.find(sql);
    if (it != cache_.end()) {
      stmt = it->second;
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    } else {
      if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) !=
          SQLITE_OK)
        return SqliteError(db_, "prepare failed");
      if (cache_.size() > 512) {
        for (auto& [k, s] : cache_) sqlite3_finalize(s);
        cache_.clear();
      }
      cache_.emplace(sql, stmt);
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      const SqlValue& v = params[i];
      if (auto* n = std::get_if<int64_t>(&v)) {
        sqlite3_bind_int64(stmt, idx, *n);
      } else if (auto* d = std::get_if<double>(&v)) {
        sqlite3_bind_double(stmt, idx, *d);
      } else {
        const std::string& s = std::get<std::string>(v);
        sqlite3_bind_text(stmt, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
    }
    return stmt;
  }

  sqlite3* db() { return db_; }

 private:
  Connection() = default;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

std::string_view ValueText(sqlite3_value* v) {
  const unsigned char* t = sqlite3_value_text(v);
  return std::string_view(t ? reinterpret_cast<const char*>(t) : "",
                          static_cast<size_t>(sqlite3_value_bytes(v)));
}

// kangyun_param_key(type, param) and kangyun_system_key(uri) in SQL, for the migrations that
// introduced the keys.
void ParamKeyFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  sqlite3_result_int64(ctx, ParamKey(ValueText(argv[0]), ValueText(argv[1])));
}
void SystemKeyFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  sqlite3_result_int64(ctx, SystemKey(ValueText(argv[0])));
}

std::string ColumnText(sqlite3_stmt* s, int i) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
  int n = sqlite3_column_bytes(s, i);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

// Columns: rid, type, id, version, last_updated, deleted, method, body
StoredResource ReadStored(sqlite3_stmt* s) {
  StoredResource r;
  r.rid = sqlite3_column_int64(s, 0);
  r.type = ColumnText(s, 1);
  r.id = ColumnText(s, 2);
  r.version = sqlite3_column_int64(s, 3);
  r.last_updated = sqlite3_column_int64(s, 4);
  r.deleted = sqlite3_column_int64(s, 5) != 0;
  r.method = ColumnText(s, 6);
  r.body = ColumnText(s, 7);
  return r;
}

// Runs sql, reading each row's columns as `kinds` says ('i' integer, 's' text).
Result<audit_sql::Table> RunTable(Connection* conn, const Sql& sql, std::string_view kinds) {
  KY_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn->Prepare(sql.text, sql.params));
  audit_sql::Table out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    auto& row = out.emplace_back();
    for (size_t i = 0; i < kinds.size(); ++i) {
      int col = static_cast<int>(i);
      if (kinds[i] == 'i')
        row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(s, col)));
      else
        row.emplace_back(ColumnText(s, col));
    }
  }
  if (rc != SQLITE_DONE) return SqliteError(conn->db(), "reading the audit log");
  return out;
}

// An append to the audit log: on the audit file's own connection, under the store's audit
// lock, so that it never waits for the data's writer.
class SqliteAuditAppend : public AuditAppend {
 public:
  SqliteAuditAppend(Connection* conn, std::unique_lock<std::mutex> lock)
      : conn_(conn), lock_(std::move(lock)) {}
  ~SqliteAuditAppend() override {
    if (!done_) (void)conn_->Exec("ROLLBACK");
  }
  Status Begin() { return conn_->Exec("BEGIN IMMEDIATE"); }

  Result<std::optional<AuditSeal>> Head() override {
    KY_ASSIGN_OR_RETURN(
        auto t, RunTable(conn_, audit_sql::Head(SqlDialect::kSqlite), audit_sql::kSealKinds));
    return audit_sql::ToHead(std::move(t));
  }
  Result<std::vector<AuditAgent>> Agents(const std::vector<int64_t>& ids) override {
    KY_ASSIGN_OR_RETURN(auto t, RunTable(conn_, audit_sql::Agents(ids, "", "", SqlDialect::kSqlite),
                                         audit_sql::kAgentKinds));
    return audit_sql::ToAgents(std::move(t));
  }
  Status Append(const std::vector<AuditAgent>& agents, const std::vector<AuditRow>& rows,
                const AuditSeal& seal) override {
    // Rows go through two cached statements, their text bound in place: a batch holds
    // thousands of them.
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * log,
                        conn_->Prepare("INSERT INTO audit.log (seq, recorded, agent, body) "
                                       "VALUES (?1, ?2, ?3, ?4)"));
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * patient,
                        conn_->Prepare("INSERT OR IGNORE INTO audit.patient (patient, seq) "
                                       "VALUES (?1, ?2)"));
    auto step = [&](sqlite3_stmt* s) {
      int rc = sqlite3_step(s);
      sqlite3_reset(s);
      return rc == SQLITE_DONE ? Status::Ok()
                               : SqliteError(conn_->db(), "appending to the audit log");
    };
    for (const AuditRow& r : rows) {
      sqlite3_bind_int64(log, 1, r.seq);
      sqlite3_bind_int64(log, 2, r.recorded);
      sqlite3_bind_int64(log, 3, r.agent);
      sqlite3_bind_blob(log, 4, r.body.data(), static_cast<int>(r.body.size()), SQLITE_STATIC);
      KY_RETURN_IF_ERROR(step(log));
      for (const std::string& p : r.patients) {
        sqlite3_bind_text(patient, 1, p.data(), static_cast<int>(p.size()), SQLITE_STATIC);
        sqlite3_bind_int64(patient, 2, r.seq);
        KY_RETURN_IF_ERROR(step(patient));
      }
    }
    // The agents and the seal: the shared statements, without rows.
    for (const Sql& sql : audit_sql::Append(agents, {}, seal, SqlDialect::kSqlite))
      KY_RETURN_IF_ERROR(RunTable(conn_, sql, "").status());
    return Status::Ok();
  }
  Status Archive(const AuditArchive& archive) override {
    for (const Sql& sql : audit_sql::Archive(archive, SqlDialect::kSqlite))
      KY_RETURN_IF_ERROR(RunTable(conn_, sql, "").status());
    return Status::Ok();
  }
  Status Commit() override {
    done_ = true;
    Status st = conn_->Exec("COMMIT");
    if (!st.ok()) (void)conn_->Exec("ROLLBACK");
    return st;
  }

 private:
  Connection* conn_;
  std::unique_lock<std::mutex> lock_;
  bool done_ = false;
};

class SqliteStore;

class SqliteTransaction : public WriteTransaction {
 public:
  // A read transaction owns a pooled connection.
  SqliteTransaction(SqliteStore* store, std::unique_ptr<Connection> conn)
      : store_(store), owned_(std::move(conn)), conn_(owned_.get()), writable_(false) {}
  // A write transaction borrows the writer connection while it holds the write lock.
  SqliteTransaction(SqliteStore* store, Connection* writer, std::unique_lock<std::mutex> write_lock)
      : store_(store), conn_(writer), writable_(true), write_lock_(std::move(write_lock)) {}
  ~SqliteTransaction() override;

  Result<std::optional<StoredResource>> ReadCurrent(const std::string& type,
                                                    const std::string& id) override {
    Sql sql = SqlBuilder(SqlDialect::kSqlite).Current(type, id);
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn_->Prepare(sql.text, sql.params));
    return StepOne(s);
  }

  Result<std::optional<StoredResource>> ReadVersion(const std::string& type, const std::string& id,
                                                    int64_t version) override {
    Sql sql = SqlBuilder(SqlDialect::kSqlite).Version(type, id, version);
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn_->Prepare(sql.text, sql.params));
    return StepOne(s);
  }

  Result<std::vector<StoredResource>> History(const HistoryQuery& q) override {
    Sql sql = SqlBuilder(SqlDialect::kSqlite).History(q, false);
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn_->Prepare(sql.text, sql.params));
    return StepAll(s);
  }

  Result<int64_t> CountHistory(const HistoryQuery& q) override {
    return ScalarInt(SqlBuilder(SqlDialect::kSqlite).History(q, true));
  }

  Result<std::vector<int64_t>> Search(const Query& q, int64_t limit) override {
    KY_ASSIGN_OR_RETURN(Plan plan, ChooseDriver(q));
    Sql sql = SqlBuilder(SqlDialect::kSqlite).Search(q, limit, plan.driver, plan.correlated);
    return Rids(sql);
  }

  Result<int64_t> Count(const Query& q) override {
    KY_ASSIGN_OR_RETURN(Plan plan, ChooseDriver(q));
    return ScalarInt(SqlBuilder(SqlDialect::kSqlite).Count(q, plan.driver, plan.correlated));
  }

  Result<std::vector<StoredResource>> ReadRows(const std::vector<int64_t>& rids) override {
    if (rids.empty()) return std::vector<StoredResource>{};
    Sql sql = SqlBuilder(SqlDialect::kSqlite).CurrentRows(rids);
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn_->Prepare(sql.text, sql.params));
    KY_ASSIGN_OR_RETURN(std::vector<StoredResource> rows, StepAll(s));
    return InRidOrder(std::move(rows), rids);
  }

  Result<std::vector<int64_t>> Included(const std::vector<int64_t>& rids,
                                        const IncludeSpec& spec) override {
    if (rids.empty()) return std::vector<int64_t>{};
    return Rids(SqlBuilder(SqlDialect::kSqlite).Included(rids, spec));
  }

  Result<std::vector<int64_t>> RevIncluded(const std::vector<int64_t>& rids,
                                           const IncludeSpec& spec) override {
    if (rids.empty()) return std::vector<int64_t>{};
    return Rids(SqlBuilder(SqlDialect::kSqlite).RevIncluded(rids, spec));
  }

  Result<int64_t> Write(const ResourceWrite& w) override {
    if (!writable_) return Internal("write in a read transaction");
    KY_ASSIGN_OR_RETURN(
        sqlite3_stmt * s,
        conn_->Prepare("INSERT INTO history (type, id, version, last_updated, deleted, method, "
                       "body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                       {w.type, w.id, w.version, w.last_updated, int64_t{w.deleted}, w.method}));
    KY_ASSIGN_OR_RETURN(std::string body, EncodeBody(w));
    sqlite3_bind_blob(s, 7, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) return SqliteError(conn_->db(), "writing history");
    int64_t seq = sqlite3_last_insert_rowid(conn_->db());
    KY_ASSIGN_OR_RETURN(
        s, conn_->Prepare("SELECT rid FROM resources WHERE type = ?1 AND id = ?2", {w.type, w.id}));
    int rc = sqlite3_step(s);
    int64_t rid = 0;
    if (rc == SQLITE_ROW) {
      rid = sqlite3_column_int64(s, 0);
      sqlite3_reset(s);
      KY_ASSIGN_OR_RETURN(
          s, conn_->Prepare("UPDATE resources SET version = ?1, last_updated = ?2, "
                            "deleted = ?3, seq = ?4 WHERE rid = ?5",
                            {w.version, w.last_updated, int64_t{w.deleted}, seq, rid}));
      if (sqlite3_step(s) != SQLITE_DONE) return SqliteError(conn_->db(), "updating resource");
      KY_RETURN_IF_ERROR(DeleteIndexRows(rid));
    } else if (rc == SQLITE_DONE) {
      KY_ASSIGN_OR_RETURN(
          s, conn_->Prepare("INSERT INTO resources (type, id, version, last_updated, deleted, seq) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            {w.type, w.id, w.version, w.last_updated, int64_t{w.deleted}, seq}));
      if (sqlite3_step(s) != SQLITE_DONE) return SqliteError(conn_->db(), "inserting resource");
      rid = sqlite3_last_insert_rowid(conn_->db());
    } else {
      return SqliteError(conn_->db(), "reading resource row");
    }
    if (!w.deleted) KY_RETURN_IF_ERROR(InsertIndexRows(rid, w.type, w.index));
    return rid;
  }

  Status Reindex(int64_t rid, int64_t version, const IndexRows& rows) override {
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        conn_->Prepare("SELECT type FROM resources WHERE rid = ?1 AND version = ?2 "
                                       "AND deleted = 0",
                                       {rid, version}));
    if (sqlite3_step(s) != SQLITE_ROW) return Status::Ok();  // written or deleted since
    std::string type = ColumnText(s, 0);
    sqlite3_reset(s);
    KY_RETURN_IF_ERROR(DeleteIndexRows(rid));
    return InsertIndexRows(rid, type, rows);
  }

  Result<std::optional<std::string>> GetRecord(const std::string& kind,
                                               const std::string& key) override {
    KY_ASSIGN_OR_RETURN(
        sqlite3_stmt * s,
        conn_->Prepare("SELECT value FROM records WHERE kind = ?1 AND key = ?2", {kind, key}));
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return SqliteError(conn_->db(), "reading a record");
    std::string value = ColumnText(s, 0);
    sqlite3_reset(s);
    return std::optional<std::string>(std::move(value));
  }

  Result<std::vector<std::pair<std::string, std::string>>> ListRecords(
      const std::string& kind) override {
    return ListRecordsAfter(kind, "", INT64_MAX);
  }

  // `after` "" lists from the first key (an empty key included).
  Result<std::vector<std::pair<std::string, std::string>>> ListRecordsAfter(
      const std::string& kind, const std::string& after, int64_t limit) override {
    KY_ASSIGN_OR_RETURN(
        sqlite3_stmt * s,
        conn_->Prepare("SELECT key, value FROM records WHERE kind = ?1 AND (?2 = '' "
                       "OR key > ?2) ORDER BY key LIMIT ?3",
                       {kind, after, limit}));
    std::vector<std::pair<std::string, std::string>> out;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
      out.emplace_back(ColumnText(s, 0), ColumnText(s, 1));
    if (rc != SQLITE_DONE) return SqliteError(conn_->db(), "listing records");
    return out;
  }

  // One writer at a time: history rows are numbered in commit order.
  Result<std::vector<Change>> Changes(ChangePosition after, int64_t limit,
                                      const std::string& type) override {
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        conn_->Prepare("SELECT seq, type, id, version, last_updated, deleted, "
                                       "method, body FROM history WHERE seq > ?1 AND (?3 = '' OR "
                                       "type = ?3) ORDER BY seq LIMIT ?2",
                                       {after.seq, limit, type}));
    KY_ASSIGN_OR_RETURN(std::vector<StoredResource> rows, StepAll(s));
    std::vector<Change> out;
    out.reserve(rows.size());
    for (StoredResource& r : rows) {
      Change c;
      c.position.seq = r.rid;
      r.rid = 0;
      c.version = std::move(r);
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<ChangePosition> ChangeHead() override {
    ChangePosition head;
    Sql sql;
    sql.text = "SELECT coalesce(max(seq), 0) FROM history";
    KY_ASSIGN_OR_RETURN(head.seq, ScalarInt(sql));
    return head;
  }

  Status PutRecord(const std::string& kind, const std::string& key,
                   const std::string& value) override {
    if (!writable_) return Internal("write in a read transaction");
    return Run("INSERT OR REPLACE INTO records (kind, key, value) VALUES (?1, ?2, ?3)",
               {kind, key, value});
  }

  Status DeleteRecord(const std::string& kind, const std::string& key) override {
    if (!writable_) return Internal("write in a read transaction");
    return Run("DELETE FROM records WHERE kind = ?1 AND key = ?2", {kind, key});
  }

  Status AddScheduledJob(const ScheduledJob& job) override {
    if (!writable_) return Internal("write in a read transaction");
    KY_ASSIGN_OR_RETURN(auto t, RunTable(conn_, job_sql::Insert(job, SqlDialect::kSqlite), "s"));
    return job_sql::Inserted(t.size(), job);
  }

  Result<std::vector<std::string>> CompartmentPatients(const std::vector<int64_t>& rids) override {
    if (rids.empty()) return std::vector<std::string>();
    KY_ASSIGN_OR_RETURN(
        auto t, RunTable(conn_, audit_sql::CompartmentPatients(rids, SqlDialect::kSqlite), "s"));
    return audit_sql::ToPatients(std::move(t));
  }

  Result<std::vector<AuditRow>> AuditRows(const AuditQuery& q) override {
    KY_RETURN_IF_ERROR(CheckAuditReadable());
    KY_ASSIGN_OR_RETURN(
        auto t, RunTable(conn_, audit_sql::Rows(q, SqlDialect::kSqlite), audit_sql::kRowKinds));
    return audit_sql::ToRows(std::move(t));
  }

  Result<std::vector<AuditAgent>> AuditAgents(const std::vector<int64_t>& ids,
                                              const std::string& field,
                                              const std::string& value) override {
    KY_RETURN_IF_ERROR(CheckAuditReadable());
    KY_ASSIGN_OR_RETURN(auto t,
                        RunTable(conn_, audit_sql::Agents(ids, field, value, SqlDialect::kSqlite),
                                 audit_sql::kAgentKinds));
    return audit_sql::ToAgents(std::move(t));
  }

  Result<std::vector<AuditSeal>> AuditSeals(int64_t after_last, int64_t count) override {
    KY_RETURN_IF_ERROR(CheckAuditReadable());
    KY_ASSIGN_OR_RETURN(auto t,
                        RunTable(conn_, audit_sql::Seals(after_last, count, SqlDialect::kSqlite),
                                 audit_sql::kSealKinds));
    return audit_sql::ToSeals(std::move(t));
  }

  Result<std::optional<AuditSeal>> AuditHead() override {
    KY_RETURN_IF_ERROR(CheckAuditReadable());
    KY_ASSIGN_OR_RETURN(
        auto t, RunTable(conn_, audit_sql::Head(SqlDialect::kSqlite), audit_sql::kSealKinds));
    return audit_sql::ToHead(std::move(t));
  }

  Result<std::vector<AuditArchive>> AuditArchives() override {
    KY_RETURN_IF_ERROR(CheckAuditReadable());
    KY_ASSIGN_OR_RETURN(auto t, RunTable(conn_, audit_sql::Archives(SqlDialect::kSqlite),
                                         audit_sql::kArchiveKinds));
    return audit_sql::ToArchives(std::move(t));
  }

  Result<std::vector<int64_t>> AuditArchivedSeqs(const AuditQuery& q,
                                                 int64_t archived_last) override {
    KY_RETURN_IF_ERROR(CheckAuditReadable());
    KY_ASSIGN_OR_RETURN(
        auto t,
        RunTable(conn_, audit_sql::ArchivedSeqs(q, archived_last, SqlDialect::kSqlite), "i"));
    return audit_sql::ToSeqs(std::move(t));
  }

  Status Savepoint() override {
    if (!writable_) return Internal("write in a read transaction");
    if (dictionaries_) dictionaries_->Savepoint();
    return conn_->Exec("SAVEPOINT entry");
  }
  Status ReleaseSavepoint() override { return conn_->Exec("RELEASE entry"); }
  Status RollbackToSavepoint() override;

  Status Commit() override;

 private:
  // The data's writer has the audit file not attached (its BEGIN IMMEDIATE would lock it).
  Status CheckAuditReadable() const {
    if (writable_)
      return Status(StatusCode::kInvalid,
                    "The audit trail is read outside transactions: search it on its own");
    return Status::Ok();
  }

  Result<std::optional<StoredResource>> StepOne(sqlite3_stmt* s) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return std::optional<StoredResource>();
    if (rc != SQLITE_ROW) return SqliteError(conn_->db(), "read failed");
    StoredResource r = ReadStored(s);
    sqlite3_reset(s);
    KY_ASSIGN_OR_RETURN(r.body, DecodeBody(std::move(r.body)));
    return std::optional<StoredResource>(std::move(r));
  }

  Result<std::vector<StoredResource>> StepAll(sqlite3_stmt* s) {
    std::vector<StoredResource> out;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) out.push_back(ReadStored(s));
    if (rc != SQLITE_DONE) return SqliteError(conn_->db(), "read failed");
    KY_RETURN_IF_ERROR(DecodeAll(out));
    return out;
  }

  // Defined after SqliteStore, whose codec they use (store/body_codec.h).
  Result<std::string> EncodeBody(const ResourceWrite& w);
  Result<std::string> DecodeBody(std::string stored);
  Status DecodeAll(std::vector<StoredResource>& rows);
  // Reads a dictionary another process stored, in this transaction.
  BodyCodec::Fetch Fetch() {
    return [this](uint32_t id) { return FetchDictionary(*this, id); };
  }

  Result<std::vector<int64_t>> Rids(const Sql& sql) {
    static const bool kLogSql = std::getenv("KANGYUN_LOG_SQL") != nullptr;
    if (kLogSql) std::fprintf(stderr, "SQL %s\n", sql.text.c_str());
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn_->Prepare(sql.text, sql.params));
    std::vector<int64_t> out;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) out.push_back(sqlite3_column_int64(s, 0));
    if (rc != SQLITE_DONE) return SqliteError(conn_->db(), "search failed");
    return out;
  }

  struct Plan {
    int driver = SqlBuilder::kAutoDriver;
    bool correlated = false;
  };
  // With several filters, the one with the fewest matches should drive the query; SQLite has
  // no statistics for our index rows, so count each candidate's matches up to a small cap.
  // When a lookup matches few rows, subqueries (who may see what, chains) are probed for each
  // of them rather than computed whole: a clinician's search of one resident's results need
  // not list every resident the hospital reaches.
  Result<Plan> ChooseDriver(const Query& q) {
    SqlBuilder b(SqlDialect::kSqlite);
    std::vector<int> candidates = b.DriverCandidates(q);
    bool subqueries = SqlBuilder::HasSubqueries(q);
    // One candidate drives anyway; it is measured only to decide how to run the subqueries.
    if (candidates.empty() || (candidates.size() == 1 && !subqueries)) return Plan{};
    constexpr int64_t kCap = 2000;
    constexpr int64_t kProbeRowsBelow = 500;
    int best = -1;
    int64_t best_count = kCap + 1;
    bool all_measured = true;
    for (int k : candidates) {
      std::optional<Sql> probe = b.Probe(q, k, kCap);
      if (!probe) {  // a chain: the rules rank it
        all_measured = false;
        continue;
      }
      KY_ASSIGN_OR_RETURN(int64_t n, ScalarInt(*probe));
      if (n < best_count) {
        best_count = n;
        best = k;
      }
    }
    if (best >= 0 && subqueries && best_count < kProbeRowsBelow) return Plan{best, true};
    if (!all_measured || candidates.size() < 2 || best < 0) return Plan{};
    return Plan{best, false};
  }

  Result<int64_t> ScalarInt(const Sql& sql) {
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn_->Prepare(sql.text, sql.params));
    if (sqlite3_step(s) != SQLITE_ROW) return SqliteError(conn_->db(), "count failed");
    int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return n;
  }

  Status Run(const std::string& sql, const std::vector<SqlValue>& params) {
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn_->Prepare(sql, params));
    if (sqlite3_step(s) != SQLITE_DONE) return SqliteError(conn_->db(), "index write failed");
    return Status::Ok();
  }

  Status DeleteIndexRows(int64_t rid) {
    for (const char* table : IndexRowTables()) {
      KY_RETURN_IF_ERROR(Run(std::string("DELETE FROM ") + table + " WHERE rid = ?1", {rid}));
    }
    return Status::Ok();
  }

  // Defined after SqliteStore: the keys of (type, param) pairs come from the store.
  Status InsertIndexRows(int64_t rid, const std::string& type, const IndexRows& x);

  SqliteStore* store_;
  std::unique_ptr<Connection> owned_;
  Connection* conn_;
  bool writable_;
  std::unique_lock<std::mutex> write_lock_;
  bool done_ = false;
  std::optional<DictionariesInFlight> dictionaries_;  // made by the first one trained
};

class SqliteStore : public Store {
 public:
  explicit SqliteStore(std::string path) : path_(std::move(path)) {}
  ~SqliteStore() override {
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  Status Init() {
    KY_ASSIGN_OR_RETURN(lock_fd_, LockSqliteStoreShared(path_));
    KY_ASSIGN_OR_RETURN(writer_, Connection::Open(path_, Connection::kWriterCacheKiB));
    if (sqlite3_create_function_v2(writer_->db(), "kangyun_param_key", 2,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, ParamKeyFunction,
                                   nullptr, nullptr, nullptr) != SQLITE_OK)
      return SqliteError(writer_->db(), "cannot register kangyun_param_key");
    if (sqlite3_create_function_v2(writer_->db(), "kangyun_system_key", 1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, SystemKeyFunction,
                                   nullptr, nullptr, nullptr) != SQLITE_OK)
      return SqliteError(writer_->db(), "cannot register kangyun_system_key");
    KY_RETURN_IF_ERROR(
        writer_->Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        writer_->Prepare("SELECT max(version) FROM schema_version"));
    int64_t current = 0;
    if (sqlite3_step(s) == SQLITE_ROW) current = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    const auto& migrations = sqlite_schema::Migrations();
    if (current > static_cast<int64_t>(migrations.size()))
      return Internal("database schema version " + std::to_string(current) +
                      " is newer than this Kangyun supports (" + std::to_string(migrations.size()) +
                      "); upgrade Kangyun");
    for (size_t v = static_cast<size_t>(current); v < migrations.size(); ++v) {
      KY_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
      Status st = writer_->Exec(migrations[v]);
      if (st.ok())
        st = writer_->Exec("INSERT INTO schema_version VALUES (" + std::to_string(v + 1) + ")");
      if (!st.ok()) {
        (void)writer_->Exec("ROLLBACK");
        return st;
      }
      KY_RETURN_IF_ERROR(writer_->Exec("COMMIT"));
    }
    // The audit log's own file, and its writer (store/audit_log_sql.h).
    // Its cache holds the pages its inserts touch: those of the resident index are spread.
    KY_ASSIGN_OR_RETURN(audit_writer_, Connection::Open(":memory:", Connection::kWriterCacheKiB,
                                                        SqliteAuditPath(path_)));
    KY_RETURN_IF_ERROR(audit_writer_->Exec(audit_sql::Schema(SqlDialect::kSqlite)));
    {
      KY_ASSIGN_OR_RETURN(auto txn, BeginRead());
      KY_RETURN_IF_ERROR(AdoptStoredDictionaries(codec_, *txn));
    }
    // Indexes a bulk load set aside and did not get to rebuild (it was killed).
    return RebuildDeferredIndexes();
  }

  BodyCodec& codec() { return codec_; }
  // A dictionary another process stored, read in a transaction of its own.
  Result<std::optional<BodyDictionary>> Fetch(uint32_t id) {
    KY_ASSIGN_OR_RETURN(auto txn, BeginRead());
    return FetchDictionary(*txn, id);
  }

  // The key of (type, param) for index rows: the pair's number in `params`, given on first
  // use (one or two bytes in every index entry, where a hash took six). Called only by the
  // running write transaction (under write_mu_). The caches are what the writer connection
  // sees, uncommitted inserts included, so any rollback marks them stale.
  Result<int64_t> KeyFor(const std::string& type, const std::string& param) {
    KY_RETURN_IF_ERROR(LoadKeys());
    std::string pair = type + "|" + param;
    if (auto it = params_.find(pair); it != params_.end()) return it->second;
    KY_ASSIGN_OR_RETURN(
        sqlite3_stmt * ins,
        writer_->Prepare("INSERT INTO params (type, param) VALUES (?1, ?2)", {type, param}));
    int rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE) return SqliteError(writer_->db(), "cannot register a search parameter");
    int64_t pid = sqlite3_last_insert_rowid(writer_->db());
    params_.emplace(std::move(pair), pid);
    return pid;
  }

  // The key of a code system for index rows (store/param_key.h), registered in `code_systems`,
  // where a collision of two systems' keys is caught.
  Result<int64_t> SystemKeyFor(const std::string& uri) {
    if (uri.empty()) return int64_t{0};
    KY_RETURN_IF_ERROR(LoadKeys());
    int64_t key = SystemKey(uri);
    if (auto it = systems_.find(key); it != systems_.end()) {
      if (it->second != uri)
        return Internal("code systems " + it->second + " and " + uri + " have the same key");
      return key;
    }
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * ins,
                        writer_->Prepare("INSERT INTO code_systems VALUES (?1, ?2)", {key, uri}));
    int rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE) return SqliteError(writer_->db(), "cannot register a code system");
    systems_.emplace(key, uri);
    return key;
  }

  Status LoadKeys() {
    if (!keys_stale_) return Status::Ok();
    params_.clear();
    systems_.clear();
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * q,
                        writer_->Prepare("SELECT pid, type || '|' || param FROM params"));
    while (sqlite3_step(q) == SQLITE_ROW)
      params_.emplace(ColumnText(q, 1), sqlite3_column_int64(q, 0));
    sqlite3_reset(q);
    KY_ASSIGN_OR_RETURN(q, writer_->Prepare("SELECT key, uri FROM code_systems"));
    while (sqlite3_step(q) == SQLITE_ROW)
      systems_.emplace(sqlite3_column_int64(q, 0), ColumnText(q, 1));
    sqlite3_reset(q);
    keys_stale_ = false;
    return Status::Ok();
  }

  // REQUIRES: holds write_mu_. Commits the open group (its last member may have left the
  // commit to whoever took the lock next) and wakes the members waiting for it.
  Status CommitOpenGroup() {
    if (!group_open_) return Status::Ok();
    Status committed = group_size_ > 0 ? writer_->Exec("COMMIT") : writer_->Exec("ROLLBACK");
    if (!committed.ok()) {
      (void)writer_->Exec("ROLLBACK");
      keys_stale_ = true;
    }
    group_open_ = false;
    {
      std::lock_guard g(group_mu_);
      if (!committed.ok()) failed_groups_.insert(group_id_);
      committed_group_ = group_id_;
    }
    group_cv_.notify_all();
    return committed;
  }

  Result<bool> BeginBulkLoad() override {
    std::unique_lock lock(write_mu_);
    KY_RETURN_IF_ERROR(CommitOpenGroup());
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        writer_->Prepare("SELECT count(*) FROM (SELECT 1 FROM resources LIMIT ?)",
                                         {SqlValue(kSqliteBulkLoadMaxResources + 1)}));
    bool many =
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) > kSqliteBulkLoadMaxResources;
    sqlite3_reset(s);
    if (many) return false;
    KY_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
    // The definitions are kept before the indexes go, in the same transaction.
    Status st = writer_->Exec(
        "INSERT OR IGNORE INTO deferred_indexes SELECT name, sql FROM sqlite_master "
        "WHERE type = 'index' AND sql IS NOT NULL "
        "AND (tbl_name LIKE 'idx!_%' ESCAPE '!' OR tbl_name = 'compartment')");
    std::vector<std::string> names;
    if (st.ok()) {
      KY_ASSIGN_OR_RETURN(sqlite3_stmt * q, writer_->Prepare("SELECT name FROM deferred_indexes"));
      while (sqlite3_step(q) == SQLITE_ROW)
        names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
      sqlite3_reset(q);
    }
    for (const std::string& name : names) {
      if (!st.ok()) break;
      st = writer_->Exec("DROP INDEX IF EXISTS \"" + name + "\"");
    }
    if (!st.ok()) {
      (void)writer_->Exec("ROLLBACK");
      return st;
    }
    KY_RETURN_IF_ERROR(writer_->Exec("COMMIT"));
    return true;
  }

  Status EndBulkLoad() override {
    std::unique_lock lock(write_mu_);
    KY_RETURN_IF_ERROR(CommitOpenGroup());
    return RebuildDeferredIndexes();
  }

  // REQUIRES: no write transaction is open on the writer connection.
  Status RebuildDeferredIndexes() {
    std::vector<std::pair<std::string, std::string>> pending;
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * q,
                        writer_->Prepare("SELECT name, sql FROM deferred_indexes"));
    while (sqlite3_step(q) == SQLITE_ROW)
      pending.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)),
                           reinterpret_cast<const char*>(sqlite3_column_text(q, 1)));
    sqlite3_reset(q);
    if (pending.empty()) return Status::Ok();
    Log(LogLevel::kInfo, "building " + std::to_string(pending.size()) + " deferred indexes");
    // One index per transaction: what was built stays built if this is interrupted too.
    for (const auto& [name, sql] : pending) {
      KY_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
      Status st = writer_->Exec("DROP INDEX IF EXISTS \"" + name + "\"");
      if (st.ok()) st = writer_->Exec(sql);
      if (st.ok()) st = writer_->Exec("DELETE FROM deferred_indexes WHERE name = '" + name + "'");
      if (!st.ok()) {
        (void)writer_->Exec("ROLLBACK");
        return st;
      }
      KY_RETURN_IF_ERROR(writer_->Exec("COMMIT"));
    }
    return Status::Ok();
  }

  // Group commit. Write transactions run one at a time on the writer connection, each inside
  // a SAVEPOINT of one open SQLite transaction. A transaction that finishes while others wait
  // for the write lock leaves the COMMIT (and its fsync) to them and waits for it; the last of
  // the group commits for all. So concurrent writers share fsyncs, one transaction's rollback
  // never touches another's changes, and nobody is acknowledged before its data is durable.
  Status OpenGroupMember() {
    if (!group_open_) {
      KY_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
      group_open_ = true;
      group_size_ = 0;
      ++group_id_;
    }
    // The first member needs no savepoint: undoing it is undoing the whole transaction.
    member_has_savepoint_ = group_size_ > 0;
    if (!member_has_savepoint_) return Status::Ok();
    Status st = writer_->Exec("SAVEPOINT member");
    if (!st.ok()) AbortGroup();
    return st;
  }

  // REQUIRES: lock holds write_mu_. Releases it.
  Status FinishGroupMember(bool keep, std::unique_lock<std::mutex>& lock) {
    Status st;
    if (keep) {
      if (member_has_savepoint_) st = writer_->Exec("RELEASE member");
      if (st.ok()) ++group_size_;
    }
    if (!keep || !st.ok()) {
      keys_stale_ = true;  // the rollback may take registered keys with it
      if (!member_has_savepoint_) {
        // The only member so far: roll the transaction back.
        (void)writer_->Exec("ROLLBACK");
        group_open_ = false;
        lock.unlock();
        return st;
      }
      // Undo this member only; the group's other members keep theirs.
      (void)writer_->Exec("ROLLBACK TO member");
      (void)writer_->Exec("RELEASE member");
    }
    if (sqlite3_get_autocommit(writer_->db())) {
      // SQLite abandoned the whole transaction (an I/O error, say): fail the whole group.
      AbortGroup();
      lock.unlock();
      return keep ? Status(StatusCode::kUnavailable, "The store failed to commit; retry") : st;
    }
    uint64_t group = group_id_;
    bool others_waiting = write_waiters_.load() > 0 && group_size_ < kMaxGroupSize;
    if (others_waiting) {
      lock.unlock();
      if (!keep || !st.ok()) return st;
      std::unique_lock wait(group_mu_);
      group_cv_.wait(wait, [&] { return committed_group_ >= group; });
      return failed_groups_.count(group)
                 ? Status(StatusCode::kUnavailable, "The store failed to commit; retry")
                 : Status::Ok();
    }
    Status committed = CommitOpenGroup();
    lock.unlock();
    if (!keep) return st;
    return committed.ok() ? st
                          : Status(StatusCode::kUnavailable, "The store failed to commit; retry");
  }

  Result<std::unique_ptr<ReadTransaction>> BeginRead() override {
    KY_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, AcquireReader());
    KY_RETURN_IF_ERROR(conn->Exec("BEGIN"));
    return std::unique_ptr<ReadTransaction>(new SqliteTransaction(this, std::move(conn)));
  }

  Result<std::unique_ptr<WriteTransaction>> BeginWrite() override {
    ++write_waiters_;
    std::unique_lock lock(write_mu_);
    --write_waiters_;
    KY_RETURN_IF_ERROR(OpenGroupMember());
    return std::unique_ptr<WriteTransaction>(
        new SqliteTransaction(this, writer_.get(), std::move(lock)));
  }

  // REQUIRES: holds write_mu_ (the running write transaction).
  void MarkKeysStale() { keys_stale_ = true; }

  Result<std::unique_ptr<AuditAppend>> BeginAuditAppend(bool durable) override {
    std::unique_lock lock(audit_mu_);
    // Without an fsync per commit, a commit is in the WAL file (safe from a crash of the
    // process) and reaches the disk with the next durable commit or checkpoint.
    if (durable != audit_durable_) {
      KY_RETURN_IF_ERROR(audit_writer_->Exec(durable ? "PRAGMA audit.synchronous=FULL"
                                                     : "PRAGMA audit.synchronous=NORMAL"));
      audit_durable_ = durable;
    }
    auto append = std::make_unique<SqliteAuditAppend>(audit_writer_.get(), std::move(lock));
    KY_RETURN_IF_ERROR(append->Begin());
    return std::unique_ptr<AuditAppend>(std::move(append));
  }

  Result<std::vector<StoredResource>> ScanCurrent(const std::vector<std::string>& types,
                                                  int64_t after_rid, int64_t count) override {
    KY_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, AcquireReader());
    Sql sql = SqlBuilder(SqlDialect::kSqlite).ScanCurrent(types, after_rid, count);
    KY_ASSIGN_OR_RETURN(sqlite3_stmt * s, conn->Prepare(sql.text, sql.params));
    std::vector<StoredResource> out;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) out.push_back(ReadStored(s));
    Status st = rc == SQLITE_DONE ? Status::Ok() : SqliteError(conn->db(), "scan failed");
    sqlite3_reset(s);
    ReturnReader(std::move(conn));
    if (!st.ok()) return st;
    KY_RETURN_IF_ERROR(DecodeBodies(codec_, out, [this](uint32_t id) { return Fetch(id); }));
    return out;
  }

  Status SaveResultSet(const std::string& id, std::vector<int64_t> rids,
                       int64_t expires_at) override {
    result_sets_.Put(id, std::move(rids), expires_at);
    return Status::Ok();
  }

  Result<std::optional<std::vector<int64_t>>> ReadResultSet(const std::string& id, int64_t offset,
                                                            int64_t count, int64_t now) override {
    return result_sets_.Get(id, offset, count, now);
  }

  Status PutJob(const JobRecord& job) override {
    std::lock_guard lock(jobs_mu_);
    jobs_[job.id] = job;
    return Status::Ok();
  }

  Result<std::optional<JobRecord>> GetJob(const std::string& id) override {
    std::lock_guard lock(jobs_mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return std::optional<JobRecord>();
    return std::optional<JobRecord>(it->second);
  }

  Status DeleteJob(const std::string& id) override {
    std::lock_guard lock(jobs_mu_);
    jobs_.erase(id);
    return Status::Ok();
  }

  Result<std::vector<JobRecord>> ListJobs() override {
    std::lock_guard lock(jobs_mu_);
    std::vector<JobRecord> out;
    for (const auto& [id, job] : jobs_) out.push_back(job);
    return out;
  }

  // The job runner's statements run on the writer, each in a transaction of its own once the
  // open group of writes has committed: one writer makes each claim atomic.
  Result<audit_sql::Table> RunJobStatement(const Sql& sql, std::string_view kinds) {
    std::unique_lock lock(write_mu_);
    KY_RETURN_IF_ERROR(CommitOpenGroup());
    return RunTable(writer_.get(), sql, kinds);
  }

  Status AddScheduledJob(const ScheduledJob& job) override {
    KY_ASSIGN_OR_RETURN(auto t, RunJobStatement(job_sql::Insert(job, SqlDialect::kSqlite), "s"));
    return job_sql::Inserted(t.size(), job);
  }

  Result<std::optional<ScheduledJob>> ClaimScheduledJob(const std::vector<std::string>& kinds,
                                                        const std::string& owner, int64_t now,
                                                        int64_t lease_until) override {
    KY_ASSIGN_OR_RETURN(
        auto t, RunJobStatement(job_sql::Claim(kinds, owner, now, lease_until, SqlDialect::kSqlite),
                                job_sql::kJobKinds));
    return job_sql::ToJob(std::move(t));
  }

  Result<bool> UpdateScheduledJob(const ScheduledJob& job) override {
    KY_ASSIGN_OR_RETURN(auto t, RunJobStatement(job_sql::Update(job, SqlDialect::kSqlite), "s"));
    return !t.empty();
  }

  Result<bool> CancelScheduledJob(const std::string& id, int64_t now) override {
    KY_ASSIGN_OR_RETURN(auto t,
                        RunJobStatement(job_sql::Cancel(id, now, SqlDialect::kSqlite), "s"));
    return !t.empty();
  }

  Result<std::optional<ScheduledJob>> GetScheduledJob(const std::string& id) override {
    KY_ASSIGN_OR_RETURN(auto t,
                        RunJobStatement(job_sql::Get(id, SqlDialect::kSqlite), job_sql::kJobKinds));
    return job_sql::ToJob(std::move(t));
  }

  Result<std::vector<ScheduledJob>> ListScheduledJobs(const std::string& kind,
                                                      int64_t limit) override {
    KY_ASSIGN_OR_RETURN(auto t, RunJobStatement(job_sql::List(kind, limit, SqlDialect::kSqlite),
                                                job_sql::kJobKinds));
    return job_sql::ToJobs(std::move(t));
  }

  // A pooled reader connection, or a new one.
  Result<std::unique_ptr<Connection>> AcquireReader() {
    {
      std::lock_guard lock(pool_mu_);
      if (!pool_.empty()) {
        std::unique_ptr<Connection> conn = std::move(pool_.back());
        pool_.pop_back();
        return conn;
      }
    }
    return Connection::Open(path_, Connection::kReaderCacheKiB, SqliteAuditPath(path_));
  }

  void ReturnReader(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(pool_mu_);
    if (pool_.size() < 64) pool_.push_back(std::move(conn));
  }

 private:
  std::string path_;
  int lock_fd_ = -1;  // a shared lock while open: see store/sqlite/sqlite_backup.h
  BodyCodec codec_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Connection>> pool_;
  void AbortGroup() {
    (void)writer_->Exec("ROLLBACK");
    keys_stale_ = true;
    group_open_ = false;
    {
      std::lock_guard g(group_mu_);
      failed_groups_.insert(group_id_);
      committed_group_ = group_id_;
    }
    group_cv_.notify_all();
  }

  std::mutex audit_mu_;  // held by the running audit append
  std::unique_ptr<Connection> audit_writer_;
  bool audit_durable_ = true;  // the audit writer's synchronous setting; guarded by audit_mu_
  static constexpr int kMaxGroupSize = 64;
  std::mutex write_mu_;  // held by the running write transaction
  std::unique_ptr<Connection> writer_;
  std::atomic<int> write_waiters_{0};
  // These three guarded by write_mu_.
  std::unordered_map<std::string, int64_t> params_;   // "type|param" -> pid
  std::unordered_map<int64_t, std::string> systems_;  // system key -> URI
  bool keys_stale_ = true;
  bool group_open_ = false;  // these four: guarded by write_mu_
  bool member_has_savepoint_ = false;
  int group_size_ = 0;
  uint64_t group_id_ = 0;
  std::mutex group_mu_;
  std::condition_variable group_cv_;
  uint64_t committed_group_ = 0;  // guarded by group_mu_
  std::set<uint64_t> failed_groups_;
  // The embedded store serves one process, so paging lists live in its memory: a search never
  // needs a write (or an fsync) to page.
  ResultSetCache result_sets_;
  std::mutex jobs_mu_;
  std::map<std::string, JobRecord> jobs_;
};

// Where the rows of store/index_table_rows.h hold code systems, which this store keeps as keys.
std::span<const size_t> SystemColumns(std::string_view table) {
  static constexpr size_t kSystem[] = {2}, kComposite[] = {2, 4};
  if (table == "idx_token" || table == "idx_quantity") return kSystem;
  if (table == "idx_composite") return kComposite;
  return {};
}

Status SqliteTransaction::InsertIndexRows(int64_t rid, const std::string& type,
                                          const IndexRows& x) {
  KY_ASSIGN_OR_RETURN(
      std::vector<TableRows> tables,
      ToTableRows(rid, x, [&](const std::string& param) { return store_->KeyFor(type, param); }));
  for (TableRows& t : tables) {
    if (t.rows.empty()) continue;
    // Index tables are keyed by (rid, pid, ord), ord the row's place among the resource's rows
    // of the table, and their columns begin with the key (SQLite 3.40's integrity check
    // misreads a WITHOUT ROWID table whose key columns come later); compartment memberships
    // are keyed by (rid, patient), each kept once.
    bool compartment = std::string_view(t.table) == "compartment";
    int columns = compartment ? t.columns : t.columns + 1;
    std::string sql = std::string(compartment ? "INSERT OR IGNORE INTO " : "INSERT INTO ") +
                      t.table + " VALUES (";
    for (int c = 1; c <= columns; ++c) sql += (c > 1 ? ", ?" : "?") + std::to_string(c);
    sql += ")";
    std::span<const size_t> systems = SystemColumns(t.table);
    int64_t ord = 0;
    for (auto& row : t.rows) {
      for (size_t c : systems) {
        KY_ASSIGN_OR_RETURN(row[c], store_->SystemKeyFor(std::get<std::string>(row[c])));
      }
      if (!compartment) row.insert(row.begin() + 2, SqlValue(++ord));
      KY_RETURN_IF_ERROR(Run(sql, row));
    }
  }
  return Status::Ok();
}

Result<std::string> SqliteTransaction::EncodeBody(const ResourceWrite& w) {
  return EncodeInTransaction(store_->codec(), w.type, w.body, &dictionaries_, *this);
}

Result<std::string> SqliteTransaction::DecodeBody(std::string stored) {
  return store_->codec().Decode(std::move(stored), Fetch());
}

Status SqliteTransaction::DecodeAll(std::vector<StoredResource>& rows) {
  return DecodeBodies(store_->codec(), rows, Fetch());
}

Status SqliteTransaction::RollbackToSavepoint() {
  store_->MarkKeysStale();  // the rollback may take registered keys with it
  if (dictionaries_) dictionaries_->RollbackToSavepoint();
  KY_RETURN_IF_ERROR(conn_->Exec("ROLLBACK TO entry"));
  return conn_->Exec("RELEASE entry");
}

Status SqliteTransaction::Commit() {
  if (!writable_) return Internal("commit of a read transaction");
  done_ = true;
  KY_RETURN_IF_ERROR(store_->FinishGroupMember(/*keep=*/true, write_lock_));
  return dictionaries_ ? dictionaries_->Committed() : Status::Ok();
}

SqliteTransaction::~SqliteTransaction() {
  if (writable_) {
    if (!done_) (void)store_->FinishGroupMember(/*keep=*/false, write_lock_);
  } else {
    (void)conn_->Exec("COMMIT");
    store_->ReturnReader(std::move(owned_));
  }
}

}  // namespace

std::string SqliteAuditPath(const std::string& db_path) { return db_path + "-audit"; }

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  auto store = std::make_unique<SqliteStore>(path);
  KY_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace kangyun::store
