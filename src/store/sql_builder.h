// Translates store::Query into SQL shared by the SQL back ends. Values are always bound,
// never pasted into the text. Internal to store/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "store/query.h"
#include "store/store.h"

namespace kangyun::store {

using SqlValue = std::variant<int64_t, double, std::string>;

struct Sql {
  std::string text;
  std::vector<SqlValue> params;
  int aliases = 0;  // table aliases handed out so far, so nested subqueries never clash
  // A statement about a few resources named by id: subqueries are probed for each of them
  // (correlated) instead of being computed whole, so a check of one resource costs what its
  // own rows cost, whether it turns out visible or not.
  bool correlated = false;
  // Subqueries of the Patients whose compartments a statement tests (who may see what),
  // defined once as common table expressions ahead of the statement: a request's restriction
  // is repeated in every chain it holds, and nested in place it would exceed the SQL parser's
  // depth.
  struct Cte {
    const Query* query;
    std::string name, body;
  };
  std::vector<Cte> ctes;
};

enum class SqlDialect { kSqlite, kPostgres };

class SqlBuilder {
 public:
  explicit SqlBuilder(SqlDialect dialect) : dialect_(dialect) {}

  // The clause that yields row ids from an index ("drives") is chosen by the caller when it
  // passes driver >= 0 (a clause index), otherwise guessed from the kinds of clauses.
  static constexpr int kAutoDriver = -2;
  // SELECT r.rid ... ORDER BY ... LIMIT limit
  // `correlated`: probe subqueries per candidate row (the driver matches few rows) instead of
  // computing them whole; always so for a query that names its resources by id.
  Sql Search(const Query& q, int64_t limit, int driver = kAutoDriver,
             bool correlated = false) const;
  // SELECT count(*) ...
  Sql Count(const Query& q, int driver = kAutoDriver, bool correlated = false) const;
  // Whether q has conditions with subqueries (chains, _has, compartments of a subquery).
  static bool HasSubqueries(const Query& q);
  // Clauses that could drive; a caller with two or more may measure them with Probe.
  std::vector<int> DriverCandidates(const Query& q) const;
  // Counts the index rows one clause matches, stopping at cap: a cheap selectivity measure.
  // nullopt for clauses that cannot be measured this way (chains).
  std::optional<Sql> Probe(const Query& q, int clause, int64_t cap) const;
  // The statements every SQL store runs besides searches. Rows come back in the columns
  // rid, type, id, version, last_updated, deleted, method, body.
  Sql Current(const std::string& type, const std::string& id) const;
  Sql Version(const std::string& type, const std::string& id, int64_t version) const;
  Sql History(const HistoryQuery& q, bool count) const;
  Sql CurrentRows(const std::vector<int64_t>& rids) const;  // in no particular order
  Sql Included(const std::vector<int64_t>& rids, const IncludeSpec& spec) const;
  Sql RevIncluded(const std::vector<int64_t>& rids, const IncludeSpec& spec) const;
  Sql ScanCurrent(const std::vector<std::string>& types, int64_t after_rid, int64_t count) const;

  // "r.rid IN (<list bound as one parameter>)" for the dialect.
  std::string RidListMembership(const std::string& column, const std::vector<int64_t>& rids,
                                Sql* sql) const;
  // "column IN (<values>)".
  std::string TextListMembership(const std::string& column, const std::vector<std::string>& values,
                                 Sql* sql) const;
  // Appends a bound parameter and returns its placeholder.
  std::string Bind(Sql* sql, SqlValue v) const;
  // The key of a (type, parameter) pair as index rows hold it: on SQLite a small number from
  // its `params` table, on PostgreSQL the pair's hash (store/param_key.h).
  std::string BindParamKey(Sql* sql, const std::string& type, const std::string& param) const;
  // A code system as index rows hold it: its key on SQLite (store/param_key.h), its URI on
  // PostgreSQL.
  std::string BindSystem(Sql* sql, const std::string& system) const;

 private:
  // " WHERE ..." for q over the resource table aliased `alias`.
  std::string WhereClause(const Query& q, const std::string& alias, Sql* sql,
                          int forced_driver = kAutoDriver) const;
  std::string ConditionSql(const Condition& c, const Query& q, const std::string& alias,
                           bool driver, Sql* sql) const;
  std::string MatchSql(const Condition& c, const std::string& i, Sql* sql) const;
  std::string RangeSql(Comparator cmp, const std::string& low_col, const std::string& high_col,
                       SqlValue low, SqlValue high, Sql* sql) const;
  std::string TypeFilter(const std::vector<std::string>& types, const std::string& column,
                         Sql* sql) const;
  // The one positive index lookup a query consists of, if that is all it is, and its FROM.
  const Condition* SingleLookup(const Query& q) const;
  std::string SingleLookupFrom(const Query& q, const Condition& c, const std::string& alias,
                               Sql* sql) const;
  // Index rows of `param` on resources of `types` (of any type when empty), by their key
  // (store/param_key.h) in `column`.
  std::string ParamFilter(const std::vector<std::string>& types, const std::string& param,
                          const std::string& column, Sql* sql) const;

  std::string IncludeParamFilter(const IncludeSpec& spec, Sql* sql) const;
  // The name of the common table expression of the Patients `patients` matches (id column),
  // defined in sql->ctes when it is not yet; PrependCtes puts them ahead of sql->text.
  std::string CteOf(const Query& patients, Sql* sql) const;
  static void PrependCtes(Sql* sql);
  // An exclusive upper bound for every string that starts with prefix.
  std::string PrefixUpperBound(const std::string& prefix) const;

  SqlDialect dialect_;
};

// rows put in the order of rids; rows whose rid is not there are dropped.
std::vector<StoredResource> InRidOrder(std::vector<StoredResource> rows,
                                       const std::vector<int64_t>& rids);

const char* IndexTableName(IndexTable t);

// A text value quoted as an element of a PostgreSQL array literal ("{…}").
std::string PostgresArrayQuote(std::string_view s);

}  // namespace kangyun::store
