// UTF-8 encoding and strict decoding, shared by the JSON reader, search normalisation and the
// FHIRPath lexer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kangyun {

// Appends the UTF-8 encoding of a code point (REQUIRES: cp <= 0x10FFFF, not a surrogate).
void AppendUtf8(uint32_t cp, std::string* out);

// Decodes the well-formed sequence at s[*pos] into *cp and advances *pos. Returns false and
// leaves *pos as it was for a malformed, overlong, surrogate or truncated sequence.
bool DecodeUtf8(std::string_view s, size_t* pos, uint32_t* cp);

}  // namespace kangyun
