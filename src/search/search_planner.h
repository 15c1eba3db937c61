// Compiles a SearchRequest into the store's backend-neutral Query: looks parameters up in the
// registry, parses each value by the parameter's type (prefixes, modifiers, escapes, precision),
// and builds chains and _has as nested queries.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "fhir/definitions.h"
#include "fhir/search_parameters.h"
#include "search/filter_expression.h"
#include "search/search_request.h"
#include "store/query.h"
#include "terminology/terminology.h"

namespace kangyun::search {

struct SearchPlan {
  store::Query query;
  std::vector<std::string> ignored;  // unknown parameters left out (lenient handling)
};

class SearchPlanner {
 public:
  // terms: where :in, :not-in, :above and :below find codes (null: the definitions only).
  SearchPlanner(const fhir::Definitions& defs, const fhir::SearchParameterRegistry& params,
                const terminology::Terminology* terms = nullptr)
      : defs_(defs), params_(params), terms_(terms) {}

  // types: the searched types (one for a type search, several or all for a system search).
  // strict: Prefer: handling=strict, where unknown parameters are errors.
  // now_micros: for the `ap` prefix on dates.
  Result<SearchPlan> Plan(const std::vector<std::string>& types, const SearchRequest& request,
                          bool strict, int64_t now_micros) const;

  // The table a parameter of this type is indexed in.
  static store::IndexTable TableFor(const std::string& param_type);

 private:
  Status AddFilter(const std::vector<std::string>& types, const FilterParam& f,
                   const fhir::SearchParameterRegistry::Snapshot& snap, bool strict, int64_t now,
                   int depth, store::Query* query, std::vector<std::string>* ignored) const;
  // A _filter expression (or a part of one) as clauses of a query on the resource.
  Result<std::vector<std::vector<store::Condition>>> FilterClauses(
      const FilterNode& node, const std::vector<std::string>& types,
      const fhir::SearchParameterRegistry::Snapshot& snap, int64_t now, int depth) const;

  const fhir::Definitions& defs_;
  const fhir::SearchParameterRegistry& params_;
  const terminology::Terminology* terms_;
};

}  // namespace kangyun::search
