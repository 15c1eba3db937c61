#include "store/postgres/pg_connection.h"

#include <endian.h>
#include <libpq-fe.h>

#include <cstring>
#include <optional>

#include "base/log.h"

namespace kangyun::store {
namespace {

// Type OIDs of the values this store binds (pg_type.h, which only the server headers ship).
constexpr Oid kByteaOid = 17, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kTextOid = 25,
              kFloat8Oid = 701;

// Whether a failed statement may succeed if the client tries again: the server is going
// away or out of resources.
bool Transient(const std::string& sqlstate) {
  return sqlstate.starts_with("08") || sqlstate.starts_with("53") || sqlstate.starts_with("57P");
}

// Whether the server chose this transaction as a deadlock or serialisation victim: the whole
// transaction may be run again.
bool Aborted(const std::string& sqlstate) { return sqlstate == "40001" || sqlstate == "40P01"; }

// libpq's message on one line: it puts a line for each host it tried, and its hints, on lines
// of their own, which would break the log's one line per event.
std::string OneLine(std::string msg) {
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::string out;
  for (char ch : msg) {
    if (ch == '\n')
      out += "; ";
    else if (ch != '\t')
      out += ch;
  }
  return out;
}

// While the database is down or failing over, every request meets it.
ThrottledLog& UnreachableLog() {
  static ThrottledLog log(LogLevel::kWarning);
  return log;
}

}  // namespace

PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (r_) PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}

PgResult::~PgResult() {
  if (r_) PQclear(r_);
}

int PgResult::rows() const { return PQntuples(r_); }

bool PgResult::IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }

int64_t PgResult::Int(int row, int col) const {
  if (PQgetisnull(r_, row, col)) return 0;
  const char* p = PQgetvalue(r_, row, col);
  switch (PQftype(r_, col)) {
    case kInt2Oid: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return static_cast<int16_t>(be16toh(v));
    }
    case kInt4Oid: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return static_cast<int32_t>(be32toh(v));
    }
    default: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      return static_cast<int64_t>(be64toh(v));
    }
  }
}

std::string PgResult::Bytes(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& conninfo) {
  pg_conn* c = PQconnectdb(conninfo.c_str());
  if (!c) return Status(StatusCode::kUnavailable, "PostgreSQL: out of memory");
  if (PQstatus(c) != CONNECTION_OK) {
    // The hosts tried and why each failed go to the log, not to the client.
    UnreachableLog()("cannot connect to PostgreSQL: " + OneLine(PQerrorMessage(c)));
    PQfinish(c);
    return Status(StatusCode::kUnavailable, "The store is unreachable; retry the request");
  }
  auto conn = std::unique_ptr<PgConnection>(new PgConnection(c));
  // Notices (e.g. "relation already exists, skipping") are not the server's log.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  // Statements keep one generic plan: those prepared are the fixed lookups by key, whose one
  // plan serves every value, and planning them anew for each execution (PostgreSQL's custom
  // plans, while it compares) was a fifth of all CPU time under a write load and a quarter of
  // reads by id. A search, whose best plan depends on its values, asks for a custom plan
  // for itself (PgTransaction::Run).
  KY_RETURN_IF_ERROR(conn->Exec("SET plan_cache_mode = force_generic_plan"));
  return conn;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::Healthy() const {
  return PQstatus(conn_) == CONNECTION_OK &&
         (commit_pending_ || PQtransactionStatus(conn_) == PQTRANS_IDLE);
}

bool PgConnection::Lost() const { return PQstatus(conn_) != CONNECTION_OK; }

void PgConnection::CommitLater() {
  Settle();
  commit_pending_ = PQsendQuery(conn_, "COMMIT") == 1;
}

void PgConnection::Settle() {
  if (!commit_pending_) return;
  commit_pending_ = false;
  while (pg_result* r = PQgetResult(conn_)) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      Log(LogLevel::kWarning, std::string("PostgreSQL: ending a read: ") + PQresultErrorMessage(r));
    PQclear(r);
  }
}

Status PgConnection::Error(pg_result* r, const std::string& what) const {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  std::string msg = OneLine(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
  if (r) PQclear(r);
  if (sqlstate.empty() && PQstatus(conn_) != CONNECTION_OK) sqlstate = "08000";
  if (Aborted(sqlstate))
    return {StatusCode::kAborted,
            "The request met another one writing the same data at the same time; retry it"};
  if (Transient(sqlstate)) {
    UnreachableLog()(what + ": " + msg);
    return {StatusCode::kUnavailable, "The store is busy or unreachable; retry the request"};
  }
  // Text that is not UTF-8 (or holds NUL) in a search value: the client's error.
  if (sqlstate == "22021" || sqlstate == "22P05") return Invalid("a value is not valid UTF-8 text");
  return Internal(what + ": " + msg + (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")"));
}

Result<PgResult> PgConnection::Query(const std::string& sql, const std::vector<SqlValue>& params,
                                     int bytea_param) {
  return Run(sql, params, bytea_param, false);
}

Result<PgResult> PgConnection::Prepared(const std::string& sql, const std::vector<SqlValue>& params,
                                        int bytea_param) {
  return Run(sql, params, bytea_param, true);
}

namespace {

// Values bound in binary, as libpq takes them; points into `params`, which must outlive it.
struct Bound {
  Bound(const std::vector<SqlValue>& params, int bytea_param)
      : n(params.size()), types(n), values(n), lengths(n), formats(n, 1), numbers(n) {
    for (size_t i = 0; i < n; ++i) {
      const SqlValue& v = params[i];
      if (auto* x = std::get_if<int64_t>(&v)) {
        numbers[i] = htobe64(static_cast<uint64_t>(*x));
        types[i] = kInt8Oid;
      } else if (auto* d = std::get_if<double>(&v)) {
        uint64_t bits;
        std::memcpy(&bits, d, 8);
        numbers[i] = htobe64(bits);
        types[i] = kFloat8Oid;
      } else {
        const std::string& s = std::get<std::string>(v);
        values[i] = s.data();
        lengths[i] = static_cast<int>(s.size());
        types[i] = static_cast<int>(i) == bytea_param ? kByteaOid : kTextOid;
        continue;
      }
      values[i] = reinterpret_cast<const char*>(&numbers[i]);
      lengths[i] = 8;
    }
  }
  size_t n;
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  std::vector<uint64_t> numbers;  // big-endian copies of integers and doubles
};

}  // namespace

Result<PgResult> PgConnection::Run(const std::string& sql, const std::vector<SqlValue>& params,
                                   int bytea_param, bool prepared) {
  Settle();
  Bound b(params, bytea_param);
  int n = static_cast<int>(b.n);
  pg_result* r;
  const std::string* name = nullptr;
  if (prepared) {
    KY_ASSIGN_OR_RETURN(name, PrepareOnce(sql, b.types));
  }
  if (name) {
    r = PQexecPrepared(conn_, name->c_str(), n, b.values.data(), b.lengths.data(), b.formats.data(),
                       /*resultFormat=binary*/ 1);
  } else {
    r = PQexecParams(conn_, sql.c_str(), n, b.types.data(), b.values.data(), b.lengths.data(),
                     b.formats.data(), /*resultFormat=binary*/ 1);
  }
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return Error(r, "PostgreSQL statement");
  return PgResult(r);
}

Result<const std::string*> PgConnection::PrepareOnce(const std::string& sql,
                                                     const std::vector<unsigned>& types) {
  auto it = prepared_.find(sql);
  if (it != prepared_.end()) return &it->second;
  if (prepared_.size() >= kMaxPrepared) return static_cast<const std::string*>(nullptr);
  std::string name = "k" + std::to_string(prepared_.size() + 1);
  pg_result* p =
      PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data());
  if (!p || PQresultStatus(p) != PGRES_COMMAND_OK) return Error(p, "PostgreSQL prepare");
  PQclear(p);
  return &prepared_.emplace(sql, std::move(name)).first->second;
}

Result<std::vector<PgResult>> PgConnection::Pipeline(const std::vector<Sql>& statements,
                                                     bool prepare, size_t* failed_at) {
  Settle();
  // Statements to prepare are prepared first (outside the pipeline), each once per connection.
  for (const Sql& sql : statements)
    if (prepare && !sql.params.empty())
      KY_RETURN_IF_ERROR(PrepareOnce(sql.text, Bound(sql.params, -1).types).status());
  if (PQenterPipelineMode(conn_) != 1) return Error(nullptr, "PostgreSQL pipeline");
  std::optional<Status> failed;
  size_t position = 0;
  for (const Sql& sql : statements) {
    Bound b(sql.params, -1);
    int n = static_cast<int>(b.n);
    auto it = prepare ? prepared_.find(sql.text) : prepared_.end();
    int sent = it != prepared_.end()
                   ? PQsendQueryPrepared(conn_, it->second.c_str(), n, b.values.data(),
                                         b.lengths.data(), b.formats.data(), 1)
                   : PQsendQueryParams(conn_, sql.text.c_str(), n, b.types.data(), b.values.data(),
                                       b.lengths.data(), b.formats.data(), 1);
    if (sent != 1) {
      failed = Error(nullptr, "PostgreSQL pipeline");
      break;
    }
  }
  std::vector<PgResult> out;
  if (PQpipelineSync(conn_) != 1) {
    if (!failed) failed = Error(nullptr, "PostgreSQL pipeline");
  } else {
    // Each statement's result is followed by a null; the sync's result comes last.
    for (;;) {
      pg_result* r = PQgetResult(conn_);
      if (!r) {
        if (PQstatus(conn_) == CONNECTION_OK) continue;
        if (!failed) failed = Error(nullptr, "PostgreSQL pipeline");
        break;
      }
      ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        break;
      }
      if (failed || st == PGRES_PIPELINE_ABORTED) {
        PQclear(r);
      } else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        out.emplace_back(r);
        ++position;
      } else {
        failed = Error(r, "PostgreSQL statement");
      }
    }
  }
  (void)PQexitPipelineMode(conn_);
  if (failed) {
    if (failed_at) *failed_at = position;
    return *failed;
  }
  if (out.size() != statements.size())
    return Internal("PostgreSQL pipeline: " + std::to_string(out.size()) + " results for " +
                    std::to_string(statements.size()) + " statements");
  return out;
}

Status PgConnection::Exec(const std::string& sql) {
  Settle();
  pg_result* r = PQexec(conn_, sql.c_str());
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return Error(r, "PostgreSQL");
  PQclear(r);
  return Status::Ok();
}

}  // namespace kangyun::store
