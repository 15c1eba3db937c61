// JSON Web Tokens (RFC 7519) signed with JWS (RFC 7515), in the two algorithms SMART Backend
// Services requires: RS384 (RSA, PKCS#1 v1.5, SHA-384) and ES384 (ECDSA on P-384, SHA-384).
// Keys come from PEM or JWK (RFC 7517). The server signs its access tokens with its own ES384
// key; clients sign their assertions with keys registered for them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "json/value.h"

struct evp_pkey_st;

namespace kangyun::auth {

class Key {
 public:
  // A private key (PKCS#8 or traditional PEM) or a public key (SubjectPublicKeyInfo PEM).
  static Result<Key> FromPem(std::string_view pem);
  // One JWK, or the first key of a JWK Set ({"keys": [...]}) with the given kid when kid is
  // not empty. Public keys only.
  static Result<Key> FromJwk(const json::Value& jwk, std::string_view kid = "");
  // A new ES384 key pair.
  static Key GenerateEs384();

  // "ES384" for an EC P-384 key, "RS384" for RSA of 2048 bits or more, "" for other keys
  // (which sign and verify nothing).
  const std::string& algorithm() const { return alg_; }
  bool has_private() const { return has_private_; }
  std::string PrivatePem() const;  // REQUIRES: has_private()
  std::string PublicPem() const;
  // The public key as a JWK with kid, alg and use=sig.
  json::Value PublicJwk(const std::string& kid) const;

  evp_pkey_st* get() const { return pkey_.get(); }

 private:
  Key() = default;
  explicit Key(std::shared_ptr<evp_pkey_st> pkey, bool has_private);
  std::shared_ptr<evp_pkey_st> pkey_;
  std::string alg_;
  bool has_private_ = false;
};

// A JWT taken apart; nothing is verified by parsing.
struct Jwt {
  json::Value header;
  json::Value claims;
  std::string signing_input;  // base64url(header) "." base64url(claims)
  std::string signature;      // raw bytes
};

// Compact serialization of claims signed with key (header: alg, typ JWT, kid).
Result<std::string> SignJwt(const json::Value& claims, const Key& key, const std::string& kid);
Result<Jwt> ParseJwt(std::string_view token);
// The header's alg must be the key's: a token can neither pick "none" nor trade one
// algorithm for another.
Status VerifyJwtSignature(const Jwt& jwt, const Key& key);

}  // namespace kangyun::auth
