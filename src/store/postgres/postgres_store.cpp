// PostgresStore: the server store. Read transactions see one snapshot (REPEATABLE READ, read
// only) on a pooled connection each; their BEGIN goes with their first statement, and their
// COMMIT is not waited for (PgConnection::CommitLater). Write
// transactions run side by side (READ COMMITTED), in this process and every other one that shares
// the database; what one of them reads in order to write is locked first, as the storage contract
// asks (store/store.h): a transaction-scoped advisory lock per key (a resource, a search's exact
// question, a record), taken before the statement that reads, so that the statement sees every
// write committed under that key before. The API reads a resource's current version and writes the
// next one in the same transaction, so no other transaction writes between the two: versions never
// fork, If-Match stays exact, and a conditional create under one condition creates once. Writes
// about different residents never wait on each other.
#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "base/log.h"
#include "base/strings.h"
#include "store/audit_log_sql.h"
#include "store/body_codec.h"
#include "store/index_table_rows.h"
#include "store/job_sql.h"
#include "store/param_key.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/schema.h"
#include "store/sql_builder.h"

namespace kangyun::store {
namespace {

// Advisory lock keys (any constants unique to Kangyun): one for migrations, one for the audit
// log, and the write gate: every write transaction holds it shared. One holds it alone
//  - when it writes a SearchParameter, so that no write indexed without the parameter commits
//    after the parameter did (re-indexing, which starts once the parameter committed, might
//    have passed its row);
//  - when it is begun alone (BeginWriteAlone), to run again a write aborted in a deadlock:
//    with no other writer it cannot meet one again.
// The keys of what write transactions read are hashes (LockKey), which meet these by a chance
// of one in 2^62.
constexpr int64_t kMigrateLock = 0x4B59'4D49'4752'41;  // "KYMIGRA"
constexpr int64_t kAuditLock = 0x4B59'4155'4449'54;    // "KYAUDIT"
constexpr int64_t kWriteGate = 0x4B59'5041'5241'4D;    // "KYPARAM"
// Held (for its session) by the connection of a load that set indexes aside, until it ends.
constexpr int64_t kBulkLoadLock = 0x4B59'4255'4C4B'4C;  // "KYBULKL"

// The key a resident's data is distributed by: a 63-bit FNV-1a hash of the Patient id, never 0
// (0 is "belongs to no resident").
int64_t ResidentKey(std::string_view patient_id) {
  int64_t key = static_cast<int64_t>(Fnv1a(patient_id) & 0x7FFFFFFFFFFFFFFFULL);
  return key ? key : 1;
}

// The resident a version belongs to: a Patient is its own; anything else, the first Patient
// whose compartment holds it.
int64_t ResidentOf(const ResourceWrite& w) {
  if (w.type == "Patient") return ResidentKey(w.id);
  if (!w.index.patient_compartments.empty())
    return ResidentKey(w.index.patient_compartments.front());
  return 0;
}

Sql Statement(std::string text, std::vector<SqlValue> params) {
  Sql sql;
  sql.text = std::move(text);
  sql.params = std::move(params);
  return sql;
}

// Columns: rid, type, id, version, last_updated, deleted, method, body
StoredResource ReadStored(const PgResult& r, int row) {
  StoredResource s;
  s.rid = r.Int(row, 0);
  s.type = r.Bytes(row, 1);
  s.id = r.Bytes(row, 2);
  s.version = r.Int(row, 3);
  s.last_updated = r.Int(row, 4);
  s.deleted = r.Int(row, 5) != 0;
  s.method = r.Bytes(row, 6);
  s.body = r.Bytes(row, 7);
  return s;
}

// The PostgreSQL types of the index tables' columns after rid, in IndexRowTables() order.
const std::vector<std::vector<const char*>>& IndexColumnTypes() {
  static const std::vector<std::vector<const char*>> kTypes = {
      {"bigint", "text", "text"},                                              // idx_string
      {"bigint", "text", "text", "text"},                                      // idx_token
      {"bigint", "float8"},                                                    // idx_number
      {"bigint", "bigint", "bigint"},                                          // idx_date
      {"bigint", "text", "text", "float8", "text", "float8"},                  // idx_quantity
      {"bigint", "text", "text", "text"},                                      // idx_reference
      {"bigint", "text"},                                                      // idx_uri
      {"bigint", "text", "text", "text", "text", "float8", "float8", "text"},  // idx_composite
      {"bigint", "text"},                                                      // idx_text
      {"text"},                                                                // compartment
  };
  return kTypes;
}

// One statement writes the index rows of a batch of versions: when earlier rows go, $1 lists
// the rows whose earlier index rows go; then per table that gets rows, one array per column
// (rid first, resident last), unnested into rows. Its text depends only on which parts it
// has (`mask`: bit 0 the deletions, bit t + 1 table t), so a few shapes serve every batch and
// each is prepared once; a part with nothing to do is left out, since PostgreSQL starts up
// every part of a statement it runs. The parts of a WITH share one snapshot, so the DELETEs
// never see the rows the INSERTs add.
const std::string& IndexRowsStatement(uint32_t mask) {
  static std::mutex mu;
  static std::unordered_map<uint32_t, std::string> made;
  std::lock_guard lock(mu);
  std::string& statement = made[mask];
  if (!statement.empty()) return statement;
  std::vector<std::string> parts;
  int param = 1;
  const auto& tables = IndexRowTables();
  if (mask & 1) {
    for (size_t t = 0; t < tables.size(); ++t)
      parts.push_back("d" + std::to_string(t) + " AS (DELETE FROM " + tables[t] +
                      " WHERE rid = ANY($1::bigint[]))");
    ++param;
  }
  for (size_t t = 0; t < tables.size(); ++t) {
    if (!(mask & (2u << t))) continue;
    std::vector<const char*> types = {"bigint"};  // rid
    types.insert(types.end(), IndexColumnTypes()[t].begin(), IndexColumnTypes()[t].end());
    types.push_back("bigint");  // resident
    std::string unnest;
    for (size_t c = 0; c < types.size(); ++c)
      unnest += (c ? ", $" : "$") + std::to_string(param++) + "::" + types[c] + "[]";
    parts.push_back("i" + std::to_string(t) + " AS (INSERT INTO " + tables[t] +
                    " SELECT * FROM unnest(" + unnest + "))");
  }
  statement = "WITH ";
  for (size_t p = 0; p < parts.size(); ++p) statement += (p ? ", " : "") + parts[p];
  statement += " SELECT 1";
  return statement;
}

// A PostgreSQL array literal of one column of rows, sent as text and cast in the statement.
std::string ArrayLiteral(const std::vector<std::vector<SqlValue>>& rows, int column) {
  std::string out = "{";
  for (size_t n = 0; n < rows.size(); ++n) {
    if (n) out += ',';
    const SqlValue& v = rows[n][static_cast<size_t>(column)];
    if (auto* i = std::get_if<int64_t>(&v)) {
      out += std::to_string(*i);
    } else if (auto* d = std::get_if<double>(&v)) {
      char buf[32];
      auto res = std::to_chars(buf, buf + sizeof buf, *d);  // shortest exact form
      out.append(buf, res.ptr);
    } else {
      out += PostgresArrayQuote(std::get<std::string>(v));
    }
  }
  return out + "}";
}

std::vector<StoredResource> AllStored(const PgResult& r) {
  std::vector<StoredResource> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadStored(r, i));
  return out;
}

// The rows of r, each row's columns read as `kinds` says ('i' integer, 's' text).
audit_sql::Table ToTable(const PgResult& r, std::string_view kinds) {
  audit_sql::Table out;
  for (int i = 0; i < r.rows(); ++i) {
    auto& row = out.emplace_back();
    for (size_t c = 0; c < kinds.size(); ++c) {
      int col = static_cast<int>(c);
      if (kinds[c] == 'i')
        row.emplace_back(r.Int(i, col));
      else
        row.emplace_back(r.Bytes(i, col));
    }
  }
  return out;
}

Result<audit_sql::Table> RunTable(PgConnection& conn, const Sql& sql, std::string_view kinds) {
  KY_ASSIGN_OR_RETURN(PgResult r, conn.Query(sql));
  return ToTable(r, kinds);
}

class PostgresStore;

// An append to the audit log: its own transaction under the audit lock (one chain for every
// process), never the data's locks. Two round trips in all, unless agents are looked up: the
// beginning with the head of the chain, and the rows with the COMMIT (Append only queues them).
class PgAuditAppend : public AuditAppend {
 public:
  PgAuditAppend(PostgresStore* store, std::unique_ptr<PgConnection> conn)
      : store_(store), conn_(std::move(conn)) {}
  ~PgAuditAppend() override;
  // `durable` false: PostgreSQL's asynchronous commit, which reaches the disk within a few
  // hundred milliseconds; a crash of the database server can lose it until then.
  Status Begin(bool durable) {
    std::vector<Sql> begin = {Statement("BEGIN", {}),
                              Statement("SELECT pg_advisory_xact_lock($1)", {kAuditLock})};
    if (!durable) begin.push_back(Statement("SET LOCAL synchronous_commit = off", {}));
    begin.push_back(audit_sql::Head(SqlDialect::kPostgres));
    KY_ASSIGN_OR_RETURN(std::vector<PgResult> results, conn_->Pipeline(begin, true));
    head_ = audit_sql::ToHead(ToTable(results.back(), audit_sql::kSealKinds));
    return Status::Ok();
  }

  Result<std::optional<AuditSeal>> Head() override { return head_; }
  Result<std::vector<AuditAgent>> Agents(const std::vector<int64_t>& ids) override {
    KY_ASSIGN_OR_RETURN(auto t,
                        RunTable(*conn_, audit_sql::Agents(ids, "", "", SqlDialect::kPostgres),
                                 audit_sql::kAgentKinds));
    return audit_sql::ToAgents(std::move(t));
  }
  Status Append(const std::vector<AuditAgent>& agents, const std::vector<AuditRow>& rows,
                const AuditSeal& seal) override {
    for (Sql& sql : audit_sql::Append(agents, rows, seal, SqlDialect::kPostgres))
      queued_.push_back(std::move(sql));
    return Status::Ok();
  }
  Status Archive(const AuditArchive& archive) override {
    for (Sql& sql : audit_sql::Archive(archive, SqlDialect::kPostgres))
      queued_.push_back(std::move(sql));
    return Status::Ok();
  }
  Status Commit() override {
    queued_.push_back(Statement("COMMIT", {}));
    size_t failed_at = 0;
    auto committed = conn_->Pipeline(queued_, false, &failed_at);
    done_ = committed.ok() || failed_at + 1 == queued_.size();
    return committed.status();
  }

 private:
  PostgresStore* store_;
  std::unique_ptr<PgConnection> conn_;
  std::optional<AuditSeal> head_;
  std::vector<Sql> queued_;  // the appended rows' statements, run with the COMMIT
  bool done_ = false;
};

class PgTransaction : public WriteTransaction {
 public:
  // A write transaction has begun already; a read transaction begins with its first
  // statement.
  PgTransaction(PostgresStore* store, std::unique_ptr<PgConnection> conn, bool writes)
      : store_(store), conn_(std::move(conn)), writes_(writes), begun_(writes) {}
  ~PgTransaction() override;

  Result<std::optional<StoredResource>> ReadCurrent(const std::string& type,
                                                    const std::string& id) override {
    KY_ASSIGN_OR_RETURN(PgResult r,
                        AfterLock(Key("resource", type + "/" + id),
                                  SqlBuilder(SqlDialect::kPostgres).Current(type, id), true));
    return OneDecoded(r);
  }

  Result<std::vector<std::optional<StoredResource>>> ReadCurrentOfEach(
      const std::vector<std::pair<std::string, std::string>>& keys) override;
  Result<std::vector<int64_t>> WriteEach(const std::vector<ResourceWrite>& writes) override;

  Result<std::optional<StoredResource>> ReadVersion(const std::string& type, const std::string& id,
                                                    int64_t version) override {
    return One(SqlBuilder(SqlDialect::kPostgres).Version(type, id, version));
  }

  Result<std::vector<StoredResource>> History(const HistoryQuery& q) override {
    KY_ASSIGN_OR_RETURN(PgResult r, Run(SqlBuilder(SqlDialect::kPostgres).History(q, false), true));
    return AllDecoded(r);
  }

  Result<int64_t> CountHistory(const HistoryQuery& q) override {
    return Scalar(SqlBuilder(SqlDialect::kPostgres).History(q, true));
  }

  // PostgreSQL keeps statistics and plans the join order itself: no probing for a driver.
  // A write transaction's search locks its exact question: the statement, values and all.
  Result<std::vector<int64_t>> Search(const Query& q, int64_t limit) override {
    KY_RETURN_IF_ERROR(Flush());
    Sql sql = SqlBuilder(SqlDialect::kPostgres).Search(q, limit);
    KY_ASSIGN_OR_RETURN(PgResult r, AfterLock(QuestionKey(sql), sql, false));
    std::vector<int64_t> out;
    out.reserve(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.Int(i, 0));
    return out;
  }

  Result<int64_t> Count(const Query& q) override {
    KY_RETURN_IF_ERROR(Flush());
    Sql sql = SqlBuilder(SqlDialect::kPostgres).Count(q);
    KY_ASSIGN_OR_RETURN(PgResult r, AfterLock(QuestionKey(sql), sql, false));
    if (r.rows() != 1) return Internal("PostgreSQL: a count returned no row");
    return r.Int(0, 0);
  }

  Result<std::vector<StoredResource>> ReadRows(const std::vector<int64_t>& rids) override {
    if (rids.empty()) return std::vector<StoredResource>{};
    KY_ASSIGN_OR_RETURN(PgResult r, Run(SqlBuilder(SqlDialect::kPostgres).CurrentRows(rids), true));
    KY_ASSIGN_OR_RETURN(std::vector<StoredResource> rows, AllDecoded(r));
    return InRidOrder(std::move(rows), rids);
  }

  Result<std::vector<int64_t>> Included(const std::vector<int64_t>& rids,
                                        const IncludeSpec& spec) override {
    if (rids.empty()) return std::vector<int64_t>{};
    KY_RETURN_IF_ERROR(Flush());
    return Rids(SqlBuilder(SqlDialect::kPostgres).Included(rids, spec), /*prepared=*/true);
  }

  Result<std::vector<int64_t>> RevIncluded(const std::vector<int64_t>& rids,
                                           const IncludeSpec& spec) override {
    if (rids.empty()) return std::vector<int64_t>{};
    KY_RETURN_IF_ERROR(Flush());
    return Rids(SqlBuilder(SqlDialect::kPostgres).RevIncluded(rids, spec), /*prepared=*/true);
  }

  Result<std::optional<std::string>> GetRecord(const std::string& kind,
                                               const std::string& key) override {
    KY_ASSIGN_OR_RETURN(
        PgResult r,
        AfterLock(Key("record", kind + "/" + key),
                  Statement("SELECT value FROM records WHERE kind = $1 AND key = $2", {kind, key}),
                  true));
    if (r.rows() == 0) return std::optional<std::string>();
    return std::optional<std::string>(r.Bytes(0, 0));
  }

  Result<std::vector<std::pair<std::string, std::string>>> ListRecords(
      const std::string& kind) override {
    KY_ASSIGN_OR_RETURN(
        PgResult r,
        Run(Statement("SELECT key, value FROM records WHERE kind = $1 ORDER BY key", {kind}),
            true));
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.Bytes(i, 0), r.Bytes(i, 1));
    return out;
  }

  Result<std::vector<std::pair<std::string, std::string>>> ListRecordsAfter(
      const std::string& kind, const std::string& after, int64_t limit) override {
    KY_ASSIGN_OR_RETURN(PgResult r, Run(Statement("SELECT key, value FROM records WHERE kind = $1 "
                                                  "AND key > $2 ORDER BY key LIMIT $3",
                                                  {kind, after, limit}),
                                        true));
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.Bytes(i, 0), r.Bytes(i, 1));
    return out;
  }

  // Sequence numbers are drawn when a row is inserted, not when its transaction commits, so a
  // row numbered 10 may become visible after one numbered 11. Every version carries the id of
  // the transaction that wrote it; the feed gives only versions of transactions older than the
  // oldest still running (all of which have ended), in transaction-id order: a later version
  // of one resource is written by a transaction that began after the earlier one's committed
  // (it waited for the resource's lock), so it comes later.
  Result<std::vector<Change>> Changes(ChangePosition after, int64_t limit,
                                      const std::string& type) override {
    KY_RETURN_IF_ERROR(Flush());
    KY_ASSIGN_OR_RETURN(
        PgResult r,
        Run(Statement("SELECT h.seq, h.type, h.id, h.version, h.last_updated, h.deleted, "
                      "h.method, h.body, h.xid FROM history h WHERE (h.xid, h.seq) > ($1, $2) "
                      "AND h.xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint "
                      "AND ($4 = '' OR h.type = $4) ORDER BY h.xid, h.seq LIMIT $3",
                      {after.txn, after.seq, limit, type}),
            true));
    KY_ASSIGN_OR_RETURN(std::vector<StoredResource> rows, AllDecoded(r));
    std::vector<Change> out;
    out.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      Change c;
      c.position = {r.Int(static_cast<int>(i), 8), rows[i].rid};
      rows[i].rid = 0;
      c.version = std::move(rows[i]);
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<ChangePosition> ChangeHead() override {
    ChangePosition head;
    KY_ASSIGN_OR_RETURN(
        head.txn,
        Scalar(Statement("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", {})));
    return head;
  }

  Status PutRecord(const std::string& kind, const std::string& key,
                   const std::string& value) override {
    return AfterLock(Key("record", kind + "/" + key),
                     Statement("INSERT INTO records (kind, key, value) VALUES ($1, $2, $3) "
                               "ON CONFLICT (kind, key) DO UPDATE SET value = EXCLUDED.value",
                               {kind, key, value}),
                     true)
        .status();
  }

  Status DeleteRecord(const std::string& kind, const std::string& key) override {
    return AfterLock(Key("record", kind + "/" + key),
                     Statement("DELETE FROM records WHERE kind = $1 AND key = $2", {kind, key}),
                     true)
        .status();
  }

  Status AddScheduledJob(const ScheduledJob& job) override {
    KY_ASSIGN_OR_RETURN(PgResult r, Run(job_sql::Insert(job, SqlDialect::kPostgres), true));
    return job_sql::Inserted(static_cast<size_t>(r.rows()), job);
  }

  Result<std::vector<std::string>> CompartmentPatients(const std::vector<int64_t>& rids) override {
    if (rids.empty()) return std::vector<std::string>();
    KY_RETURN_IF_ERROR(Flush());
    KY_ASSIGN_OR_RETURN(auto t,
                        Table(audit_sql::CompartmentPatients(rids, SqlDialect::kPostgres), "s"));
    return audit_sql::ToPatients(std::move(t));
  }

  Result<std::vector<AuditRow>> AuditRows(const AuditQuery& q) override {
    KY_ASSIGN_OR_RETURN(auto t,
                        Table(audit_sql::Rows(q, SqlDialect::kPostgres), audit_sql::kRowKinds));
    return audit_sql::ToRows(std::move(t));
  }

  Result<std::vector<AuditAgent>> AuditAgents(const std::vector<int64_t>& ids,
                                              const std::string& field,
                                              const std::string& value) override {
    KY_ASSIGN_OR_RETURN(auto t, Table(audit_sql::Agents(ids, field, value, SqlDialect::kPostgres),
                                      audit_sql::kAgentKinds));
    return audit_sql::ToAgents(std::move(t));
  }

  Result<std::vector<AuditSeal>> AuditSeals(int64_t after_last, int64_t count) override {
    KY_ASSIGN_OR_RETURN(auto t, Table(audit_sql::Seals(after_last, count, SqlDialect::kPostgres),
                                      audit_sql::kSealKinds));
    return audit_sql::ToSeals(std::move(t));
  }

  Result<std::optional<AuditSeal>> AuditHead() override {
    KY_ASSIGN_OR_RETURN(auto t,
                        Table(audit_sql::Head(SqlDialect::kPostgres), audit_sql::kSealKinds));
    return audit_sql::ToHead(std::move(t));
  }

  Result<std::vector<AuditArchive>> AuditArchives() override {
    KY_ASSIGN_OR_RETURN(
        auto t, Table(audit_sql::Archives(SqlDialect::kPostgres), audit_sql::kArchiveKinds));
    return audit_sql::ToArchives(std::move(t));
  }

  Result<std::vector<int64_t>> AuditArchivedSeqs(const AuditQuery& q,
                                                 int64_t archived_last) override {
    KY_ASSIGN_OR_RETURN(
        auto t, Table(audit_sql::ArchivedSeqs(q, archived_last, SqlDialect::kPostgres), "i"));
    return audit_sql::ToSeqs(std::move(t));
  }

  Result<int64_t> Write(const ResourceWrite& w) override;
  Status Reindex(int64_t rid, int64_t version, const IndexRows& rows) override;
  // Staged index rows go first, so that each belongs to the part that wrote it.
  Status Savepoint() override {
    KY_RETURN_IF_ERROR(Flush());
    if (dictionaries_) dictionaries_->Savepoint();
    keys_at_savepoint_ = new_keys_.size();
    locks_at_savepoint_ = locked_order_.size();
    gate_alone_at_savepoint_ = gate_alone_;
    return conn_->Exec("SAVEPOINT entry");
  }
  Status ReleaseSavepoint() override {
    KY_RETURN_IF_ERROR(Flush());
    return conn_->Exec("RELEASE entry");
  }
  Status RollbackToSavepoint() override;
  Status Commit() override;

 private:
  Result<audit_sql::Table> Table(const Sql& sql, std::string_view kinds) {
    KY_ASSIGN_OR_RETURN(PgResult r, Run(sql, false));
    return ToTable(r, kinds);
  }

  // The advisory lock key of `name` in `space`.
  static int64_t Key(std::string_view space, const std::string& name) {
    std::string keyed(space);
    keyed += '\0';
    keyed += name;
    return static_cast<int64_t>(Fnv1a(keyed) & 0x3FFFFFFFFFFFFFFFULL);
  }

  // The key of a search's exact question: its statement and values.
  static int64_t QuestionKey(const Sql& sql) {
    std::string question = sql.text;
    for (const SqlValue& v : sql.params) {
      question += '\0';
      if (auto* i = std::get_if<int64_t>(&v))
        question += std::to_string(*i);
      else if (auto* d = std::get_if<double>(&v))
        question += std::to_string(*d);
      else
        question += std::get<std::string>(v);
    }
    return Key("question", question);
  }

  // Runs `statement`, in a write transaction after taking the advisory lock `key` (held until
  // the transaction ends): both in one round trip, the statement after the lock, so that it
  // sees what an earlier holder committed. A read transaction takes no lock, and one held
  // already is not taken again. `prepare`: as PgConnection::Prepared.
  Result<PgResult> AfterLock(int64_t key, const Sql& statement, bool prepare) {
    if (!writes_ || locked_.count(key)) return Run(statement, prepare);
    KY_ASSIGN_OR_RETURN(
        PgResult r, Run(statement, prepare, Statement("SELECT pg_advisory_xact_lock($1)", {key})));
    locked_.insert(key);
    locked_order_.push_back(key);
    return r;
  }

  // Runs a statement of the transaction, after `before` (a lock, say) in one round trip; a
  // read transaction's BEGIN goes with its first one. `prepare`: as PgConnection::Prepared.
  // A statement not prepared (a search) is planned for its values: the connection's generic
  // plans (PgConnection::Open) are set aside for it alone, in the same round trip.
  Result<PgResult> Run(const Sql& sql, bool prepare, std::optional<Sql> before = std::nullopt) {
    std::vector<Sql> statements;
    if (!begun_)
      statements.push_back(Statement("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", {}));
    if (before) statements.push_back(std::move(*before));
    if (!prepare)
      statements.push_back(Statement("SET LOCAL plan_cache_mode = force_custom_plan", {}));
    size_t at = statements.size();
    statements.push_back(sql);
    if (!prepare)
      statements.push_back(Statement("SET LOCAL plan_cache_mode = force_generic_plan", {}));
    begun_ = true;  // whatever happens next, the transaction is ended (COMMIT) when done
    if (statements.size() == 1) return conn_->Prepared(sql.text, sql.params);
    KY_ASSIGN_OR_RETURN(std::vector<PgResult> results, conn_->Pipeline(statements, prepare));
    return std::move(results[at]);
  }

  // The statements below have a few shapes each and one good plan for any values (lookups by
  // key): prepared. Searches are not: their plans depend on the values.
  Result<std::optional<StoredResource>> One(const Sql& sql) {
    KY_ASSIGN_OR_RETURN(PgResult r, Run(sql, true));
    return OneDecoded(r);
  }

  // The rows of r, their bodies as written (store/body_codec.h). Defined after PostgresStore,
  // whose codec they use, as is EncodeBody.
  Result<std::vector<StoredResource>> AllDecoded(const PgResult& r);
  Result<std::optional<StoredResource>> OneDecoded(const PgResult& r) {
    KY_ASSIGN_OR_RETURN(std::vector<StoredResource> rows, AllDecoded(r));
    if (rows.empty()) return std::optional<StoredResource>();
    return std::optional<StoredResource>(std::move(rows.front()));
  }
  Result<std::string> EncodeBody(const ResourceWrite& w);

  Result<std::vector<int64_t>> Rids(const Sql& sql, bool prepared = false) {
    KY_ASSIGN_OR_RETURN(PgResult r, Run(sql, prepared));
    std::vector<int64_t> out;
    out.reserve(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.Int(i, 0));
    return out;
  }

  Result<int64_t> Scalar(const Sql& sql) {
    KY_ASSIGN_OR_RETURN(PgResult r, Run(sql, false));
    if (r.rows() != 1) return Internal("PostgreSQL: a count returned no row");
    return r.Int(0, 0);
  }

  // Index rows of written versions wait here and go to the database in one statement per
  // batch (a round trip per resource was most of a load's time): before anything in this
  // transaction reads index rows (a search, a count, an include) and at commit.
  // Stage replaces rid's index rows (those of its earlier version go first unless it is new).
  Status Stage(int64_t rid, const std::string& type, int64_t resident, const IndexRows* rows,
               bool is_new);
  Status Flush();
  // The statement that writes the staged rows, which are no longer staged.
  Sql TakeStaged();

  PostgresStore* store_;
  std::vector<int64_t> replaced_;                           // rids whose stored rows go
  std::vector<std::vector<std::vector<SqlValue>>> staged_;  // per table: rows, resident last
  std::unordered_set<int64_t> staged_rids_;
  size_t staged_rows_ = 0;
  std::unique_ptr<PgConnection> conn_;
  bool writes_ = false;
  bool begun_ = false;
  bool gate_alone_ = false;                           // holds kWriteGate alone
  std::optional<DictionariesInFlight> dictionaries_;  // made by the first one trained
  bool gate_alone_at_savepoint_ = false;
  // Advisory locks this transaction holds, and in the order taken: undoing a savepoint
  // releases those taken since.
  std::unordered_set<int64_t> locked_;
  std::vector<int64_t> locked_order_;
  size_t locks_at_savepoint_ = 0;
  // Parameter keys this transaction registered: known to other transactions once it commits.
  std::vector<std::pair<int64_t, std::string>> new_keys_;
  size_t keys_at_savepoint_ = 0;
  bool done_ = false;

  friend class PostgresStore;
};

class PostgresStore : public Store {
 public:
  explicit PostgresStore(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  Status Init() {
    KY_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, Acquire());
    Status st = Migrate(*c);
    // Indexes a load set aside and did not get to build (it was killed), unless it still runs.
    auto free =
        st.ok()
            ? c->Query("SELECT pg_try_advisory_lock(" + std::to_string(kBulkLoadLock) + ")::int")
            : Result<PgResult>(st);
    if (free.ok() && free->Int(0, 0) != 0) {
      st = BuildDeferredIndexes(*c);
      (void)c->Exec("SELECT pg_advisory_unlock(" + std::to_string(kBulkLoadLock) + ")");
    } else if (!free.ok()) {
      st = free.status();
    }
    Release(std::move(c));
    KY_RETURN_IF_ERROR(st);
    KY_ASSIGN_OR_RETURN(auto txn, BeginRead());
    return AdoptStoredDictionaries(codec_, *txn);
  }

  Result<std::unique_ptr<ReadTransaction>> BeginRead() override {
    KY_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, Acquire());
    return std::unique_ptr<ReadTransaction>(new PgTransaction(this, std::move(c), false));
  }

  Result<std::unique_ptr<AuditAppend>> BeginAuditAppend(bool durable) override {
    KY_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, Acquire());
    auto append = std::make_unique<PgAuditAppend>(this, std::move(c));
    KY_RETURN_IF_ERROR(append->Begin(durable));
    return std::unique_ptr<AuditAppend>(std::move(append));
  }

  Result<std::unique_ptr<WriteTransaction>> BeginWrite() override { return OpenWrite(false); }
  Result<std::unique_ptr<WriteTransaction>> BeginWriteAlone() override { return OpenWrite(true); }

  Status SaveResultSet(const std::string& id, std::vector<int64_t> rids,
                       int64_t expires_at) override {
    std::string list = "{";
    for (size_t i = 0; i < rids.size(); ++i) {
      if (i) list += ',';
      list += std::to_string(rids[i]);
    }
    list += '}';
    KY_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, Acquire());
    auto r = c->Query(
        "INSERT INTO result_sets VALUES ($1, $2::bigint[], $3) ON CONFLICT (id) DO UPDATE "
        "SET rids = excluded.rids, expires_at = excluded.expires_at",
        {id, list, expires_at});
    // Expired lists go now and then; the index on expires_at makes that a short range scan.
    if (r.ok() && ++saves_ % 64 == 0)
      r = c->Query("DELETE FROM result_sets WHERE expires_at < $1",
                   {expires_at - kResultSetLifetimeBound});
    Release(std::move(c));
    return r.ok() ? Status::Ok() : r.status();
  }

  Result<std::optional<std::vector<int64_t>>> ReadResultSet(const std::string& id, int64_t offset,
                                                            int64_t count, int64_t now) override {
    if (offset < 0 || count <= 0 || offset > INT32_MAX - count)
      return std::optional<std::vector<int64_t>>(std::vector<int64_t>{});
    auto r = QueryOnce(
        "SELECT expires_at, array_to_string(rids[$2::int:$3::int], ',') FROM result_sets "
        "WHERE id = $1",
        {id, offset + 1, offset + count});
    if (!r.ok()) return r.status();
    if (r->rows() == 0 || r->Int(0, 0) < now) return std::optional<std::vector<int64_t>>();
    std::vector<int64_t> rids;
    for (const std::string& part : Split(r->Bytes(0, 1), ','))
      if (!part.empty()) rids.push_back(std::stoll(part));
    return std::optional<std::vector<int64_t>>(std::move(rids));
  }

  Status PutJob(const JobRecord& job) override {
    return Run(
        "INSERT INTO jobs VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE "
        "SET state = excluded.state, updated = excluded.updated",
        {job.id, job.state, job.updated});
  }

  Result<std::optional<JobRecord>> GetJob(const std::string& id) override {
    KY_ASSIGN_OR_RETURN(std::vector<JobRecord> jobs,
                        Jobs("SELECT id, state, updated FROM jobs WHERE id = $1", {id}));
    if (jobs.empty()) return std::optional<JobRecord>();
    return std::optional<JobRecord>(std::move(jobs[0]));
  }

  Status DeleteJob(const std::string& id) override {
    return Run("DELETE FROM jobs WHERE id = $1", {id});
  }

  Result<std::vector<JobRecord>> ListJobs() override {
    return Jobs("SELECT id, state, updated FROM jobs", {});
  }

  // PostgreSQL loads through the ordinary write path (its indexes stay), and refreshes its
  // planner statistics at the end: until autovacuum gets to a freshly loaded database, the
  // planner would guess table sizes and choose joins that scan whole tables.
  // Into an empty database, the lookup indexes of the search tables are set aside (their
  // definitions kept in deferred_indexes) and built once at the end: growing a B-tree row by
  // row costs more than building it by sorting, the more the larger it grows. The indexes by
  // row id stay, for the rows a second version of a resource replaces. The load's connection
  // holds kBulkLoadLock meanwhile: a process that opens the database while no load holds it
  // builds what a crashed load left aside. Into a database that holds resources, the indexes
  // stay and only the statistics are refreshed at the end.
  Result<bool> BeginBulkLoad() override {
    KY_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, PgConnection::Open(conninfo_));
    // Another load runs (and has set the indexes aside, or found resources): this one loads
    // alongside, and leaves the building to it.
    KY_ASSIGN_OR_RETURN(PgResult mine, c->Query("SELECT pg_try_advisory_lock(" +
                                                std::to_string(kBulkLoadLock) + ")::int"));
    if (mine.Int(0, 0) == 0) return true;
    // Alone among writers while it looks and drops (DROP INDEX waits for readers of the table).
    Status st = c->Exec("BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kWriteGate) + ")");
    auto empty = st.ok() ? c->Query("SELECT (NOT EXISTS (SELECT 1 FROM resources))::int")
                         : Result<PgResult>(st);
    if (empty.ok() && empty->Int(0, 0) != 0) {
      st = c->Exec(
          "INSERT INTO deferred_indexes SELECT indexname, indexdef FROM pg_indexes "
          "WHERE schemaname = current_schema() "
          "AND (tablename LIKE 'idx\\_%' OR tablename = 'compartment') "
          "AND indexname NOT LIKE '%\\_rid' ON CONFLICT (name) DO NOTHING");
      KY_ASSIGN_OR_RETURN(PgResult names, c->Query("SELECT name FROM deferred_indexes"));
      for (int i = 0; i < names.rows() && st.ok(); ++i)
        st = c->Exec("DROP INDEX IF EXISTS \"" + names.Bytes(i, 0) + "\"");
      if (st.ok()) st = c->Exec("COMMIT");
      if (st.ok()) {
        bulk_conn_ = std::move(c);  // keeps kBulkLoadLock until EndBulkLoad
        return true;
      }
    } else if (!empty.ok()) {
      st = empty.status();
    }
    (void)c->Exec("ROLLBACK");
    KY_RETURN_IF_ERROR(st);
    return true;  // the indexes stay: the database holds resources
  }

  Status EndBulkLoad() override {
    KY_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, Acquire());
    Status st = bulk_conn_ ? BuildDeferredIndexes(*c) : Status::Ok();
    if (st.ok()) st = c->Exec("ANALYZE");
    Release(std::move(c));
    bulk_conn_.reset();  // gives up kBulkLoadLock
    return st;
  }

  Result<std::vector<StoredResource>> ScanCurrent(const std::vector<std::string>& types,
                                                  int64_t after_rid, int64_t count) override {
    Sql sql = SqlBuilder(SqlDialect::kPostgres).ScanCurrent(types, after_rid, count);
    auto r = QueryOnce(sql.text, sql.params);
    if (!r.ok()) return r.status();
    std::vector<StoredResource> rows = AllStored(*r);
    // A dictionary another process stored is read in a transaction of its own.
    KY_RETURN_IF_ERROR(
        DecodeBodies(codec_, rows, [this](uint32_t id) -> Result<std::optional<BodyDictionary>> {
          KY_ASSIGN_OR_RETURN(auto txn, BeginRead());
          return FetchDictionary(*txn, id);
        }));
    return rows;
  }

  BodyCodec& codec() { return codec_; }

  // The key of (type, param), registered in `params` on first use by `txn`. The cache holds
  // only keys known committed: a transaction's own go in once it commits.
  Result<int64_t> KeyFor(PgTransaction& txn, const std::string& type, const std::string& param) {
    int64_t pid = ParamKey(type, param);
    std::string pair = type + "|" + param;
    {
      std::lock_guard lock(keys_mu_);
      auto it = keys_.find(pid);
      if (it != keys_.end()) {
        if (it->second != pair)
          return Internal("search parameters " + it->second + " and " + pair +
                          " have the same key");
        return pid;
      }
    }
    for (const auto& [known, known_pair] : txn.new_keys_)
      if (known == pid && known_pair == pair) return pid;
    PgConnection& conn = *txn.conn_;
    KY_ASSIGN_OR_RETURN(
        PgResult r,
        conn.Query("INSERT INTO params VALUES ($1, $2, $3) ON CONFLICT (pid) DO NOTHING",
                   {pid, type, param}));
    KY_ASSIGN_OR_RETURN(
        r, conn.Query("SELECT type || '|' || param FROM params WHERE pid = $1", {pid}));
    std::string stored = r.rows() ? r.Bytes(0, 0) : "";
    if (stored != pair)
      return Internal("search parameters " + stored + " and " + pair + " have the same key");
    txn.new_keys_.emplace_back(pid, std::move(pair));
    return pid;
  }

  void RememberKeys(std::vector<std::pair<int64_t, std::string>>& keys) {
    std::lock_guard lock(keys_mu_);
    for (auto& [pid, pair] : keys) keys_.emplace(pid, std::move(pair));
    keys.clear();
  }

  // One statement on a pooled connection, outside any transaction.
  Result<PgResult> QueryOnce(const std::string& sql, const std::vector<SqlValue>& params) {
    KY_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, Acquire());
    auto r = c->Query(sql, params);
    Release(std::move(c));
    return r;
  }
  Status Run(const std::string& sql, const std::vector<SqlValue>& params) {
    return QueryOnce(sql, params).status();
  }

  Result<std::vector<JobRecord>> Jobs(const std::string& sql, const std::vector<SqlValue>& params) {
    auto r = QueryOnce(sql, params);
    if (!r.ok()) return r.status();
    std::vector<JobRecord> out;
    for (int i = 0; i < r->rows(); ++i)
      out.push_back(JobRecord{r->Bytes(i, 0), r->Bytes(i, 1), r->Int(i, 2)});
    return out;
  }

  // The job runner's statements: each one statement on a pooled connection, outside any
  // transaction (a claim is one UPDATE that skips rows other claims hold).
  Result<audit_sql::Table> RunJobStatement(const Sql& sql, std::string_view kinds) {
    KY_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, Acquire());
    auto t = RunTable(*c, sql, kinds);
    Release(std::move(c));
    return t;
  }

  Status AddScheduledJob(const ScheduledJob& job) override {
    KY_ASSIGN_OR_RETURN(auto t, RunJobStatement(job_sql::Insert(job, SqlDialect::kPostgres), "s"));
    return job_sql::Inserted(t.size(), job);
  }

  Result<std::optional<ScheduledJob>> ClaimScheduledJob(const std::vector<std::string>& kinds,
                                                        const std::string& owner, int64_t now,
                                                        int64_t lease_until) override {
    KY_ASSIGN_OR_RETURN(auto t, RunJobStatement(job_sql::Claim(kinds, owner, now, lease_until,
                                                               SqlDialect::kPostgres),
                                                job_sql::kJobKinds));
    return job_sql::ToJob(std::move(t));
  }

  Result<bool> UpdateScheduledJob(const ScheduledJob& job) override {
    KY_ASSIGN_OR_RETURN(auto t, RunJobStatement(job_sql::Update(job, SqlDialect::kPostgres), "s"));
    return !t.empty();
  }

  Result<bool> CancelScheduledJob(const std::string& id, int64_t now) override {
    KY_ASSIGN_OR_RETURN(auto t,
                        RunJobStatement(job_sql::Cancel(id, now, SqlDialect::kPostgres), "s"));
    return !t.empty();
  }

  Result<std::optional<ScheduledJob>> GetScheduledJob(const std::string& id) override {
    KY_ASSIGN_OR_RETURN(
        auto t, RunJobStatement(job_sql::Get(id, SqlDialect::kPostgres), job_sql::kJobKinds));
    return job_sql::ToJob(std::move(t));
  }

  Result<std::vector<ScheduledJob>> ListScheduledJobs(const std::string& kind,
                                                      int64_t limit) override {
    KY_ASSIGN_OR_RETURN(auto t, RunJobStatement(job_sql::List(kind, limit, SqlDialect::kPostgres),
                                                job_sql::kJobKinds));
    return job_sql::ToJobs(std::move(t));
  }

  Result<std::unique_ptr<PgConnection>> Acquire() {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [&] { return !idle_.empty() || open_ < kMaxConnections; });
    if (!idle_.empty()) {
      std::unique_ptr<PgConnection> c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    ++open_;
    lock.unlock();
    auto c = PgConnection::Open(conninfo_);
    if (!c.ok()) {
      lock.lock();
      --open_;
      pool_cv_.notify_one();
    }
    return c;
  }

  // A connection back to the pool; a broken one (or one left inside a transaction) is closed.
  // One the server broke off (a restart, a failover to another host) closes the idle ones
  // too, since they are most likely broken the same way and each would fail a request.
  void Release(std::unique_ptr<PgConnection> c) {
    std::vector<std::unique_ptr<PgConnection>> closing;
    {
      std::lock_guard lock(pool_mu_);
      if (c->Healthy()) {
        idle_.push_back(std::move(c));
      } else {
        --open_;
        if (c->Lost()) {
          open_ -= static_cast<int>(idle_.size());
          closing.swap(idle_);
        }
      }
      pool_cv_.notify_all();
    }
    // Closed here, outside the lock (`c` when it was not kept, then the idle ones).
  }

 private:
  // Builds the indexes in deferred_indexes, each in a transaction of its own, so that what
  // was built stays built if this is interrupted too.
  Status BuildDeferredIndexes(PgConnection& c) {
    KY_ASSIGN_OR_RETURN(PgResult pending, c.Query("SELECT name, definition FROM deferred_indexes"));
    if (pending.rows() > 0)
      Log(LogLevel::kInfo, "building " + std::to_string(pending.rows()) + " deferred indexes");
    for (int i = 0; i < pending.rows(); ++i) {
      std::string name = pending.Bytes(i, 0);
      Status st = c.Exec("BEGIN; DROP INDEX IF EXISTS \"" + name + "\"; " + pending.Bytes(i, 1));
      if (st.ok()) st = c.Query("DELETE FROM deferred_indexes WHERE name = $1", {name}).status();
      if (st.ok()) st = c.Exec("COMMIT");
      if (!st.ok()) {
        (void)c.Exec("ROLLBACK");
        return st;
      }
    }
    return Status::Ok();
  }

  Status Migrate(PgConnection& c) {
    // One process migrates at a time; the others wait and then find the work done.
    KY_RETURN_IF_ERROR(c.Exec("SELECT pg_advisory_lock(" + std::to_string(kMigrateLock) + ")"));
    Status st = MigrateLocked(c);
    (void)c.Exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrateLock) + ")");
    return st;
  }

  Status MigrateLocked(PgConnection& c) {
    KY_RETURN_IF_ERROR(
        c.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
    KY_ASSIGN_OR_RETURN(PgResult r,
                        c.Query("SELECT coalesce(max(version), 0) FROM schema_version"));
    int64_t current = r.Int(0, 0);
    const auto& migrations = postgres_schema::Migrations();
    if (current > static_cast<int64_t>(migrations.size()))
      return Internal("database schema version " + std::to_string(current) +
                      " is newer than this Kangyun supports (" + std::to_string(migrations.size()) +
                      "); upgrade Kangyun");
    for (size_t v = static_cast<size_t>(current); v < migrations.size(); ++v) {
      Log(LogLevel::kInfo, "PostgreSQL schema: migrating to version " + std::to_string(v + 1));
      Status st =
          c.Exec(std::string("BEGIN;\n") + migrations[v] + "\nINSERT INTO schema_version VALUES (" +
                 std::to_string(v + 1) + ");\nCOMMIT;");
      if (!st.ok()) {
        (void)c.Exec("ROLLBACK");
        return st;
      }
    }
    // The audit log's schema (store/audit_log_sql.h), made when missing.
    return c.Exec(audit_sql::Schema(SqlDialect::kPostgres));
  }

  // A process answers with a few request threads; each holds one connection at a time (a
  // write's review borrows a second briefly), and the audit writer, paging and scans one each.
  static constexpr int kMaxConnections = 24;
  // Paging lists live minutes; a list this far past expiry is certainly unused.
  static constexpr int64_t kResultSetLifetimeBound = 3'600'000'000;  // an hour, in micros

  std::string conninfo_;
  Result<std::unique_ptr<WriteTransaction>> OpenWrite(bool alone) {
    KY_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> c, Acquire());
    Status st = c->Exec(std::string("BEGIN; SELECT pg_advisory_xact_lock") +
                        (alone ? "" : "_shared") + "(" + std::to_string(kWriteGate) + ")");
    if (!st.ok()) {
      (void)c->Exec("ROLLBACK");
      Release(std::move(c));
      return st;
    }
    auto txn = std::make_unique<PgTransaction>(this, std::move(c), true);
    txn->gate_alone_ = alone;
    return std::unique_ptr<WriteTransaction>(std::move(txn));
  }

  BodyCodec codec_;
  std::unique_ptr<PgConnection> bulk_conn_;  // a load's, holding kBulkLoadLock
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // connections open, idle or in use; guarded by pool_mu_
  std::mutex keys_mu_;
  std::unordered_map<int64_t, std::string> keys_;  // pid -> "type|param"; guarded by keys_mu_
  std::atomic<uint64_t> saves_{0};
};

Result<std::vector<StoredResource>> PgTransaction::AllDecoded(const PgResult& r) {
  std::vector<StoredResource> rows = AllStored(r);
  KY_RETURN_IF_ERROR(DecodeBodies(store_->codec(), rows,
                                  [this](uint32_t id) { return FetchDictionary(*this, id); }));
  return rows;
}

Result<std::string> PgTransaction::EncodeBody(const ResourceWrite& w) {
  return EncodeInTransaction(store_->codec(), w.type, w.body, &dictionaries_, *this);
}

Result<int64_t> PgTransaction::Write(const ResourceWrite& w) {
  if (!writes_) return Internal("write in a read transaction");
  if (w.type == "SearchParameter" && !gate_alone_) {
    KY_RETURN_IF_ERROR(conn_->Prepared("SELECT pg_advisory_xact_lock($1)", {kWriteGate}).status());
    gate_alone_ = true;
  }
  int64_t resident = ResidentOf(w);
  KY_ASSIGN_OR_RETURN(std::string body, EncodeBody(w));
  if (w.deleted) {
    // A deletion marker stays with the resident of the version it ends.
    KY_ASSIGN_OR_RETURN(
        PgResult r, conn_->Prepared("SELECT resident FROM resources WHERE type = $1 AND id = $2",
                                    {w.type, w.id}));
    if (r.rows()) resident = r.Int(0, 0);
  }
  // The version goes into history and becomes the current row in one round trip.
  KY_ASSIGN_OR_RETURN(
      PgResult r,
      conn_->Prepared(
          "WITH h AS (INSERT INTO history (type, id, version, last_updated, deleted, method, body, "
          "resident) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq) "
          "INSERT INTO resources (type, id, version, last_updated, deleted, seq, resident) "
          "SELECT $1, $2, $3, $4, $5, h.seq, $8 FROM h ON CONFLICT (type, id) DO UPDATE SET "
          "version = excluded.version, last_updated = excluded.last_updated, "
          "deleted = excluded.deleted, seq = excluded.seq, resident = excluded.resident "
          "RETURNING rid",
          {w.type, w.id, w.version, w.last_updated, int64_t{w.deleted}, w.method, body, resident},
          /*bytea_param=*/6));
  if (r.rows() != 1) return Internal("PostgreSQL: writing a resource returned no row");
  int64_t rid = r.Int(0, 0);
  // Only a first version has no index rows to replace (a re-creation continues the versions).
  KY_RETURN_IF_ERROR(Stage(rid, w.type, resident, w.deleted ? nullptr : &w.index, w.version == 1));
  return rid;
}

// The locks in one statement, taken in key order so that two loads of overlapping resources
// cannot each hold what the other waits for; the rows in another, in the same round trip.
Result<std::vector<std::optional<StoredResource>>> PgTransaction::ReadCurrentOfEach(
    const std::vector<std::pair<std::string, std::string>>& keys) {
  std::vector<int64_t> lock;
  if (writes_) {
    for (const auto& [type, id] : keys) {
      int64_t key = Key("resource", type + "/" + id);
      if (locked_.insert(key).second) {
        locked_order_.push_back(key);
        lock.push_back(key);
      }
    }
  }
  std::optional<Sql> take_locks;
  if (!lock.empty()) {
    std::sort(lock.begin(), lock.end());
    std::vector<std::vector<SqlValue>> column;
    for (int64_t key : lock) column.push_back({key});
    take_locks = Statement(
        "SELECT count(pg_advisory_xact_lock(k)) FROM "
        "(SELECT k FROM unnest($1::bigint[]) AS k ORDER BY k) AS sorted",
        {ArrayLiteral(column, 0)});
  }
  std::vector<std::vector<SqlValue>> rows;
  for (const auto& [type, id] : keys) rows.push_back({type, id});
  KY_ASSIGN_OR_RETURN(
      PgResult r,
      Run(Statement("SELECT r.rid, r.type, r.id, r.version, r.last_updated, r.deleted, h.method, "
                    "h.body FROM resources r JOIN history h ON h.seq = r.seq "
                    "WHERE (r.type, r.id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
                    {ArrayLiteral(rows, 0), ArrayLiteral(rows, 1)}),
          true, std::move(take_locks)));
  std::unordered_map<std::string, StoredResource> found;
  KY_ASSIGN_OR_RETURN(std::vector<StoredResource> current, AllDecoded(r));
  for (StoredResource& s : current) {
    std::string key = s.type + '/' + s.id;
    found.emplace(std::move(key), std::move(s));
  }
  std::vector<std::optional<StoredResource>> out;
  out.reserve(keys.size());
  for (const auto& [type, id] : keys) {
    auto it = found.find(type + '/' + id);
    if (it == found.end())
      out.emplace_back();
    else
      out.emplace_back(std::move(it->second));
  }
  return out;
}

// Versions that are neither deletions nor SearchParameters go into history and become current
// rows in one statement of column arrays; others, one by one.
Result<std::vector<int64_t>> PgTransaction::WriteEach(const std::vector<ResourceWrite>& writes) {
  if (!writes_) return Internal("write in a read transaction");
  std::unordered_map<std::string, size_t> at;  // "type/id" -> index in writes
  for (size_t n = 0; n < writes.size(); ++n) {
    const ResourceWrite& w = writes[n];
    if (w.deleted || w.type == "SearchParameter" || !at.emplace(w.type + '/' + w.id, n).second ||
        writes.size() < 2)
      return WriteTransaction::WriteEach(writes);
  }
  std::vector<std::vector<SqlValue>> rows;
  for (const ResourceWrite& w : writes) {
    auto& row = rows.emplace_back();
    row.reserve(7);
    row.emplace_back(w.type);
    row.emplace_back(w.id);
    row.emplace_back(int64_t{w.version});
    row.emplace_back(int64_t{w.last_updated});
    row.emplace_back(w.method);
    KY_ASSIGN_OR_RETURN(std::string body, EncodeBody(w));
    row.emplace_back(Hex(body));
    row.emplace_back(ResidentOf(w));
  }
  std::vector<SqlValue> params;
  for (int c = 0; c < 7; ++c)
    params.emplace_back(std::in_place_type<std::string>, ArrayLiteral(rows, c));
  // The bodies (compressed: bytes) travel as hex in a text array.
  KY_ASSIGN_OR_RETURN(
      PgResult r,
      conn_->Prepared(
          "WITH h AS (INSERT INTO history (type, id, version, last_updated, deleted, method, "
          "body, resident) SELECT t, i, v, u, 0, m, decode(b, 'hex'), p FROM "
          "unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], "
          "$7::bigint[]) AS v(t, i, v, u, m, b, p) RETURNING seq, type, id, version, "
          "last_updated, resident) "
          "INSERT INTO resources (type, id, version, last_updated, deleted, seq, resident) "
          "SELECT type, id, version, last_updated, 0, seq, resident FROM h "
          "ON CONFLICT (type, id) DO UPDATE SET version = excluded.version, "
          "last_updated = excluded.last_updated, deleted = excluded.deleted, "
          "seq = excluded.seq, resident = excluded.resident RETURNING rid, type, id",
          std::move(params)));
  if (r.rows() != static_cast<int>(writes.size()))
    return Internal("PostgreSQL: writing resources returned " + std::to_string(r.rows()) +
                    " rows for " + std::to_string(writes.size()));
  std::vector<int64_t> rids(writes.size());
  for (int i = 0; i < r.rows(); ++i) rids[at.at(r.Bytes(i, 1) + '/' + r.Bytes(i, 2))] = r.Int(i, 0);
  for (size_t n = 0; n < writes.size(); ++n) {
    const ResourceWrite& w = writes[n];
    KY_RETURN_IF_ERROR(
        Stage(rids[n], w.type, std::get<int64_t>(rows[n][6]), &w.index, w.version == 1));
  }
  return rids;
}

// The row lock (FOR UPDATE) keeps a concurrent write of the resource out until this commits;
// one that committed first wrote a later version, indexed already, and the row is left alone.
Status PgTransaction::Reindex(int64_t rid, int64_t version, const IndexRows& rows) {
  KY_ASSIGN_OR_RETURN(PgResult r,
                      conn_->Query("SELECT type, resident FROM resources WHERE rid = $1 "
                                   "AND version = $2 AND deleted = 0 FOR UPDATE",
                                   {rid, version}));
  if (r.rows() == 0) return Status::Ok();  // written or deleted since
  return Stage(rid, r.Bytes(0, 0), r.Int(0, 1), &rows, /*is_new=*/false);
}

Status PgTransaction::Stage(int64_t rid, const std::string& type, int64_t resident,
                            const IndexRows* rows, bool is_new) {
  if (!is_new) replaced_.push_back(rid);
  if (staged_rids_.count(rid)) {
    // Written twice in this transaction: the rows of the first write never reach the store.
    for (auto& table : staged_) {
      size_t before = table.size();
      std::erase_if(table, [rid](const std::vector<SqlValue>& row) {
        return std::get<int64_t>(row[0]) == rid;
      });
      staged_rows_ -= before - table.size();
    }
  }
  static const IndexRows kNone;
  KY_ASSIGN_OR_RETURN(std::vector<TableRows> tables,
                      ToTableRows(rid, rows ? *rows : kNone, [&](const std::string& param) {
                        return store_->KeyFor(*this, type, param);
                      }));
  staged_.resize(tables.size());
  for (size_t t = 0; t < tables.size(); ++t) {
    for (auto& row : tables[t].rows) {
      row.emplace_back(std::in_place_index<0>, resident);
      staged_[t].push_back(std::move(row));
      ++staged_rows_;
    }
  }
  staged_rids_.insert(rid);
  // A bound on the statement (and on memory) for transactions that write a great deal.
  constexpr size_t kMaxStagedRows = 50'000;
  return staged_rows_ > kMaxStagedRows ? Flush() : Status::Ok();
}

Status PgTransaction::Flush() {
  if (staged_rows_ == 0 && replaced_.empty()) return Status::Ok();
  Sql staged = TakeStaged();
  return conn_->Prepared(staged.text, staged.params).status();
}

Sql PgTransaction::TakeStaged() {
  std::vector<SqlValue> params;
  uint32_t mask = 0;
  if (!replaced_.empty()) {
    std::string replaced = "{";
    for (size_t n = 0; n < replaced_.size(); ++n)
      replaced += (n ? "," : "") + std::to_string(replaced_[n]);
    replaced += '}';
    params.emplace_back(std::in_place_type<std::string>, std::move(replaced));
    mask |= 1;
  }
  staged_.resize(IndexRowTables().size());
  for (size_t t = 0; t < staged_.size(); ++t) {
    if (staged_[t].empty()) continue;
    mask |= 2u << t;
    int columns = static_cast<int>(IndexColumnTypes()[t].size()) + 2;  // rid, ..., resident
    for (int c = 0; c < columns; ++c) params.push_back(ArrayLiteral(staged_[t], c));
  }
  Sql sql = Statement(IndexRowsStatement(mask), std::move(params));
  replaced_.clear();
  for (auto& table : staged_) table.clear();
  staged_rids_.clear();
  staged_rows_ = 0;
  return sql;
}

Status PgTransaction::RollbackToSavepoint() {
  replaced_.clear();
  for (auto& table : staged_) table.clear();
  staged_rids_.clear();
  staged_rows_ = 0;
  new_keys_.resize(keys_at_savepoint_);
  gate_alone_ = gate_alone_at_savepoint_;
  if (dictionaries_) dictionaries_->RollbackToSavepoint();
  while (locked_order_.size() > locks_at_savepoint_) {
    locked_.erase(locked_order_.back());
    locked_order_.pop_back();
  }
  KY_RETURN_IF_ERROR(conn_->Exec("ROLLBACK TO entry"));
  return conn_->Exec("RELEASE entry");
}

// The staged index rows and the COMMIT go in one round trip.
Status PgTransaction::Commit() {
  if (!writes_) return Internal("commit of a read transaction");
  std::vector<Sql> statements;
  if (staged_rows_ > 0 || !replaced_.empty()) statements.push_back(TakeStaged());
  statements.push_back(Statement("COMMIT", {}));
  size_t failed_at = 0;
  auto committed = conn_->Pipeline(statements, true, &failed_at);
  if (!committed.ok() && failed_at + 1 < statements.size())
    return committed.status();  // the COMMIT did not run: the destructor rolls back
  done_ = true;
  // Whether a COMMIT whose answer was lost took effect cannot be known here.
  if (!committed.ok()) return {StatusCode::kUnavailable, "The store failed to commit; retry"};
  store_->RememberKeys(new_keys_);
  return dictionaries_ ? dictionaries_->Committed() : Status::Ok();
}

PgAuditAppend::~PgAuditAppend() {
  if (!done_) (void)conn_->Exec("ROLLBACK");
  store_->Release(std::move(conn_));
}

PgTransaction::~PgTransaction() {
  if (writes_) {
    if (!done_) (void)conn_->Exec("ROLLBACK");
  } else if (begun_) {
    conn_->CommitLater();  // its answer is read when the connection is next used
  }
  store_->Release(std::move(conn_));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo) {
  auto store = std::make_unique<PostgresStore>(conninfo);
  KY_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace kangyun::store
