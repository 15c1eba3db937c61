#include "search/search_planner.h"

#include <cmath>
#include <cstdlib>

#include "base/strings.h"
#include "fhir/datetime.h"
#include "fhir/fhirpath/quantity.h"
#include "fhir/normalize.h"

namespace kangyun::search {
namespace {

using store::Comparator;
using store::Condition;
using store::IndexTable;

constexpr int kMaxChainDepth = 4;
constexpr size_t kMaxTokenSet = 2000;  // codes one :in / :below may expand to

struct Prefixed {
  Comparator cmp = Comparator::kEq;
  std::string rest;
};

Prefixed SplitPrefix(const std::string& v) {
  static const std::pair<const char*, Comparator> kPrefixes[] = {
      {"eq", Comparator::kEq}, {"ne", Comparator::kNe}, {"gt", Comparator::kGt},
      {"lt", Comparator::kLt}, {"ge", Comparator::kGe}, {"le", Comparator::kLe},
      {"sa", Comparator::kSa}, {"eb", Comparator::kEb}, {"ap", Comparator::kAp}};
  for (const auto& [p, c] : kPrefixes)
    if (v.size() > 2 && v.compare(0, 2, p) == 0) return {c, v.substr(2)};
  return {Comparator::kEq, v};
}

// A decimal search value and the range its precision implies (100 is [99.5, 100.5]).
bool ParseNumber(const std::string& s, double* value, double* half_unit) {
  if (s.empty()) return false;
  char* end = nullptr;
  *value = std::strtod(s.c_str(), &end);
  if (!end || *end || std::isnan(*value) || std::isinf(*value)) return false;
  for (char c : s)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' ||
          c == 'e' || c == 'E'))
      return false;
  std::string mantissa = s;
  int exponent = 0;
  if (auto e = s.find_first_of("eE"); e != std::string::npos) {
    mantissa = s.substr(0, e);
    exponent = std::atoi(s.c_str() + e + 1);
  }
  int decimals = 0;
  if (auto dot = mantissa.find('.'); dot != std::string::npos)
    decimals = static_cast<int>(mantissa.size() - dot - 1);
  *half_unit = 0.5 * std::pow(10.0, exponent - decimals);
  return true;
}

Status BadValue(const FilterParam& f, const std::string& value, const std::string& why) {
  return Invalid("Invalid value '" + value + "' for search parameter '" + f.name + "': " + why,
                 f.name);
}

// [system|]code: "code" (any system), "system|code", "|code" (no system), "system|" (any code).
Status ParseToken(const FilterParam& f, const std::string& raw, Condition* c) {
  std::vector<std::string> parts = SplitEscaped(raw, '|', true);
  if (parts.size() == 1) {
    c->code = parts[0];
  } else if (parts.size() == 2) {
    if (parts[0].empty() && parts[1].empty()) return BadValue(f, raw, "empty token");
    c->system = parts[0];
    if (!parts[1].empty()) c->code = parts[1];
  } else {
    return BadValue(f, raw, "expected [system|]code");
  }
  return Status::Ok();
}

void SetRange(Condition* c, Comparator cmp, double value, double half_unit) {
  c->cmp = cmp;
  if (cmp == Comparator::kEq || cmp == Comparator::kNe) {
    c->low = value - half_unit;
    c->high = value + half_unit;
  } else if (cmp == Comparator::kAp) {
    double d = std::fabs(value) * 0.1;
    c->low = value - d;
    c->high = value + d;
  } else {
    c->low = c->high = value;
  }
}

}  // namespace

store::IndexTable SearchPlanner::TableFor(const std::string& t) {
  if (t == "string") return IndexTable::kString;
  if (t == "number") return IndexTable::kNumber;
  if (t == "date") return IndexTable::kDate;
  if (t == "quantity") return IndexTable::kQuantity;
  if (t == "reference") return IndexTable::kReference;
  if (t == "uri") return IndexTable::kUri;
  if (t == "composite") return IndexTable::kComposite;
  return IndexTable::kToken;
}

namespace {

// Where :in, :not-in, :above and :below find their codes: the terminology service when the
// planner has one (R4's, the platform's and stored code systems), else the loaded definitions.
struct Codes {
  const fhir::Definitions& defs;
  const terminology::Terminology* terms;

  std::optional<std::vector<std::pair<std::string, std::string>>> Expand(const std::string& url,
                                                                         std::string* why) const {
    std::vector<std::pair<std::string, std::string>> out;
    if (terms) {
      auto codes = terms->Expand(url);
      if (!codes.ok()) {
        *why = codes.status().message();
        return std::nullopt;
      }
      for (const terminology::Coding& c : *codes) out.emplace_back(c.system, c.code);
      return out;
    }
    const auto* expansion = defs.ValueSetExpansion(url);
    if (!expansion) {
      *why = "the ValueSet is not known here or cannot be expanded";
      return std::nullopt;
    }
    for (const auto& code : *expansion) out.emplace_back(code.system, code.code);
    return out;
  }
  std::optional<std::vector<std::string>> Subsumed(const std::string& system,
                                                   const std::string& code, bool below) const {
    if (terms) return terms->Subsumed(system, code, below);
    return defs.Subsumed(system, code, below);
  }
};

// The condition one value of a parameter (not a chain) stands for.
Result<Condition> ValueCondition(const Codes& codes, const fhir::SearchParamDef& def,
                                 const FilterParam& f, const std::string& raw, int64_t now) {
  Condition c;
  c.param = def.code;
  c.table = SearchPlanner::TableFor(def.type);
  const std::string& mod = f.modifier;
  if (mod == "missing") {
    if (raw != "true" && raw != "false") return BadValue(f, raw, "expected true or false");
    c.kind = Condition::Kind::kMissing;
    c.missing = raw == "true";
    return c;
  }
  std::string value = Unescape(raw);
  if (def.query_form) value = def.query_form(value);
  if (def.type == "string") {
    if (!mod.empty() && mod != "exact" && mod != "contains")
      return Invalid("Modifier :" + mod + " is not supported on string parameter " + def.code,
                     f.name);
    c.string_mode = mod == "exact"      ? Condition::StringMode::kExact
                    : mod == "contains" ? Condition::StringMode::kContains
                                        : Condition::StringMode::kPrefix;
    c.text = mod == "exact" ? value : fhir::NormalizeForSearch(value);
    return c;
  }
  if (def.type == "token") {
    if (mod == "in" || mod == "not-in") {
      // Codes of a ValueSet the terminology service can expand.
      std::string why;
      auto expansion = codes.Expand(value, &why);
      if (!expansion) return BadValue(f, raw, why);
      if (expansion->size() > kMaxTokenSet)
        return BadValue(f, raw, "the ValueSet has too many codes for :" + mod);
      c.token_set = std::move(*expansion);
      c.negated = mod == "not-in";
      return c;
    }
    if (mod == "above" || mod == "below") {
      // Subsumption in a CodeSystem hierarchy the loaded definitions carry.
      std::vector<std::string> parts = SplitEscaped(raw, '|', true);
      if (parts.size() != 2 || parts[0].empty() || parts[1].empty())
        return BadValue(f, raw, ":" + mod + " needs system|code");
      auto subsumed = codes.Subsumed(parts[0], parts[1], mod == "below");
      if (!subsumed) return BadValue(f, raw, "the code system is not known here");
      for (const std::string& code : *subsumed) c.token_set.emplace_back(parts[0], code);
      return c;
    }
    if (mod == "of-type") {
      // type-system|type-code|value, matched against the identifier's type coding.
      std::vector<std::string> parts = SplitEscaped(raw, '|', true);
      if (parts.size() != 3 || parts[1].empty() || parts[2].empty())
        return BadValue(f, raw, ":of-type needs type-system|type-code|value");
      c.param = def.code + ":of-type";
      c.system = parts[0];
      c.code = parts[1] + "|" + parts[2];
      return c;
    }
    if (!mod.empty() && mod != "not" && mod != "text")
      return Invalid("Modifier :" + mod + " is not supported on token parameter " + def.code,
                     f.name);
    if (mod == "text") {
      c.token_text = true;
      c.text = fhir::NormalizeForSearch(value);
      return c;
    }
    c.negated = mod == "not";
    KY_RETURN_IF_ERROR(ParseToken(f, raw, &c));
    return c;
  }
  if (def.type == "number") {
    if (!mod.empty())
      return Invalid("Modifier :" + mod + " is not supported on number parameter " + def.code,
                     f.name);
    Prefixed p = SplitPrefix(value);
    double v, half;
    if (!ParseNumber(p.rest, &v, &half)) return BadValue(f, raw, "expected a number");
    SetRange(&c, p.cmp, v, half);
    return c;
  }
  if (def.type == "date") {
    if (!mod.empty())
      return Invalid("Modifier :" + mod + " is not supported on date parameter " + def.code,
                     f.name);
    Prefixed p = SplitPrefix(value);
    auto dt = fhir::ParseDateTime(p.rest, true);
    if (!dt) return BadValue(f, raw, "expected a date such as 2024-05-01 or 2024-05-01T10:00:00Z");
    c.cmp = p.cmp;
    c.date_low = dt->LowMicros();
    c.date_high = dt->HighMicros();
    if (p.cmp == Comparator::kAp) {
      int64_t gap = std::llabs(now - c.date_low) / 10;
      c.date_low -= gap;
      c.date_high += gap;
    }
    return c;
  }
  if (def.type == "quantity") {
    if (!mod.empty())
      return Invalid("Modifier :" + mod + " is not supported on quantity parameter " + def.code,
                     f.name);
    std::vector<std::string> parts = SplitEscaped(raw, '|', true);
    if (parts.size() != 1 && parts.size() != 3)
      return BadValue(f, raw, "expected [prefix]number[|system|code]");
    Prefixed p = SplitPrefix(parts[0]);
    double v, half;
    if (!ParseNumber(p.rest, &v, &half)) return BadValue(f, raw, "expected a number");
    SetRange(&c, p.cmp, v, half);
    if (parts.size() == 3) {
      if (!parts[1].empty()) c.system = parts[1];
      if (!parts[2].empty()) c.code = parts[2];
      bool ucum = parts[1].empty() || parts[1] == "http://unitsofmeasure.org";
      if (ucum && !parts[2].empty()) {
        if (auto canon = fhir::ParseUcum(parts[2])) {
          c.canonical_code = canon->Code();
          c.canonical_low = c.low * canon->factor;
          c.canonical_high = c.high * canon->factor;
        }
      }
    }
    return c;
  }
  if (def.type == "uri") {
    if (!mod.empty() && mod != "above" && mod != "below")
      return Invalid("Modifier :" + mod + " is not supported on uri parameter " + def.code, f.name);
    c.string_mode = mod == "above"   ? Condition::StringMode::kAbove
                    : mod == "below" ? Condition::StringMode::kBelow
                                     : Condition::StringMode::kExact;
    c.text = value;
    return c;
  }
  if (def.type == "reference") {
    if (mod == "identifier") {
      c.table = IndexTable::kToken;
      c.param = def.code + ":identifier";
      KY_RETURN_IF_ERROR(ParseToken(f, raw, &c));
      return c;
    }
    if (value.empty()) return BadValue(f, raw, "empty reference");
    if (value.find("://") != std::string::npos || StartsWith(value, "urn:")) {
      c.url = value;
      if (auto bar = c.url.find('|'); bar != std::string::npos) c.url.resize(bar);
      return c;
    }
    std::vector<std::string> parts = Split(value, '/');
    if (parts.size() == 1) {
      c.target_id = parts[0];
      if (!mod.empty())
        c.target_types = {mod};
      else
        c.target_types = def.targets;
    } else if (parts.size() == 2 || (parts.size() == 4 && parts[2] == "_history")) {
      c.target_types = {parts[0]};
      c.target_id = parts[1];
      if (!mod.empty() && mod != parts[0]) {
        c.kind = Condition::Kind::kNever;
      }
    } else {
      return BadValue(f, raw, "expected [Type/]id or an absolute URL");
    }
    return c;
  }
  if (def.type == "composite") {
    if (!mod.empty())
      return Invalid("Modifier :" + mod + " is not supported on composite parameter " + def.code,
                     f.name);
    std::vector<std::string> parts = SplitEscaped(raw, '$', false);
    if (parts.size() != 2 || def.components.size() < 2)
      return BadValue(f, raw, "expected two components separated by $");
    FilterParam plain = f;
    plain.modifier.clear();
    fhir::SearchParamDef first;
    first.code = def.code;
    first.type = def.components[0].type.empty() ? "token" : def.components[0].type;
    fhir::SearchParamDef second = first;
    second.type = def.components[1].type.empty() ? "token" : def.components[1].type;
    KY_ASSIGN_OR_RETURN(Condition a, ValueCondition(codes, first, plain, parts[0], now));
    KY_ASSIGN_OR_RETURN(Condition b, ValueCondition(codes, second, plain, parts[1], now));
    c.table = IndexTable::kComposite;
    if (first.type == "reference") {
      c.code = (a.target_types.size() == 1 ? a.target_types[0] + "/" : std::string()) + a.target_id;
    } else {
      c.system = a.system;
      c.code = a.code;
    }
    if (second.type == "reference") {
      b.text = (b.target_types.size() == 1 ? b.target_types[0] + "/" : std::string()) + b.target_id;
    }
    c.second = std::make_shared<Condition>(b);
    return c;
  }
  return Invalid("Search parameter '" + def.code + "' (" + def.type + ") is not supported", f.name);
}

}  // namespace

Status SearchPlanner::AddFilter(const std::vector<std::string>& types, const FilterParam& f,
                                const fhir::SearchParameterRegistry::Snapshot& snap, bool strict,
                                int64_t now, int depth, store::Query* query,
                                std::vector<std::string>* ignored) const {
  if (depth > kMaxChainDepth) return Invalid("Chain too deep in '" + f.name + "'", f.name);
  std::vector<Condition> clause;
  // _has:Type:param:rest=value
  if (f.code == "_has") {
    std::vector<std::string> parts = Split(f.modifier, ':');
    if (parts.size() < 3 || !defs_.IsResourceType(parts[0]))
      return Invalid("Invalid _has parameter '" + f.name + "': expected _has:Type:reference:param",
                     f.name);
    std::string rest = f.modifier.substr(parts[0].size() + parts[1].size() + 2);
    auto ref = snap.Find(parts[0], parts[1]);
    if (!ref || ref->type != "reference")
      return Invalid("Unknown reference parameter '" + parts[1] + "' on " + parts[0], f.name);
    QueryParams inner_params;
    std::string joined;
    for (size_t i = 0; i < f.values.size(); ++i) joined += (i ? "," : "") + f.values[i];
    inner_params.emplace_back(rest, joined);
    KY_ASSIGN_OR_RETURN(SearchRequest inner, ParseSearchRequest(inner_params));
    auto sub = std::make_shared<store::Query>();
    sub->types = {parts[0]};
    std::vector<std::string> sub_ignored;
    for (const FilterParam& g : inner.filters)
      KY_RETURN_IF_ERROR(
          AddFilter(sub->types, g, snap, true, now, depth + 1, sub.get(), &sub_ignored));
    Condition c;
    c.kind = Condition::Kind::kReverseChain;
    c.param = parts[1];
    c.has_type = parts[0];
    c.subquery = sub;
    query->clauses.push_back({c});
    return Status::Ok();
  }
  // _filter: one expression, whose commas are its own (not alternatives).
  if (f.code == "_filter") {
    if (!f.modifier.empty()) return Invalid("_filter takes no modifier", f.name);
    std::string text;
    for (size_t i = 0; i < f.values.size(); ++i) text += (i ? "," : "") + f.values[i];
    KY_ASSIGN_OR_RETURN(FilterNode node, ParseFilterExpression(text));
    KY_ASSIGN_OR_RETURN(auto clauses, FilterClauses(node, types, snap, now, depth));
    for (auto& clause : clauses) query->clauses.push_back(std::move(clause));
    return Status::Ok();
  }
  // _id and _lastUpdated live on the resource table.
  if (f.code == "_id" || f.code == "_lastUpdated") {
    if (f.modifier == "missing") {
      // Every resource has an id and a lastUpdated.
      if (f.values.size() != 1 || (f.values[0] != "true" && f.values[0] != "false"))
        return Invalid(":missing takes one value, true or false", f.name);
      if (f.values[0] == "true") {
        Condition never;
        never.kind = Condition::Kind::kNever;
        query->clauses.push_back({never});
      }
      return Status::Ok();
    }
    if (!f.modifier.empty() && !(f.code == "_id" && f.modifier == "not"))
      return Invalid("Modifier :" + f.modifier + " is not supported on " + f.code, f.name);
    for (const std::string& raw : f.values) {
      Condition c;
      std::string value = Unescape(raw);
      if (f.code == "_id") {
        c.kind = Condition::Kind::kId;
        c.text = value;
        c.negated = f.modifier == "not";
      } else {
        c.kind = Condition::Kind::kLastUpdated;
        Prefixed p = SplitPrefix(value);
        auto dt = fhir::ParseDateTime(p.rest, true);
        if (!dt) return BadValue(f, raw, "expected a date or instant");
        c.cmp = p.cmp;
        c.date_low = dt->LowMicros();
        c.date_high = dt->HighMicros();
      }
      if (c.negated)
        query->clauses.push_back({c});
      else
        clause.push_back(c);
    }
    if (!clause.empty()) query->clauses.push_back(std::move(clause));
    return Status::Ok();
  }
  // _text (the narrative) and _content (all of the resource's text): every word of a value,
  // as a substring; the values of one parameter are alternatives.
  if (f.code == "_text" || f.code == "_content") {
    if (!f.modifier.empty() && f.modifier != "missing")
      return Invalid("Modifier :" + f.modifier + " is not supported on " + f.code, f.name);
    for (const std::string& raw : f.values) {
      Condition c;
      c.table = IndexTable::kText;
      c.param = f.code;
      if (f.modifier == "missing") {
        if (raw != "true" && raw != "false") return BadValue(f, raw, "expected true or false");
        c.kind = Condition::Kind::kMissing;
        c.missing = raw == "true";
      } else {
        c.text = fhir::NormalizeForSearch(Unescape(raw));
        if (Trim(c.text).empty()) return BadValue(f, raw, "expected words to search for");
      }
      clause.push_back(std::move(c));
    }
    query->clauses.push_back(std::move(clause));
    return Status::Ok();
  }
  // Find the definition on any of the searched types.
  fhir::SearchParamPtr def;
  for (const std::string& t : types) {
    if ((def = snap.Find(t, f.code))) break;
  }
  if (types.empty() && !def) {
    for (const auto& [t, list] : snap.by_type) {
      if ((def = snap.Find(t, f.code))) break;
    }
  }
  if (!def) {
    if (strict) return Invalid("Unknown search parameter '" + f.code + "'", f.name);
    ignored->push_back(f.name);
    return Status::Ok();
  }
  if (def->type == "special" || (!def->compiled && def->type != "composite")) {
    if (strict) return Invalid("Search parameter '" + f.code + "' is not supported", f.name);
    ignored->push_back(f.name);
    return Status::Ok();
  }
  if (!f.chain.empty()) {
    if (def->type != "reference")
      return Invalid("Chaining needs a reference parameter; '" + f.code + "' is " + def->type,
                     f.name);
    std::vector<std::string> targets;
    if (!f.modifier.empty()) {
      if (!defs_.IsResourceType(f.modifier))
        return Invalid("Unknown resource type '" + f.modifier + "' in chain", f.name);
      targets = {f.modifier};
    } else {
      targets = def->targets;
    }
    // Split the chained part: "name" or "organization.name" or "code:text".
    FilterParam next;
    next.values = f.values;
    next.name = f.chain;
    std::string head = f.chain;
    if (auto dot = f.chain.find('.'); dot != std::string::npos) {
      head = f.chain.substr(0, dot);
      next.chain = f.chain.substr(dot + 1);
    }
    if (auto colon = head.find(':'); colon != std::string::npos) {
      next.code = head.substr(0, colon);
      next.modifier = head.substr(colon + 1);
    } else {
      next.code = head;
    }
    for (const std::string& target : targets) {
      if (!snap.Find(target, next.code) && next.code != "_id" && next.code != "_lastUpdated")
        continue;
      auto sub = std::make_shared<store::Query>();
      sub->types = {target};
      std::vector<std::string> sub_ignored;
      KY_RETURN_IF_ERROR(
          AddFilter(sub->types, next, snap, true, now, depth + 1, sub.get(), &sub_ignored));
      Condition c;
      c.kind = Condition::Kind::kChain;
      c.param = def->code;
      c.subquery = sub;
      clause.push_back(std::move(c));
    }
    if (clause.empty())
      return Invalid("No target of '" + f.code + "' has a search parameter '" + next.code + "'",
                     f.name);
    query->clauses.push_back(std::move(clause));
    return Status::Ok();
  }
  if (f.modifier == "missing" && f.values.size() != 1)
    return Invalid(":missing takes one value, true or false", f.name);
  for (const std::string& raw : f.values) {
    if (raw.empty()) return BadValue(f, raw, "empty value");
    KY_ASSIGN_OR_RETURN(Condition c, ValueCondition(Codes{defs_, terms_}, *def, f, raw, now));
    // "not any of" is an AND of negations.
    if (c.negated)
      query->clauses.push_back({c});
    else
      clause.push_back(std::move(c));
  }
  if (!clause.empty()) query->clauses.push_back(std::move(clause));
  return Status::Ok();
}

Result<std::vector<std::vector<Condition>>> SearchPlanner::FilterClauses(
    const FilterNode& node, const std::vector<std::string>& types,
    const fhir::SearchParameterRegistry::Snapshot& snap, int64_t now, int depth) const {
  using Clauses = std::vector<std::vector<Condition>>;
  // Each part as few subqueries deep as it can be: the embedded store's SQL parser has a
  // bounded stack, and the access rules add their own subqueries to every chain.
  auto as_one = [&](Clauses clauses) -> Condition {
    if (clauses.size() == 1 && clauses[0].size() == 1) return std::move(clauses[0][0]);
    Condition c;
    c.kind = Condition::Kind::kMatches;
    c.subquery = std::make_shared<store::Query>();
    c.subquery->types = types;
    c.subquery->clauses = std::move(clauses);
    return c;
  };
  if (node.kind == FilterNode::Kind::kAnd) {
    Clauses out;
    for (const FilterNode& child : node.children) {
      KY_ASSIGN_OR_RETURN(Clauses part, FilterClauses(child, types, snap, now, depth));
      for (auto& clause : part) out.push_back(std::move(clause));
    }
    return out;
  }
  if (node.kind == FilterNode::Kind::kOr) {
    std::vector<Condition> any;
    for (const FilterNode& child : node.children) {
      KY_ASSIGN_OR_RETURN(Clauses part, FilterClauses(child, types, snap, now, depth));
      if (part.size() == 1) {
        for (Condition& c : part[0]) any.push_back(std::move(c));
      } else {
        any.push_back(as_one(std::move(part)));
      }
    }
    return Clauses{std::move(any)};
  }
  if (node.kind == FilterNode::Kind::kNot) {
    KY_ASSIGN_OR_RETURN(Clauses inner, FilterClauses(node.children[0], types, snap, now, depth));
    Condition c = as_one(std::move(inner));
    c.negated = !c.negated;
    return Clauses{{std::move(c)}};
  }
  // A test: the search parameter it names (the last of a chain), and the operator as that
  // parameter's modifier or prefix.
  auto refuse = [&](const std::string& why) {
    return Invalid("_filter: " + node.path + " " + node.op + " " + node.value + ": " + why,
                   "_filter");
  };
  std::string head = node.path, chain;
  if (auto dot = node.path.find('.'); dot != std::string::npos) {
    head = node.path.substr(0, dot);
    chain = node.path.substr(dot + 1);
  }
  fhir::SearchParamPtr def;
  for (const std::string& t : types)
    if ((def = snap.Find(t, head))) break;
  if (!def && head != "_id" && head != "_lastUpdated") return refuse("unknown search parameter");
  std::string type = head == "_id" ? "token" : head == "_lastUpdated" ? "date" : def->type;
  // A chain's type is its last parameter's, found step by step through the targets.
  std::vector<std::string> targets = def ? def->targets : std::vector<std::string>{};
  for (const std::string& step : chain.empty() ? std::vector<std::string>{} : Split(chain, '.')) {
    if (type != "reference") return refuse("a chain goes on from reference parameters only");
    fhir::SearchParamPtr next;
    for (const std::string& target : targets)
      if ((next = snap.Find(target, step))) break;
    if (!next) return refuse("no target has a parameter '" + step + "'");
    type = next->type;
    targets = next->targets;
  }
  std::string modifier, prefix;
  bool negate = false;
  const std::string& op = node.op;
  if (op == "pr") {
    if (node.value != "true" && node.value != "false") return refuse("pr takes true or false");
    if (!chain.empty()) return refuse("pr on a chain is not supported");
    modifier = "missing";
  } else if (op == "ne" && type != "number" && type != "date" && type != "quantity") {
    negate = true;  // the resource has no value equal to it
  } else if (type == "string") {
    if (op == "eq")
      modifier = "exact";
    else if (op == "co")
      modifier = "contains";
    else if (op != "sw")
      return refuse("a string is tested with eq, ne, co, sw or pr");
  } else if (type == "token" || type == "reference" || type == "uri") {
    if (op == "in")
      modifier = "in";
    else if (op == "ni")
      modifier = "not-in";
    else if (op == "sb")
      modifier = "below";
    else if (op == "ss")
      modifier = "above";
    else if (op != "eq")
      return refuse("a " + type + " is tested with eq, ne, in, ni, sb, ss or pr");
  } else if (type == "number" || type == "date" || type == "quantity") {
    if (op == "co" || op == "sw" || op == "ew" || op == "in" || op == "ni" || op == "sb" ||
        op == "ss" || op == "re" || op == "po")
      return refuse("a " + type + " is compared with eq, ne, gt, lt, ge, le, sa, eb, ap or pr");
    prefix = op;
  } else {
    return refuse("a " + type + " parameter is not supported in _filter");
  }
  FilterParam f;
  f.name = "_filter";
  f.code = head;
  f.chain = chain.empty() ? "" : chain + (modifier.empty() ? "" : ":" + modifier);
  f.modifier = chain.empty() ? modifier : "";
  std::string value = op == "pr" ? (node.value == "true" ? "false" : "true") : prefix + node.value;
  // The value is one, as written: escape what a search value would split or read.
  std::string escaped;
  for (char ch : value) {
    if (ch == '\\' || ch == ',' || ch == '$') escaped += '\\';
    escaped += ch;
  }
  f.values = {escaped};
  std::vector<std::string> ignored;
  store::Query test;
  KY_RETURN_IF_ERROR(AddFilter(types, f, snap, true, now, depth + 1, &test, &ignored));
  if (!negate) return test.clauses;
  Condition c = as_one(std::move(test.clauses));
  c.negated = !c.negated;
  return Clauses{{std::move(c)}};
}

Result<SearchPlan> SearchPlanner::Plan(const std::vector<std::string>& types,
                                       const SearchRequest& request, bool strict,
                                       int64_t now) const {
  SearchPlan plan;
  plan.query.types = types;
  auto snap = params_.snapshot();
  for (const FilterParam& f : request.filters)
    KY_RETURN_IF_ERROR(AddFilter(types, f, *snap, strict, now, 0, &plan.query, &plan.ignored));
  for (const SortRequest& s : request.sort) {
    store::SortKey key;
    key.descending = s.descending;
    if (s.param == "_id") {
      key.kind = store::SortKey::Kind::kId;
    } else if (s.param == "_lastUpdated") {
      key.kind = store::SortKey::Kind::kLastUpdated;
    } else {
      fhir::SearchParamPtr def;
      for (const std::string& t : types)
        if ((def = snap->Find(t, s.param))) break;
      if (!def) return Invalid("Unknown sort parameter '" + s.param + "'", "_sort");
      key.param = def->code;
      key.table = TableFor(def->type);
    }
    plan.query.sort.push_back(key);
  }
  return plan;
}

}  // namespace kangyun::search
