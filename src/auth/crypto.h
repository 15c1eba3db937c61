// The few cryptographic primitives the platform's security uses, over OpenSSL and libsodium:
// randomness, SHA-256, base64url (JWTs, PKCE) and constant-time comparison.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/strings.h"  // Hex

namespace kangyun::auth {

// n bytes from the operating system's CSPRNG.
std::string RandomBytes(size_t n);
// An unguessable token: `bytes` random bytes, base64url without padding.
std::string RandomToken(size_t bytes = 32);

// SHA-256 of data: 32 raw bytes, or 64 lower-case hex digits.
std::string Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);

// SHA-256 of data given in parts (a file as it is written), as 64 lower-case hex digits.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view data);
  std::string HexDigest();  // once

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// HMAC-SHA-256 of data under key, as 64 lower-case hex digits.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Base64url (RFC 4648 section 5) without padding, as JWTs and PKCE use it.
std::string Base64UrlEncode(std::string_view bytes);
// Refuses padding, whitespace and characters outside the alphabet.
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Compares secrets in time that does not depend on where they first differ.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace kangyun::auth
