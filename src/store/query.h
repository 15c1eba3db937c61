// A search as the store executes it: a backend-neutral tree that search/ compiles FHIR search
// parameters into and each store translates into its own SQL.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kangyun::store {

enum class IndexTable {
  kString,
  kToken,
  kNumber,
  kDate,
  kQuantity,
  kReference,
  kUri,
  kComposite,
  kText,  // _text and _content: every word of `text` (split at spaces) occurs in the text
};

// Search prefixes (http://hl7.org/fhir/R4/search.html#prefix).
enum class Comparator { kEq, kNe, kGt, kLt, kGe, kLe, kSa, kEb, kAp };

struct Query;

struct Condition {
  enum class Kind {
    kIndex,         // a value in an index table
    kMissing,       // :missing (missing = true: no row for the parameter)
    kId,            // _id: text
    kLastUpdated,   // _lastUpdated: date range with cmp
    kCompartment,   // in the Patient compartment of `text` (or of any of `patients`, below)
    kChain,         // param references a resource matching subquery
    kReverseChain,  // a resource of has_type whose param references this one matches subquery
    kNever,         // matches nothing (e.g. a chain to an unknown type)
    kType,          // the resource's type is one of target_types (negated: is none of them)
    kMatches,       // the resource itself matches subquery (of its own type)
  };
  Kind kind = Kind::kIndex;
  IndexTable table = IndexTable::kToken;
  std::string param;
  bool negated = false;  // :not and ne: the resource has no matching row

  // kString (and kUri): mode and value
  enum class StringMode { kPrefix, kExact, kContains, kAbove, kBelow };
  StringMode string_mode = StringMode::kPrefix;
  std::string text;

  // kToken (and a composite's first part): nullopt system means any system; "" means none.
  std::optional<std::string> system;
  std::optional<std::string> code;
  bool token_text = false;  // :text: prefix match on the display text
  // A set of (system, code) pairs (:in, :not-in, :above, :below); when set, system and code
  // are not used.
  std::vector<std::pair<std::string, std::string>> token_set;

  // kNumber, kQuantity, kDate, kLastUpdated: comparator and the search value's range
  Comparator cmp = Comparator::kEq;
  double low = 0, high = 0;
  int64_t date_low = 0, date_high = 0;
  // kQuantity: units; when canonical_code is set the search compares canonical values
  std::string canonical_code;
  double canonical_low = 0, canonical_high = 0;

  // kReference: local target (types may be several for an untyped id), or a url
  std::vector<std::string> target_types;
  std::string target_id;
  std::string url;

  // kMissing
  bool missing = false;

  // kCompartment over several Patients (an export of a Group): in the compartment of any of
  // them; with `any_patient`, of any Patient at all (negated: of none); with a subquery (of
  // Patient), of any Patient it matches (who may see what: api/access_policy.h).
  std::vector<std::string> patients;
  bool any_patient = false;

  // kChain, kReverseChain, kMatches, kCompartment
  std::shared_ptr<Query> subquery;
  std::string has_type;

  // kComposite: the second component, as a condition on the composite row's c2 columns
  std::shared_ptr<Condition> second;
};

struct SortKey {
  enum class Kind { kParam, kId, kLastUpdated };
  Kind kind = Kind::kParam;
  IndexTable table = IndexTable::kString;
  std::string param;
  bool descending = false;
};

struct Query {
  std::vector<std::string> types;  // resource types searched; empty means every type
  // Conjunction of disjunctions: every clause must hold; a clause holds when any of its
  // conditions does.
  std::vector<std::vector<Condition>> clauses;
  std::vector<SortKey> sort;
  // Keyset paging for walks over large results (bulk export): only rows after this row id.
  // Used without `sort`, whose order is then the row id's.
  int64_t after_rid = 0;
};

}  // namespace kangyun::store
