// Reading and writing JSON text, and JSON Patch. This is the one JSON library of Kangyun.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "json/value.h"

namespace kangyun::json {

struct ParseOptions {
  // Deeper documents are refused instead of exhausting the stack; FHIR resources nest far less.
  int max_depth = 128;
};

// Parses one JSON value that must span the whole text (whitespace aside). Refuses invalid
// UTF-8, control characters in strings, lone surrogates, duplicate member names, and
// nesting beyond max_depth. Errors name the line and column.
Result<Value> Parse(std::string_view text, const ParseOptions& options = {});

// Compact JSON text. Raw values are copied unchanged.
std::string Write(const Value& value);
void WriteTo(const Value& value, std::string* out);
std::string WritePretty(const Value& value);
// Appends s as a JSON string literal (with quotes).
void WriteString(std::string_view s, std::string* out);

// Applies an RFC 6902 JSON Patch document (an array of operations) to doc. On error doc may be
// partly changed; callers apply to a copy.
Status ApplyPatch(const Value& patch, Value* doc);

}  // namespace kangyun::json
