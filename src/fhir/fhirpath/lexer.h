// Tokens of FHIRPath text (internal to fhirpath/).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kangyun::fhir::fhirpath {

struct Token {
  enum class Kind {
    kIdentifier,
    kDelimitedIdentifier,
    kString,
    kNumber,
    kDate,
    kTime,
    kSymbol,
    kVariable,
    kEnd
  };
  Kind kind;
  std::string text;  // identifier name, unescaped string, number text, symbol, variable name
  int position;      // 1-based
};

Result<std::vector<Token>> Tokenize(std::string_view text);

}  // namespace kangyun::fhir::fhirpath
