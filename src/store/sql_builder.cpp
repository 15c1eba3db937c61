#include "store/sql_builder.h"

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

// An exclusive upper bound for every string that starts with prefix: 0xFF never occurs in
// UTF-8, so prefix + "\xff" sorts after all of them under binary collation.
std::string PrefixUpperBound(const std::string& prefix) { return prefix + "\xff"; }

}  // namespace

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

std::string SqlBuilder::RidListMembership(const std::string& column,
                                          const std::vector<int64_t>& rids, Sql* sql) const {
  std::string list = "[";
  for (size_t i = 0; i < rids.size(); ++i) {
    if (i) list += ",";
    list += std::to_string(rids[i]);
  }
  list += "]";
  if (dialect_ == SqlDialect::kPostgres)
    return column + " IN (SELECT value::bigint FROM jsonb_array_elements_text(" + Bind(sql, list) +
           "::jsonb))";
  return column + " IN (SELECT value FROM json_each(" + Bind(sql, list) + "))";
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
      std::string L = Bind(sql, low), H = Bind(sql, high);
      return "(" + lo + " >= " + L + " AND " + hi + " <= " + H + ")";
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
      std::string H1 = Bind(sql, high), L = Bind(sql, low), H2 = Bind(sql, high);
      return "(" + hi + " > " + H1 + " OR (" + lo + " >= " + L + " AND " + hi + " <= " + H2 + "))";
    }
    case Comparator::kLe: {
      std::string L1 = Bind(sql, low), L = Bind(sql, low), H = Bind(sql, high);
      return "(" + lo + " < " + L1 + " OR (" + lo + " >= " + L + " AND " + hi + " <= " + H + "))";
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
      std::string s = "1=1";
      if (c.code) s += " AND " + i + ".code = " + Bind(sql, *c.code);
      if (c.system) s += " AND " + i + ".system = " + Bind(sql, *c.system);
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
      if (c.system) s += " AND " + i + ".system = " + Bind(sql, *c.system);
      return "(" + s + ")";
    }
    case IndexTable::kReference: {
      if (!c.url.empty()) return i + ".url = " + Bind(sql, c.url);
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
      if (c.system) s += " AND " + i + ".c1_system = " + Bind(sql, *c.system);
      if (c.second) {
        const Condition& d = *c.second;
        switch (d.table) {
          case IndexTable::kToken:
            if (d.code) s += " AND " + i + ".c2_code = " + Bind(sql, *d.code);
            if (d.system) s += " AND " + i + ".c2_system = " + Bind(sql, *d.system);
            break;
          case IndexTable::kQuantity:
          case IndexTable::kNumber:
            s += " AND " + RangeSql(d.cmp, i + ".c2_low", i + ".c2_high", d.low, d.high, sql);
            if (d.code) s += " AND " + i + ".c2_code = " + Bind(sql, *d.code);
            if (d.system) s += " AND " + i + ".c2_system = " + Bind(sql, *d.system);
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
                                     Sql* sql) const {
  std::string i = "i" + std::to_string(sql->aliases++);
  switch (c.kind) {
    case Condition::Kind::kNever:
      return "0=1";
    case Condition::Kind::kId:
      return r + ".id " + (c.negated ? "<> " : "= ") + Bind(sql, c.text);
    case Condition::Kind::kLastUpdated: {
      std::string s =
          RangeSql(c.cmp, r + ".last_updated", r + ".last_updated", c.date_low, c.date_high, sql);
      return c.negated ? "NOT " + s : s;
    }
    case Condition::Kind::kCompartment:
      return r + ".rid IN (SELECT " + i + ".rid FROM compartment " + i + " WHERE " + i +
             ".patient_id = " + Bind(sql, c.text) + ")";
    case Condition::Kind::kMissing: {
      std::string sub = "SELECT " + i + ".rid FROM " + IndexTableName(c.table) + " " + i +
                        " WHERE " + i + ".param = " + Bind(sql, c.param) +
                        TypeFilter(q.types, i + ".type", sql);
      return r + ".rid " + (c.missing ? "NOT IN (" : "IN (") + sub + ")";
    }
    case Condition::Kind::kIndex: {
      std::string sub = "SELECT " + i + ".rid FROM " + IndexTableName(c.table) + " " + i +
                        " WHERE " + i + ".param = " + Bind(sql, c.param) +
                        TypeFilter(q.types, i + ".type", sql) + " AND " + MatchSql(c, i, sql);
      return r + ".rid " + (c.negated ? "NOT IN (" : "IN (") + sub + ")";
    }
    case Condition::Kind::kChain: {
      std::string t = "t" + i;
      Sql inner;
      std::string s = "SELECT " + i + ".rid FROM idx_reference " + i + " WHERE " + i +
                      ".param = " + Bind(sql, c.param) + TypeFilter(q.types, i + ".type", sql) +
                      " AND EXISTS (SELECT 1 FROM resources " + t + " WHERE " + t + ".type = " + i +
                      ".target_type AND " + t + ".id = " + i + ".target_id AND " + t +
                      ".deleted = 0" + TypeFilter(c.subquery->types, t + ".type", sql);
      for (const auto& clause : c.subquery->clauses) {
        s += " AND (";
        for (size_t k = 0; k < clause.size(); ++k) {
          if (k) s += " OR ";
          s += ConditionSql(clause[k], *c.subquery, t, sql);
        }
        s += ")";
      }
      s += ")";
      return r + ".rid " + (c.negated ? "NOT IN (" : "IN (") + s + ")";
    }
    case Condition::Kind::kReverseChain: {
      std::string src = "s" + i, tgt = "g" + i;
      std::string s = "SELECT " + tgt + ".rid FROM idx_reference " + i + " JOIN resources " + src +
                      " ON " + src + ".rid = " + i + ".rid JOIN resources " + tgt + " ON " + tgt +
                      ".type = " + i + ".target_type AND " + tgt + ".id = " + i +
                      ".target_id WHERE " + i + ".type = " + Bind(sql, c.has_type) + " AND " + i +
                      ".param = " + Bind(sql, c.param) + " AND " + src + ".deleted = 0";
      for (const auto& clause : c.subquery->clauses) {
        s += " AND (";
        for (size_t k = 0; k < clause.size(); ++k) {
          if (k) s += " OR ";
          s += ConditionSql(clause[k], *c.subquery, src, sql);
        }
        s += ")";
      }
      return r + ".rid " + (c.negated ? "NOT IN (" : "IN (") + s + ")";
    }
  }
  return "0=1";
}

void SqlBuilder::Where(const Query& q, const std::string& r, Sql* sql) const {
  sql->text += " WHERE " + r + ".deleted = 0" + TypeFilter(q.types, r + ".type", sql);
  for (const auto& clause : q.clauses) {
    if (clause.empty()) continue;
    sql->text += " AND (";
    for (size_t k = 0; k < clause.size(); ++k) {
      if (k) sql->text += " OR ";
      // Bind order follows text order, so build the condition before appending.
      std::string cond = ConditionSql(clause[k], q, r, sql);
      sql->text += cond;
    }
    sql->text += ")";
  }
}

Sql SqlBuilder::Search(const Query& q, int64_t limit) const {
  Sql sql;
  sql.text = "SELECT r.rid FROM resources r";
  Where(q, "r", &sql);
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
        }
        expr = "(SELECT " + agg + "(so." + col + ") FROM " + IndexTableName(k.table) +
               " so WHERE so.rid = r.rid AND so.param = " + Bind(&sql, k.param) + ")";
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
  return sql;
}

Sql SqlBuilder::Count(const Query& q) const {
  Sql sql;
  sql.text = "SELECT count(*) FROM resources r";
  Where(q, "r", &sql);
  return sql;
}

}  // namespace kangyun::store
