// Small string helpers shared by every layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kangyun {

std::vector<std::string> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
std::string_view Trim(std::string_view s);
std::string AsciiLower(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
// The value of a hexadecimal digit, or -1.
int HexDigitValue(char c);
// The four hexadecimal digits that follow \u in a JSON or FHIRPath escape, read from the start
// of s; nullopt when they are not four hex digits.
std::optional<uint32_t> ParseHex4(std::string_view s);
// Decodes %XX and, when plus_is_space, '+' (application/x-www-form-urlencoded).
std::string PercentDecode(std::string_view s, bool plus_is_space);
std::string PercentEncode(std::string_view s);
// Lower-case hex of bytes, and back (nullopt when not an even number of hex digits).
std::string Hex(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view hex);
// Standard base64 (RFC 4648, with padding; whitespace ignored); nullopt when malformed.
std::optional<std::string> Base64Decode(std::string_view s);
// True when s is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// 64-bit FNV-1a of s, continuing from h: a fast hash that never changes between versions, for
// keys that are stored (index row keys, resident keys) or name things on disk. Inline: index
// extraction hashes every row's parameter.
constexpr uint64_t kFnv1aBasis = 14695981039346656037ULL;
inline uint64_t Fnv1a(std::string_view s, uint64_t h = kFnv1aBasis) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace kangyun
