#include "store/sql_builder.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "base/strings.h"
#include "json/json.h"
#include "store/param_key.h"

namespace kangyun::store {
namespace {

std::string EscapeLike(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

constexpr const char* kCurrentColumns =
    "r.rid, r.type, r.id, r.version, r.last_updated, r.deleted, h.method, h.body";

}  // namespace

// Under binary collation. SQLite compares bytes, and 0xFF never occurs in UTF-8, so prefix +
// "\xff" sorts after every string that starts with prefix. PostgreSQL refuses text that is not
// UTF-8; its bound is the greatest code point, U+10FFFF, a noncharacter no text should hold.
std::string SqlBuilder::PrefixUpperBound(const std::string& prefix) const {
  return prefix + (dialect_ == SqlDialect::kPostgres ? "\xf4\x8f\xbf\xbf" : "\xff");
}

const char* IndexTableName(IndexTable t) {
  switch (t) {
    case IndexTable::kString:
      return "idx_string";
    case IndexTable::kToken:
      return "idx_token";
    case IndexTable::kNumber:
      return "idx_number";
    case IndexTable::kDate:
      return "idx_date";
    case IndexTable::kQuantity:
      return "idx_quantity";
    case IndexTable::kReference:
      return "idx_reference";
    case IndexTable::kUri:
      return "idx_uri";
    case IndexTable::kComposite:
      return "idx_composite";
    case IndexTable::kText:
      return "idx_text";
  }
  return "idx_token";
}

std::string SqlBuilder::Bind(Sql* sql, SqlValue v) const {
  sql->params.push_back(std::move(v));
  // Numbered placeholders, so the order in which parts of a statement are built does not have
  // to match the order of the text.
  if (dialect_ == SqlDialect::kPostgres) return "$" + std::to_string(sql->params.size());
  return "?" + std::to_string(sql->params.size());
}

std::string SqlBuilder::BindSystem(Sql* sql, const std::string& system) const {
  if (dialect_ == SqlDialect::kSqlite) return Bind(sql, SystemKey(system));
  return Bind(sql, system);
}

// The list goes as one JSON array, so a Group of any size is one bound value.
std::string SqlBuilder::TextListMembership(const std::string& column,
                                           const std::vector<std::string>& values, Sql* sql) const {
  if (dialect_ == SqlDialect::kPostgres) {
    std::string array = "{";
    for (const std::string& v : values)
      array += (array.size() > 1 ? "," : "") + PostgresArrayQuote(v);
    return column + " = ANY(" + Bind(sql, array + "}") + "::text[])";
  }
  json::Value list = json::Value::Array();
  for (const std::string& v : values) list.Push(json::Value::String(v));
  return column + " IN (SELECT value FROM json_each(" + Bind(sql, json::Write(list)) + "))";
}

std::string PostgresArrayQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

std::string SqlBuilder::RidListMembership(const std::string& column,
                                          const std::vector<int64_t>& rids, Sql* sql) const {
  std::string list = "[";
  for (size_t i = 0; i < rids.size(); ++i) {
    if (i) list += ",";
    list += std::to_string(rids[i]);
  }
  list += "]";
  // PostgreSQL plans `= ANY(array)` as an index lookup per element; a set-returning function
  // gets a guessed size and, often, a hash join over the whole table.
  if (dialect_ == SqlDialect::kPostgres) {
    list.front() = '{';
    list.back() = '}';
    return column + " = ANY(" + Bind(sql, list) + "::bigint[])";
  }
  return column + " IN (SELECT value FROM json_each(" + Bind(sql, list) + "))";
}

std::string SqlBuilder::ParamFilter(const std::vector<std::string>& types, const std::string& param,
                                    const std::string& column, Sql* sql) const {
  if (types.empty())
    return column + " IN (SELECT pid FROM params WHERE param = " + Bind(sql, param) + ")";
  if (types.size() == 1) return column + " = " + BindParamKey(sql, types[0], param);
  std::string list;
  if (dialect_ == SqlDialect::kSqlite) {
    for (const std::string& t : types) list += (list.empty() ? "" : ", ") + Bind(sql, t);
    return column + " IN (SELECT pid FROM params WHERE param = " + Bind(sql, param) +
           " AND type IN (" + list + "))";
  }
  for (const std::string& t : types)
    list += (list.empty() ? "" : ", ") + Bind(sql, ParamKey(t, param));
  return column + " IN (" + list + ")";
}

std::string SqlBuilder::BindParamKey(Sql* sql, const std::string& type,
                                     const std::string& param) const {
  // Evaluated once a statement: SQLite runs an uncorrelated scalar subquery once.
  if (dialect_ == SqlDialect::kSqlite)
    return "(SELECT pid FROM params WHERE type = " + Bind(sql, type) +
           " AND param = " + Bind(sql, param) + ")";
  return Bind(sql, ParamKey(type, param));
}

std::string SqlBuilder::TypeFilter(const std::vector<std::string>& types, const std::string& column,
                                   Sql* sql) const {
  if (types.empty()) return "";
  if (types.size() == 1) return " AND " + column + " = " + Bind(sql, types[0]);
  std::string s = " AND " + column + " IN (";
  for (size_t i = 0; i < types.size(); ++i) {
    if (i) s += ",";
    s += Bind(sql, types[i]);
  }
  return s + ")";
}

std::string SqlBuilder::RangeSql(Comparator cmp, const std::string& lo, const std::string& hi,
                                 SqlValue low, SqlValue high, Sql* sql) const {
  // Target value range [lo, hi] (inclusive) against search range [L, H] (inclusive).
  switch (cmp) {
    case Comparator::kEq: {
      // lo <= hi, so lo <= H follows; saying it lets one index range on lo answer.
      std::string L = Bind(sql, low), H = Bind(sql, high);
      return "(" + lo + " >= " + L + " AND " + lo + " <= " + H + " AND " + hi + " <= " + H + ")";
    }
    case Comparator::kNe: {
      std::string L = Bind(sql, low), H = Bind(sql, high);
      return "(" + lo + " < " + L + " OR " + hi + " > " + H + ")";
    }
    case Comparator::kGt:
      return "(" + hi + " > " + Bind(sql, high) + ")";
    case Comparator::kSa:
      return "(" + lo + " > " + Bind(sql, high) + ")";
    case Comparator::kLt:
      return "(" + lo + " < " + Bind(sql, low) + ")";
    case Comparator::kEb:
      return "(" + hi + " < " + Bind(sql, low) + ")";
    case Comparator::kGe: {
      // Either alternative implies hi >= L; saying so lets an index range on hi answer.
      std::string H1 = Bind(sql, high), L = Bind(sql, low), H2 = Bind(sql, high);
      return "(" + hi + " >= " + L + " AND (" + hi + " > " + H1 + " OR (" + lo + " >= " + L +
             " AND " + hi + " <= " + H2 + ")))";
    }
    case Comparator::kLe: {
      // Either alternative implies lo <= H.
      std::string L1 = Bind(sql, low), L = Bind(sql, low), H = Bind(sql, high);
      return "(" + lo + " <= " + H + " AND (" + lo + " < " + L1 + " OR (" + lo + " >= " + L +
             " AND " + hi + " <= " + H + ")))";
    }
    case Comparator::kAp: {
      // The planner widened [L, H] already; approximately means overlapping.
      std::string H = Bind(sql, high), L = Bind(sql, low);
      return "(" + lo + " <= " + H + " AND " + hi + " >= " + L + ")";
    }
  }
  return "0";
}

std::string SqlBuilder::MatchSql(const Condition& c, const std::string& i, Sql* sql) const {
  switch (c.table) {
    case IndexTable::kText: {
      // Every word, as a substring: Chinese has no spaces between its words.
      std::string out;
      for (const std::string& word : Split(c.text, ' ')) {
        if (word.empty()) continue;
        out += (out.empty() ? "" : " AND ") + i + ".norm LIKE " +
               Bind(sql, "%" + EscapeLike(word) + "%") + " ESCAPE '\\'";
      }
      return out.empty() ? "1=1" : "(" + out + ")";
    }
    case IndexTable::kString:
      switch (c.string_mode) {
        case Condition::StringMode::kExact:
          return i + ".exact = " + Bind(sql, c.text);
        case Condition::StringMode::kContains:
          return i + ".norm LIKE " + Bind(sql, "%" + EscapeLike(c.text) + "%") + " ESCAPE '\\'";
        default: {
          std::string lo = Bind(sql, c.text), hi = Bind(sql, PrefixUpperBound(c.text));
          return "(" + i + ".norm >= " + lo + " AND " + i + ".norm < " + hi + ")";
        }
      }
    case IndexTable::kToken: {
      if (c.token_text) {
        std::string lo = Bind(sql, c.text), hi = Bind(sql, PrefixUpperBound(c.text));
        return "(" + i + ".text >= " + lo + " AND " + i + ".text < " + hi + ")";
      }
      if (!c.token_set.empty()) {
        // A bare `code` element is indexed without a system (its binding implies it), so it
        // matches a set member by code alone.
        std::string values, codes;
        for (const auto& [system, code] : c.token_set) {
          std::string code_param = Bind(sql, code);
          if (!values.empty()) values += ", ";
          values += "(" + BindSystem(sql, system) + ", " + code_param + ")";
          if (!codes.empty()) codes += ", ";
          codes += code_param;
        }
        return "((" + i + ".system, " + i + ".code) IN (VALUES " + values + ") OR (" + i +
               ".system = " + BindSystem(sql, "") + " AND " + i + ".code IN (" + codes + ")))";
      }
      std::string s = "1=1";
      if (c.code) s += " AND " + i + ".code = " + Bind(sql, *c.code);
      if (c.system) s += " AND " + i + ".system = " + BindSystem(sql, *c.system);
      return "(" + s + ")";
    }
    case IndexTable::kNumber:
      return RangeSql(c.cmp, i + ".value", i + ".value", c.low, c.high, sql);
    case IndexTable::kDate:
      return RangeSql(c.cmp, i + ".low", i + ".high", c.date_low, c.date_high, sql);
    case IndexTable::kQuantity: {
      if (!c.canonical_code.empty()) {
        return "(" + i + ".canonical_code = " + Bind(sql, c.canonical_code) + " AND " +
               RangeSql(c.cmp, i + ".canonical_value", i + ".canonical_value", c.canonical_low,
                        c.canonical_high, sql) +
               ")";
      }
      std::string s = RangeSql(c.cmp, i + ".value", i + ".value", c.low, c.high, sql);
      if (c.code) s += " AND " + i + ".code = " + Bind(sql, *c.code);
      if (c.system) s += " AND " + i + ".system = " + BindSystem(sql, *c.system);
      return "(" + s + ")";
    }
    case IndexTable::kReference: {
      // `url <> ''` lets the partial index of canonical references answer.
      if (!c.url.empty())
        return "(" + i + ".url = " + Bind(sql, c.url) + " AND " + i + ".url <> '')";
      std::string s = i + ".target_id = " + Bind(sql, c.target_id);
      s += TypeFilter(c.target_types, i + ".target_type", sql);
      return "(" + s + ")";
    }
    case IndexTable::kUri:
      switch (c.string_mode) {
        case Condition::StringMode::kAbove:
          // The stored uri is a prefix of the search value.
          return "(" + Bind(sql, c.text) + " >= " + i + ".uri AND substr(" + Bind(sql, c.text) +
                 ", 1, length(" + i + ".uri)) = " + i + ".uri)";
        case Condition::StringMode::kBelow: {
          std::string lo = Bind(sql, c.text), hi = Bind(sql, PrefixUpperBound(c.text));
          return "(" + i + ".uri >= " + lo + " AND " + i + ".uri < " + hi + ")";
        }
        default:
          return i + ".uri = " + Bind(sql, c.text);
      }
    case IndexTable::kComposite: {
      std::string s = "1=1";
      if (c.code) s += " AND " + i + ".c1_code = " + Bind(sql, *c.code);
      if (c.system) s += " AND " + i + ".c1_system = " + BindSystem(sql, *c.system);
      if (c.second) {
        const Condition& d = *c.second;
        switch (d.table) {
          case IndexTable::kToken:
            if (d.code) s += " AND " + i + ".c2_code = " + Bind(sql, *d.code);
            if (d.system) s += " AND " + i + ".c2_system = " + BindSystem(sql, *d.system);
            break;
          case IndexTable::kQuantity:
          case IndexTable::kNumber:
            s += " AND " + RangeSql(d.cmp, i + ".c2_low", i + ".c2_high", d.low, d.high, sql);
            if (d.code) s += " AND " + i + ".c2_code = " + Bind(sql, *d.code);
            if (d.system) s += " AND " + i + ".c2_system = " + BindSystem(sql, *d.system);
            break;
          case IndexTable::kDate:
            s += " AND " + RangeSql(d.cmp, i + ".c2_low", i + ".c2_high",
                                    static_cast<double>(d.date_low),
                                    static_cast<double>(d.date_high), sql);
            break;
          case IndexTable::kString: {
            std::string lo = Bind(sql, d.text), hi = Bind(sql, PrefixUpperBound(d.text));
            s += " AND " + i + ".c2_text >= " + lo + " AND " + i + ".c2_text < " + hi;
            break;
          }
          default:
            s += " AND " + i + ".c2_text = " + Bind(sql, d.text);
        }
      }
      return "(" + s + ")";
    }
  }
  return "0";
}

std::string SqlBuilder::ConditionSql(const Condition& c, const Query& q, const std::string& r,
                                     bool driver, Sql* sql) const {
  std::string i = "i" + std::to_string(sql->aliases++);
  // A driving condition yields row ids from an index ("r.rid IN (...)"); the others are probed
  // per candidate row through the (rid, param) indexes ("EXISTS (... i.rid = r.rid ...)").
  // A probe must find its rows through the (rid, pid) index; the lookup indexes also start
  // with pid, and SQLite, without statistics, may otherwise walk a whole parameter's range for
  // every candidate row ("+" keeps a column out of index selection).
  std::string pid = (driver || dialect_ != SqlDialect::kSqlite ? "" : "+") + i + ".pid";
  auto membership = [&](const std::string& table, const std::string& where, bool negated) {
    if (driver) {
      return r + ".rid " + (negated ? "NOT IN (" : "IN (") + "SELECT " + i + ".rid FROM " + table +
             " " + i + " WHERE " + where + ")";
    }
    return std::string(negated ? "NOT EXISTS (" : "EXISTS (") + "SELECT 1 FROM " + table + " " + i +
           " WHERE " + i + ".rid = " + r + ".rid AND " + where + ")";
  };
  switch (c.kind) {
    case Condition::Kind::kNever:
      return "0=1";
    case Condition::Kind::kId:
      return r + ".id " + (c.negated ? "<> " : "= ") + Bind(sql, c.text);
    case Condition::Kind::kType: {
      if (c.target_types.empty()) return c.negated ? "1=1" : "0=1";
      std::string list;
      for (const std::string& t : c.target_types) list += (list.empty() ? "" : ", ") + Bind(sql, t);
      return r + ".type " + (c.negated ? "NOT IN (" : "IN (") + list + ")";
    }
    case Condition::Kind::kLastUpdated: {
      std::string s =
          RangeSql(c.cmp, r + ".last_updated", r + ".last_updated", c.date_low, c.date_high, sql);
      return c.negated ? "NOT " + s : s;
    }
    case Condition::Kind::kCompartment:
      if (c.any_patient) return membership("compartment", "1=1", c.negated);
      if (c.subquery && sql->correlated) {
        std::string p = "p" + i;
        return membership("compartment",
                          "EXISTS (SELECT 1 FROM resources " + p +
                              WhereClause(*c.subquery, p, sql, /*forced_driver=*/-1) + " AND " + p +
                              ".id = " + i + ".patient_id)",
                          false);
      }
      if (c.subquery) {
        return membership("compartment",
                          i + ".patient_id IN (SELECT id FROM " + CteOf(*c.subquery, sql) + ")",
                          false);
      }
      if (!c.patients.empty())
        return membership("compartment", TextListMembership(i + ".patient_id", c.patients, sql),
                          false);
      return membership("compartment", i + ".patient_id = " + Bind(sql, c.text), false);
    case Condition::Kind::kMissing:
      return membership(IndexTableName(c.table), ParamFilter(q.types, c.param, pid, sql),
                        c.missing);
    case Condition::Kind::kIndex:
      return membership(IndexTableName(c.table),
                        ParamFilter(q.types, c.param, pid, sql) + " AND " + MatchSql(c, i, sql),
                        c.negated);
    case Condition::Kind::kChain: {
      std::string t = "t" + i;
      if (sql->correlated) {
        return membership("idx_reference",
                          ParamFilter(q.types, c.param, pid, sql) + " AND EXISTS (SELECT 1 FROM " +
                              "resources " + t + WhereClause(*c.subquery, t, sql, -1) + " AND " +
                              t + ".type = " + i + ".target_type AND " + t + ".id = " + i +
                              ".target_id)",
                          c.negated);
      }
      // The referenced resources are found by their own lookups, then the references to them.
      std::string targets = "SELECT " + t + ".type, " + t + ".id FROM resources " + t +
                            WhereClause(*c.subquery, t, sql);
      return membership("idx_reference",
                        ParamFilter(q.types, c.param, pid, sql) + " AND (" + i + ".target_type, " +
                            i + ".target_id) IN (" + targets + ")",
                        c.negated);
    }
    case Condition::Kind::kMatches: {
      std::string m = "m" + i;
      if (sql->correlated)
        return std::string(c.negated ? "NOT EXISTS (" : "EXISTS (") + "SELECT 1 FROM resources " +
               m + WhereClause(*c.subquery, m, sql, -1) + " AND " + m + ".rid = " + r + ".rid)";
      return r + ".rid " + (c.negated ? "NOT IN (" : "IN (") + "SELECT " + m +
             ".rid FROM resources " + m + WhereClause(*c.subquery, m, sql) + ")";
    }
    case Condition::Kind::kReverseChain: {
      std::string src = "s" + i, tgt = "g" + i;
      if (sql->correlated) {
        return std::string(c.negated ? "NOT EXISTS (" : "EXISTS (") + "SELECT 1 FROM " +
               "idx_reference " + i + " WHERE " + i +
               ".pid = " + BindParamKey(sql, c.has_type, c.param) + " AND " + i +
               ".target_id = " + r + ".id AND " + i + ".target_type = " + r +
               ".type AND EXISTS (SELECT 1 FROM resources " + src +
               WhereClause(*c.subquery, src, sql, -1) + " AND " + src + ".rid = " + i + ".rid))";
      }
      std::string sources =
          "SELECT " + src + ".rid FROM resources " + src + WhereClause(*c.subquery, src, sql);
      std::string s = "SELECT " + tgt + ".rid FROM idx_reference " + i + " JOIN resources " + tgt +
                      " ON " + tgt + ".type = " + i + ".target_type AND " + tgt + ".id = " + i +
                      ".target_id WHERE " + i + ".pid = " + BindParamKey(sql, c.has_type, c.param) +
                      " AND " + i + ".rid IN (" + sources + ")";
      return r + ".rid " + (c.negated ? "NOT IN (" : "IN (") + s + ")";
    }
  }
  return "0=1";
}

namespace {

// How selective a positive clause is likely to be (lower drives better); -1 when the clause
// cannot drive (negations, :missing=true, OR of mixed kinds).
int DriverRank(const std::vector<Condition>& clause) {
  int worst = -1;
  for (const Condition& c : clause) {
    int rank;
    switch (c.kind) {
      case Condition::Kind::kCompartment:
        // Membership of some compartment holds for most rows: a poor driver.
        if (c.any_patient) return -1;
        rank = c.subquery ? 7 : 1;
        break;
      case Condition::Kind::kIndex:
        if (c.negated) return -1;
        switch (c.table) {
          case IndexTable::kToken:
          case IndexTable::kReference:
          case IndexTable::kUri:
            rank = c.token_text ? 4 : 2;
            break;
          case IndexTable::kString:
            rank = c.string_mode == Condition::StringMode::kContains ? 9 : 3;
            break;
          case IndexTable::kText:
            rank = 8;
            break;
          case IndexTable::kComposite:
            rank = 3;
            break;
          case IndexTable::kNumber:
          case IndexTable::kQuantity:
            rank = 5;
            break;
          case IndexTable::kDate:
            rank = 6;
            break;
          default:
            rank = 7;
        }
        break;
      case Condition::Kind::kChain:
        rank = c.negated ? -1 : 7;
        break;
      case Condition::Kind::kReverseChain:
        rank = c.negated ? -1 : 7;
        break;
      case Condition::Kind::kMissing:
        rank = c.missing ? -1 : 8;
        break;
      default:
        return -1;
    }
    if (rank < 0) return -1;
    worst = std::max(worst, rank);
  }
  return worst;
}

bool IsIdLookup(const std::vector<Condition>& clause) {
  if (clause.empty()) return false;
  for (const Condition& c : clause)
    if (c.kind != Condition::Kind::kId || c.negated) return false;
  return true;
}

// A statement about resources named by id (a read, a check of a few, their includes).
bool NamesIds(const Query& q) {
  for (const auto& clause : q.clauses)
    if (IsIdLookup(clause)) return true;
  return false;
}

}  // namespace

bool SqlBuilder::HasSubqueries(const Query& q) {
  for (const auto& clause : q.clauses)
    for (const Condition& c : clause)
      if (c.subquery) return true;
  return false;
}

std::string SqlBuilder::CteOf(const Query& patients, Sql* sql) const {
  for (const Sql::Cte& cte : sql->ctes)
    if (cte.query == &patients) return cte.name;
  std::string p = "p" + std::to_string(sql->aliases++);
  // Built before it is added: the CTEs its own conditions need come first.
  std::string body = "SELECT " + p + ".id FROM resources " + p + WhereClause(patients, p, sql);
  std::string name = "reach" + std::to_string(sql->ctes.size());
  sql->ctes.push_back({&patients, name, std::move(body)});
  return name;
}

void SqlBuilder::PrependCtes(Sql* sql) {
  if (sql->ctes.empty()) return;
  std::string with = "WITH ";
  for (size_t k = 0; k < sql->ctes.size(); ++k)
    with += (k ? ", " : "") + sql->ctes[k].name + " AS (" + sql->ctes[k].body + ")";
  sql->text = with + " " + sql->text;
}

std::vector<int> SqlBuilder::DriverCandidates(const Query& q) const {
  std::vector<int> out;
  for (size_t k = 0; k < q.clauses.size(); ++k) {
    if (IsIdLookup(q.clauses[k])) return {};
    if (DriverRank(q.clauses[k]) >= 0) out.push_back(static_cast<int>(k));
  }
  return out;
}

std::optional<Sql> SqlBuilder::Probe(const Query& q, int clause, int64_t cap) const {
  // Index-only counts, each stopping at cap: cheap however common the value is.
  Sql sql;
  std::string sum;
  for (const Condition& c : q.clauses[static_cast<size_t>(clause)]) {
    std::string i = "i" + std::to_string(sql.aliases++);
    std::string from;
    if (c.kind == Condition::Kind::kIndex && !c.negated) {
      from = std::string(IndexTableName(c.table)) + " " + i + " WHERE " +
             ParamFilter(q.types, c.param, i + ".pid", &sql) + " AND " + MatchSql(c, i, &sql);
    } else if (c.kind == Condition::Kind::kCompartment && !c.any_patient && !c.subquery) {
      from = "compartment " + i + " WHERE " +
             (c.patients.empty() ? i + ".patient_id = " + Bind(&sql, c.text)
                                 : TextListMembership(i + ".patient_id", c.patients, &sql));
    } else {
      return std::nullopt;
    }
    if (!sum.empty()) sum += " + ";
    sum += "(SELECT count(*) FROM (SELECT 1 FROM " + from + " LIMIT " + Bind(&sql, cap) + ") AS p" +
           i + ")";
  }
  sql.text = "SELECT " + sum;
  return sql;
}

std::string SqlBuilder::WhereClause(const Query& q, const std::string& r, Sql* sql,
                                    int forced_driver) const {
  // Pick the clause that drives: an _id lookup (the (type, id) index) or the most selective
  // positive index lookup (measured by the caller, else guessed from its kind). Without
  // statistics SQLite would otherwise walk every resource of the type; "+" keeps the type test
  // from being used as an index when a lookup drives.
  int driver = -1, best = 1000;
  bool id_lookup = false;
  for (size_t k = 0; k < q.clauses.size(); ++k) {
    if (IsIdLookup(q.clauses[k])) id_lookup = true;
    int rank = DriverRank(q.clauses[k]);
    if (rank >= 0 && rank < best) {
      best = rank;
      driver = static_cast<int>(k);
    }
  }
  if (id_lookup) driver = -1;
  if (forced_driver >= -1 && !id_lookup) driver = forced_driver;
  std::string type_column = r + ".type";
  // A keyset walk without a driver goes along the row ids (the primary key) in order.
  if (dialect_ == SqlDialect::kSqlite && (driver >= 0 || q.after_rid > 0))
    type_column = "+" + type_column;
  std::string out = " WHERE " + r + ".deleted = 0" + TypeFilter(q.types, type_column, sql);
  if (q.after_rid > 0) out += " AND " + r + ".rid > " + Bind(sql, q.after_rid);
  for (size_t k = 0; k < q.clauses.size(); ++k) {
    const auto& clause = q.clauses[k];
    if (clause.empty()) continue;
    if (clause.size() > 1 && IsIdLookup(clause)) {
      // One list, not a chain of ORs (which SQLite nests one level per id).
      std::vector<std::string> ids;
      for (const Condition& c : clause) ids.push_back(c.text);
      out += " AND " + TextListMembership(r + ".id", ids, sql);
      continue;
    }
    out += " AND (";
    for (size_t n = 0; n < clause.size(); ++n) {
      if (n) out += " OR ";
      out += ConditionSql(clause[n], q, r, static_cast<int>(k) == driver, sql);
    }
    out += ")";
  }
  return out;
}

// Index rows exist only for current, undeleted versions, and a row's key names its type: a
// search that is one positive index lookup, in row order, needs nothing from `resources`. That
// saves a random read of a resource row per match, most of the time of a search with thousands
// of matches once the store outgrows the page cache.
const Condition* SqlBuilder::SingleLookup(const Query& q) const {
  if (q.clauses.size() != 1 || q.clauses[0].size() != 1 || !q.sort.empty()) return nullptr;
  const Condition& c = q.clauses[0][0];
  return c.kind == Condition::Kind::kIndex && !c.negated ? &c : nullptr;
}

std::string SqlBuilder::SingleLookupFrom(const Query& q, const Condition& c, const std::string& i,
                                         Sql* sql) const {
  std::string from = " FROM " + std::string(IndexTableName(c.table)) + " " + i + " WHERE " +
                     ParamFilter(q.types, c.param, i + ".pid", sql) + " AND " + MatchSql(c, i, sql);
  if (q.after_rid > 0) from += " AND " + i + ".rid > " + Bind(sql, q.after_rid);
  return from;
}

Sql SqlBuilder::Search(const Query& q, int64_t limit, int driver, bool correlated) const {
  Sql sql;
  if (const Condition* c = SingleLookup(q)) {
    std::string i = "i" + std::to_string(sql.aliases++);
    sql.text = "SELECT DISTINCT " + i + ".rid" + SingleLookupFrom(q, *c, i, &sql) + " ORDER BY " +
               i + ".rid LIMIT " + Bind(&sql, limit);
    return sql;
  }
  sql.correlated = correlated || NamesIds(q);
  sql.text = "SELECT r.rid FROM resources r";
  sql.text += WhereClause(q, "r", &sql, driver);
  std::string order;
  for (const SortKey& k : q.sort) {
    std::string expr;
    switch (k.kind) {
      case SortKey::Kind::kId:
        expr = "r.id";
        break;
      case SortKey::Kind::kLastUpdated:
        expr = "r.last_updated";
        break;
      case SortKey::Kind::kParam: {
        std::string col, agg = k.descending ? "MAX" : "MIN";
        switch (k.table) {
          case IndexTable::kString:
            col = "norm";
            break;
          case IndexTable::kToken:
            col = "code";
            break;
          case IndexTable::kNumber:
            col = "value";
            break;
          case IndexTable::kDate:
            col = k.descending ? "high" : "low";
            break;
          case IndexTable::kQuantity:
            col = "value";
            break;
          case IndexTable::kReference:
            col = "target_id";
            break;
          case IndexTable::kUri:
            col = "uri";
            break;
          case IndexTable::kComposite:
            col = "c1_code";
            break;
          case IndexTable::kText:
            col = "norm";
            break;
        }
        // Through the (rid, pid) index, as probes are.
        std::string sort_pid = dialect_ == SqlDialect::kSqlite ? "+so.pid" : "so.pid";
        expr = "(SELECT " + agg + "(so." + col + ") FROM " + IndexTableName(k.table) +
               " so WHERE so.rid = r.rid AND " + ParamFilter(q.types, k.param, sort_pid, &sql) +
               ")";
        break;
      }
    }
    if (!order.empty()) order += ", ";
    // Resources without a value sort last either way.
    order += "(" + expr + ") IS NULL, " + expr + (k.descending ? " DESC" : " ASC");
  }
  if (!order.empty()) order += ", ";
  order += "r.rid";
  sql.text += " ORDER BY " + order + " LIMIT " + Bind(&sql, limit);
  PrependCtes(&sql);
  return sql;
}

Sql SqlBuilder::Count(const Query& q, int driver, bool correlated) const {
  Sql sql;
  if (const Condition* c = SingleLookup(q)) {
    std::string i = "i" + std::to_string(sql.aliases++);
    sql.text = "SELECT count(DISTINCT " + i + ".rid)" + SingleLookupFrom(q, *c, i, &sql);
    return sql;
  }
  sql.correlated = correlated || NamesIds(q);
  sql.text = "SELECT count(*) FROM resources r";
  sql.text += WhereClause(q, "r", &sql, driver);
  PrependCtes(&sql);
  return sql;
}

Sql SqlBuilder::Current(const std::string& type, const std::string& id) const {
  Sql sql;
  sql.text = std::string("SELECT ") + kCurrentColumns +
             " FROM resources r JOIN history h ON h.seq = r.seq WHERE r.type = ";
  sql.text += Bind(&sql, type) + " AND r.id = " + Bind(&sql, id);
  return sql;
}

Sql SqlBuilder::Version(const std::string& type, const std::string& id, int64_t version) const {
  Sql sql;
  std::string t = Bind(&sql, type), i = Bind(&sql, id);
  sql.text = "SELECT coalesce((SELECT rid FROM resources WHERE type = " + t + " AND id = " + i +
             "), 0), h.type, h.id, h.version, h.last_updated, h.deleted, h.method, h.body "
             "FROM history h WHERE h.type = " +
             t + " AND h.id = " + i + " AND h.version = " + Bind(&sql, version);
  return sql;
}

Sql SqlBuilder::History(const HistoryQuery& q, bool count) const {
  Sql sql;
  sql.text = count ? "SELECT count(*) FROM history h WHERE 1=1"
                   : "SELECT coalesce((SELECT rid FROM resources r WHERE r.type = h.type AND "
                     "r.id = h.id), 0), h.type, h.id, h.version, h.last_updated, h.deleted, "
                     "h.method, h.body FROM history h WHERE 1=1";
  if (!q.type.empty()) sql.text += " AND h.type = " + Bind(&sql, q.type);
  if (!q.id.empty()) sql.text += " AND h.id = " + Bind(&sql, q.id);
  if (q.since) sql.text += " AND h.last_updated >= " + Bind(&sql, q.since);
  if (q.before) sql.text += " AND h.last_updated < " + Bind(&sql, q.before);
  if (!count) {
    sql.text +=
        " ORDER BY h.seq DESC LIMIT " + Bind(&sql, q.count) + " OFFSET " + Bind(&sql, q.offset);
  }
  return sql;
}

Sql SqlBuilder::CurrentRows(const std::vector<int64_t>& rids) const {
  Sql sql;
  sql.text = std::string("SELECT ") + kCurrentColumns +
             " FROM resources r JOIN history h ON h.seq = r.seq WHERE r.deleted = 0 AND " +
             RidListMembership("r.rid", rids, &sql);
  return sql;
}

// Which references an _include or _revinclude follows. The rid list drives both queries;
// unary + keeps SQLite from scanning every reference of the parameter instead (it cannot see
// how short the list is).
std::string SqlBuilder::IncludeParamFilter(const IncludeSpec& spec, Sql* sql) const {
  std::string pid = dialect_ == SqlDialect::kSqlite ? "+i.pid" : "i.pid";
  if (spec.param != "*" && !spec.source_type.empty())
    return " AND " + pid + " = " + BindParamKey(sql, spec.source_type, spec.param);
  if (spec.param != "*")
    return " AND " + pid + " IN (SELECT pid FROM params WHERE param = " + Bind(sql, spec.param) +
           ")";
  if (!spec.source_type.empty())
    return " AND " + pid +
           " IN (SELECT pid FROM params WHERE type = " + Bind(sql, spec.source_type) + ")";
  return "";
}

Sql SqlBuilder::Included(const std::vector<int64_t>& rids, const IncludeSpec& spec) const {
  Sql sql;
  sql.text =
      "SELECT DISTINCT t.rid FROM idx_reference i JOIN resources t ON t.type = i.target_type "
      "AND t.id = i.target_id WHERE t.deleted = 0 AND " +
      RidListMembership("i.rid", rids, &sql);
  sql.text += IncludeParamFilter(spec, &sql);
  if (!spec.target_type.empty()) sql.text += " AND t.type = " + Bind(&sql, spec.target_type);
  sql.text += " ORDER BY t.rid";
  return sql;
}

Sql SqlBuilder::RevIncluded(const std::vector<int64_t>& rids, const IncludeSpec& spec) const {
  Sql sql;
  sql.text =
      "SELECT DISTINCT s.rid FROM resources t JOIN idx_reference i ON i.target_type = t.type "
      "AND i.target_id = t.id JOIN resources s ON s.rid = i.rid WHERE s.deleted = 0 AND " +
      RidListMembership("t.rid", rids, &sql);
  sql.text += IncludeParamFilter(spec, &sql);
  sql.text += " ORDER BY s.rid";
  return sql;
}

Sql SqlBuilder::ScanCurrent(const std::vector<std::string>& types, int64_t after_rid,
                            int64_t count) const {
  Sql sql;
  sql.text = std::string("SELECT ") + kCurrentColumns +
             " FROM resources r JOIN history h ON h.seq = r.seq WHERE r.deleted = 0 AND r.rid > " +
             Bind(&sql, after_rid);
  if (!types.empty()) {
    sql.text += " AND r.type IN (";
    for (size_t i = 0; i < types.size(); ++i) sql.text += (i ? "," : "") + Bind(&sql, types[i]);
    sql.text += ")";
  }
  sql.text += " ORDER BY r.rid LIMIT " + Bind(&sql, count);
  return sql;
}

std::vector<StoredResource> InRidOrder(std::vector<StoredResource> rows,
                                       const std::vector<int64_t>& rids) {
  std::unordered_map<int64_t, size_t> pos;
  for (size_t i = 0; i < rows.size(); ++i) pos[rows[i].rid] = i;
  std::vector<StoredResource> ordered;
  ordered.reserve(rows.size());
  for (int64_t rid : rids) {
    auto it = pos.find(rid);
    if (it != pos.end()) ordered.push_back(std::move(rows[it->second]));
  }
  return ordered;
}

}  // namespace kangyun::store
