#include "search/version_match.h"

#include <algorithm>

#include "base/strings.h"

namespace kangyun::search {
namespace {

using store::Comparator;
using store::Condition;
using store::IndexTable;

// Target range [lo, hi] against the search range [low, high], as SqlBuilder::RangeSql.
template <typename T>
bool InRange(Comparator cmp, T lo, T hi, T low, T high) {
  switch (cmp) {
    case Comparator::kEq:
      return lo >= low && hi <= high;
    case Comparator::kNe:
      return lo < low || hi > high;
    case Comparator::kGt:
      return hi > high;
    case Comparator::kSa:
      return lo > high;
    case Comparator::kLt:
      return lo < low;
    case Comparator::kEb:
      return hi < low;
    case Comparator::kGe:
      return hi > high || (lo >= low && hi <= high);
    case Comparator::kLe:
      return lo < low || (lo >= low && hi <= high);
    case Comparator::kAp:
      return lo <= high && hi >= low;
  }
  return false;
}

bool StringMatches(Condition::StringMode mode, const std::string& norm, const std::string& exact,
                   const std::string& text) {
  switch (mode) {
    case Condition::StringMode::kExact:
      return exact == text;
    case Condition::StringMode::kContains:
      return norm.find(text) != std::string::npos;
    default:
      return norm.starts_with(text);
  }
}

bool TokenMatches(const Condition& c, const std::string& system, const std::string& code,
                  const std::string& text) {
  if (c.token_text) return text.starts_with(c.text);
  if (!c.token_set.empty()) {
    // A bare `code` element is indexed without a system: it matches a member by code.
    return std::any_of(c.token_set.begin(), c.token_set.end(), [&](const auto& member) {
      return member.second == code && (member.first == system || system.empty());
    });
  }
  return (!c.code || *c.code == code) && (!c.system || *c.system == system);
}

bool SecondMatches(const Condition& d, const store::CompositeRow& r) {
  switch (d.table) {
    case IndexTable::kToken:
      return (!d.code || *d.code == r.c2_code) && (!d.system || *d.system == r.c2_system);
    case IndexTable::kQuantity:
    case IndexTable::kNumber:
      return InRange(d.cmp, r.c2_low, r.c2_high, d.low, d.high) &&
             (!d.code || *d.code == r.c2_code) && (!d.system || *d.system == r.c2_system);
    case IndexTable::kDate:
      return InRange(d.cmp, r.c2_low, r.c2_high, static_cast<double>(d.date_low),
                     static_cast<double>(d.date_high));
    case IndexTable::kString:
      return r.c2_text.starts_with(d.text);
    default:
      return r.c2_text == d.text;
  }
}

// Whether a row of the condition's parameter in its table matches it.
template <typename Row, typename Test>
bool AnyRow(const std::vector<Row>& rows, const std::string& param, Test test) {
  return std::any_of(rows.begin(), rows.end(),
                     [&](const Row& r) { return r.param == param && test(r); });
}

bool IndexMatch(const Condition& c, const store::IndexRows& rows) {
  const std::string& p = c.param;
  switch (c.table) {
    case IndexTable::kString:
      return AnyRow(rows.strings, p, [&](const store::StringRow& r) {
        return StringMatches(c.string_mode, r.norm, r.exact, c.text);
      });
    case IndexTable::kToken:
      return AnyRow(rows.tokens, p, [&](const store::TokenRow& r) {
        return TokenMatches(c, r.system, r.code, r.text);
      });
    case IndexTable::kNumber:
      return AnyRow(rows.numbers, p, [&](const store::NumberRow& r) {
        return InRange(c.cmp, r.value, r.value, c.low, c.high);
      });
    case IndexTable::kDate:
      return AnyRow(rows.dates, p, [&](const store::DateRow& r) {
        return InRange(c.cmp, r.low, r.high, c.date_low, c.date_high);
      });
    case IndexTable::kQuantity:
      return AnyRow(rows.quantities, p, [&](const store::QuantityRow& r) {
        if (!c.canonical_code.empty())
          return r.canonical_code == c.canonical_code &&
                 InRange(c.cmp, r.canonical_value, r.canonical_value, c.canonical_low,
                         c.canonical_high);
        return InRange(c.cmp, r.value, r.value, c.low, c.high) && (!c.code || *c.code == r.code) &&
               (!c.system || *c.system == r.system);
      });
    case IndexTable::kReference:
      return AnyRow(rows.references, p, [&](const store::ReferenceRow& r) {
        if (!c.url.empty()) return !r.url.empty() && r.url == c.url;
        return r.target_id == c.target_id &&
               (c.target_types.empty() || std::find(c.target_types.begin(), c.target_types.end(),
                                                    r.target_type) != c.target_types.end());
      });
    case IndexTable::kUri:
      return AnyRow(rows.uris, p, [&](const store::UriRow& r) {
        switch (c.string_mode) {
          case Condition::StringMode::kAbove:
            return c.text.starts_with(r.uri);
          case Condition::StringMode::kBelow:
            return r.uri.starts_with(c.text);
          default:
            return r.uri == c.text;
        }
      });
    case IndexTable::kComposite:
      return AnyRow(rows.composites, p, [&](const store::CompositeRow& r) {
        return (!c.code || *c.code == r.c1_code) && (!c.system || *c.system == r.c1_system) &&
               (!c.second || SecondMatches(*c.second, r));
      });
    case IndexTable::kText:
      return AnyRow(rows.texts, p, [&](const store::TextRow& r) {
        for (const std::string& word : Split(c.text, ' '))
          if (r.norm.find(word) == std::string::npos) return false;
        return true;
      });
  }
  return false;
}

bool HasRows(IndexTable table, const std::string& p, const store::IndexRows& rows) {
  auto any = [&](const auto& v) { return AnyRow(v, p, [](const auto&) { return true; }); };
  switch (table) {
    case IndexTable::kString:
      return any(rows.strings);
    case IndexTable::kToken:
      return any(rows.tokens);
    case IndexTable::kNumber:
      return any(rows.numbers);
    case IndexTable::kDate:
      return any(rows.dates);
    case IndexTable::kQuantity:
      return any(rows.quantities);
    case IndexTable::kReference:
      return any(rows.references);
    case IndexTable::kUri:
      return any(rows.uris);
    case IndexTable::kComposite:
      return any(rows.composites);
    case IndexTable::kText:
      return any(rows.texts);
  }
  return false;
}

bool ConditionHolds(const Condition& c, const store::StoredResource& v,
                    const store::IndexRows& rows) {
  switch (c.kind) {
    case Condition::Kind::kIndex:
      return IndexMatch(c, rows) != c.negated;
    case Condition::Kind::kMissing:
      return HasRows(c.table, c.param, rows) != c.missing;
    case Condition::Kind::kId:
      return (v.id == c.text) != c.negated;
    case Condition::Kind::kLastUpdated:
      return InRange(c.cmp, v.last_updated, v.last_updated, c.date_low, c.date_high) != c.negated;
    case Condition::Kind::kType:
      return (std::find(c.target_types.begin(), c.target_types.end(), v.type) !=
              c.target_types.end()) != c.negated;
    case Condition::Kind::kCompartment: {
      const auto& in = rows.patient_compartments;
      if (c.any_patient) return !in.empty();
      if (!c.text.empty()) return std::find(in.begin(), in.end(), c.text) != in.end();
      return std::any_of(in.begin(), in.end(), [&](const std::string& p) {
        return std::find(c.patients.begin(), c.patients.end(), p) != c.patients.end();
      });
    }
    default:  // kNever, and what CheckDecidable refuses
      return false;
  }
}

Status Undecidable(const Condition& c, const char* what) {
  return Invalid(std::string("The criteria use ") + what +
                 (c.param.empty() ? "" : " (" + c.param + ")") +
                 ", which needs other resources than the one that changed: a subscription's "
                 "criteria can test only the resource itself");
}

}  // namespace

Status CheckDecidable(const store::Query& q) {
  for (const auto& clause : q.clauses) {
    for (const Condition& c : clause) {
      switch (c.kind) {
        case Condition::Kind::kChain:
          return Undecidable(c, "a chained parameter");
        case Condition::Kind::kReverseChain:
          return Undecidable(c, "_has");
        case Condition::Kind::kMatches:
          return Undecidable(c, "a query of other resources");
        case Condition::Kind::kCompartment:
          if (c.subquery) return Undecidable(c, "a compartment chosen by a query");
          break;
        default:
          break;
      }
    }
  }
  return Status::Ok();
}

bool Matches(const store::Query& q, const store::StoredResource& version,
             const store::IndexRows& rows) {
  if (version.deleted) return false;
  if (!q.types.empty() && std::find(q.types.begin(), q.types.end(), version.type) == q.types.end())
    return false;
  return std::all_of(q.clauses.begin(), q.clauses.end(), [&](const auto& clause) {
    return std::any_of(clause.begin(), clause.end(),
                       [&](const Condition& c) { return ConditionHolds(c, version, rows); });
  });
}

}  // namespace kangyun::search
