// Passwords are kept only as Argon2id hashes (libsodium's crypto_pwhash_str: the salt and the
// cost parameters travel inside the encoded hash, so costs can rise without a migration).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace kangyun::auth {

// The encoded Argon2id hash ("$argon2id$v=19$m=...,t=...,p=1$salt$hash").
Result<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view password, const std::string& encoded_hash);
// What a password must be: at least 10 characters, not all of one kind (letters, digits).
Status CheckPasswordStrength(std::string_view password);

}  // namespace kangyun::auth
