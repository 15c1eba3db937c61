// One libpq connection and the results of its statements: values go out bound (binary) and
// come back in binary format, so no value is ever printed into SQL or parsed from text.
// Internal to store/postgres/.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "store/sql_builder.h"

struct pg_conn;
struct pg_result;

namespace kangyun::store {

class PgResult {
 public:
  explicit PgResult(pg_result* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  ~PgResult();

  int rows() const;
  bool IsNull(int row, int col) const;
  // An integer column of any width (smallint, integer, bigint).
  int64_t Int(int row, int col) const;
  // Text or bytea, as bytes.
  std::string Bytes(int row, int col) const;

 private:
  pg_result* r_;
};

class PgConnection {
 public:
  // conninfo: a postgresql:// URL or key=value string (libpq's syntax).
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& conninfo);
  ~PgConnection();

  // A statement with bound values; bytea_param (0-based), when set, is sent as bytea.
  Result<PgResult> Query(const std::string& sql, const std::vector<SqlValue>& params = {},
                         int bytea_param = -1);
  Result<PgResult> Query(const Sql& sql) { return Query(sql.text, sql.params); }
  // The same, as a statement prepared once per connection: for the fixed statements of the
  // write path, which then skip parsing and planning. Not for searches, whose plans depend on
  // their values.
  Result<PgResult> Prepared(const std::string& sql, const std::vector<SqlValue>& params,
                            int bytea_param = -1);
  // Statements without values, several allowed (libpq's simple protocol).
  Status Exec(const std::string& sql);
  // Several statements in one round trip (libpq's pipeline mode): each runs after the one
  // before, as its own statement (so, in READ COMMITTED, it sees what committed while an
  // earlier one waited on a lock); the first that fails fails the rest, and its error is the
  // answer (and its position, in *failed_at). `prepare`: as Prepared, each statement with
  // values is prepared once per connection (one without, BEGIN or COMMIT, has no plan to
  // keep). Results in order.
  Result<std::vector<PgResult>> Pipeline(const std::vector<Sql>& statements, bool prepare,
                                         size_t* failed_at = nullptr);
  // Ends a read-only transaction without waiting: the COMMIT is sent now and its answer read
  // before the connection's next statement. (Such a COMMIT fails only with the connection,
  // which the next statement then finds broken.)
  void CommitLater();
  // Whether the connection still works (a broken one is not given back to a pool).
  bool Healthy() const;
  // Whether the connection to the server is gone (not merely left inside a transaction).
  bool Lost() const;

 private:
  explicit PgConnection(pg_conn* c) : conn_(c) {}
  Status Error(pg_result* r, const std::string& what) const;
  Result<PgResult> Run(const std::string& sql, const std::vector<SqlValue>& params, int bytea_param,
                       bool prepared);
  // The name of sql prepared on this connection (prepared now if new), or nullptr when the
  // connection keeps as many prepared statements as it may. `types`: the values' type oids.
  Result<const std::string*> PrepareOnce(const std::string& sql,
                                         const std::vector<unsigned>& types);
  // Reads the answer of a COMMIT sent by CommitLater, if one is outstanding.
  void Settle();
  // A connection keeps a bounded number of prepared statements; beyond it, statements run
  // unprepared (a guard against a caller whose statement texts vary without end).
  static constexpr size_t kMaxPrepared = 256;
  pg_conn* conn_;
  bool commit_pending_ = false;
  std::unordered_map<std::string, std::string> prepared_;  // statement text -> name
};

}  // namespace kangyun::store
