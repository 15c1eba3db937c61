// UCUM units reduced to a canonical form, so that quantities in different units of one
// dimension compare (5 mg = 0.005 g; 120 mm[Hg] in kPa). Covers the UCUM grammar (prefixes,
// exponents, products, quotients, 10*n factors, annotations) and the atoms health data uses.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kangyun::fhir {

struct CanonicalUnit {
  double factor = 1;                // value in canonical units = value * factor
  std::map<std::string, int> dims;  // base atom -> exponent
  // The canonical unit written as UCUM-like text ("g.m-3"), stable for indexing.
  std::string Code() const;
};

// Parses a UCUM unit expression; nullopt for unknown atoms or bad syntax. FHIRPath calendar
// words (year, days, ...) are accepted as their UCUM definite durations.
std::optional<CanonicalUnit> ParseUcum(std::string_view unit);

}  // namespace kangyun::fhir
