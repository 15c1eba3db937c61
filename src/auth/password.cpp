#include "auth/password.h"

#include <sodium.h>

#include <cctype>

namespace kangyun::auth {
namespace {

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

Result<std::string> HashPassword(std::string_view password) {
  if (!SodiumReady()) return Internal("libsodium failed to initialise");
  char out[crypto_pwhash_STRBYTES];
  // The interactive limits (2 passes over 64 MiB) cost about a tenth of a second a login on
  // this hardware: slow for guessing, tolerable for people.
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Internal("password hashing ran out of memory");
  return std::string(out);
}

bool VerifyPassword(std::string_view password, const std::string& encoded_hash) {
  if (!SodiumReady()) return false;
  return crypto_pwhash_str_verify(encoded_hash.c_str(), password.data(), password.size()) == 0;
}

Status CheckPasswordStrength(std::string_view password) {
  bool letter = false, digit = false;
  for (unsigned char c : password) {
    if (std::isalpha(c)) letter = true;
    if (std::isdigit(c)) digit = true;
  }
  if (password.size() < 10 || !letter || !digit)
    return Invalid("A password needs at least 10 characters, with letters and digits");
  return Status::Ok();
}

}  // namespace kangyun::auth
