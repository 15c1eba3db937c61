// Normalisation of string search values: the FHIR string search is case- and
// accent-insensitive, so indexed values and search values pass through the same function.
#pragma once

#include <string>
#include <string_view>

namespace kangyun::fhir {

// Lower-cases ASCII and Latin letters with diacritics (é -> e), folds full-width ASCII forms
// (common in Chinese input) to ASCII, and collapses runs of whitespace. Other characters,
// Chinese among them, pass unchanged.
std::string NormalizeForSearch(std::string_view s);

}  // namespace kangyun::fhir
