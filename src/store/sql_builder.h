// Translates store::Query into SQL shared by the SQL back ends. Values are always bound,
// never pasted into the text. Internal to store/.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "store/query.h"

namespace kangyun::store {

using SqlValue = std::variant<int64_t, double, std::string>;

struct Sql {
  std::string text;
  std::vector<SqlValue> params;
  int aliases = 0;  // table aliases handed out so far, so nested subqueries never clash
};

enum class SqlDialect { kSqlite, kPostgres };

class SqlBuilder {
 public:
  explicit SqlBuilder(SqlDialect dialect) : dialect_(dialect) {}

  // SELECT r.rid ... ORDER BY ... LIMIT limit
  Sql Search(const Query& q, int64_t limit) const;
  // SELECT count(*) ...
  Sql Count(const Query& q) const;
  // "r.rid IN (<list bound as one parameter>)" for the dialect.
  std::string RidListMembership(const std::string& column, const std::vector<int64_t>& rids,
                                Sql* sql) const;
  // Appends a bound parameter and returns its placeholder.
  std::string Bind(Sql* sql, SqlValue v) const;

 private:
  void Where(const Query& q, const std::string& alias, Sql* sql) const;
  std::string ConditionSql(const Condition& c, const Query& q, const std::string& alias,
                           Sql* sql) const;
  std::string MatchSql(const Condition& c, const std::string& i, Sql* sql) const;
  std::string RangeSql(Comparator cmp, const std::string& low_col, const std::string& high_col,
                       SqlValue low, SqlValue high, Sql* sql) const;
  std::string TypeFilter(const std::vector<std::string>& types, const std::string& column,
                         Sql* sql) const;

  SqlDialect dialect_;
};

const char* IndexTableName(IndexTable t);

}  // namespace kangyun::store
