// The codes of a coded value, whatever its type: what a binding is checked against.
#pragma once

#include <string_view>
#include <vector>

#include "json/value.h"

namespace kangyun::fhir {

struct CodingRef {
  std::string_view system;  // "" for a `code`, whose system the binding implies
  std::string_view code;    // may be empty (a Coding with a display alone)
};

// The (system, code) pairs of `v` as a value of `type`: a `code` (a string), a Coding, or each
// of a CodeableConcept's codings; none for other types or values of another shape. The views
// point into v.
std::vector<CodingRef> CodingsOf(const json::Value& v, std::string_view type);

}  // namespace kangyun::fhir
