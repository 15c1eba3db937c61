// The _filter search parameter's expressions (http://hl7.org/fhir/R4/search_filter.html):
// `name co "王" and (birthdate ge 1990-01-01 or gender eq female) and not (active eq false)`,
// parsed into a tree the search planner compiles (search_planner.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kangyun::search {

struct FilterNode {
  enum class Kind { kTest, kAnd, kOr, kNot };
  Kind kind = Kind::kTest;
  // kTest: a parameter (or a chain of them, "subject.name"), an operator, a value.
  std::string path, op, value;
  std::vector<FilterNode> children;  // kAnd and kOr: two; kNot: one
};

// kInvalid naming the position and what was expected. Nesting is bounded (parentheses and
// `not`, 8 deep), since each level is a subquery.
Result<FilterNode> ParseFilterExpression(std::string_view text);

}  // namespace kangyun::search
