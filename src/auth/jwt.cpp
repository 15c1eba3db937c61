#include "auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <vector>

#include "auth/crypto.h"
#include "json/json.h"

namespace kangyun::auth {
namespace {

constexpr size_t kEs384Half = 48;  // bytes of r and of s in an ES384 signature

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* k) { return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free); }

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string BnBytes(const EVP_PKEY* k, const char* name, int pad) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &raw) != 1) return "";
  Bn bn(raw);
  int n = pad > 0 ? pad : BN_num_bytes(bn.get());
  std::string out(static_cast<size_t>(n), '\0');
  BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

// ECDSA signs in DER; JWS carries r and s as fixed-width big-endian integers.
std::optional<std::string> DerToRaw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, SigFree> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return std::nullopt;
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(2 * kEs384Half, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, kEs384Half) < 0 || BN_bn2binpad(s, o + kEs384Half, kEs384Half) < 0)
    return std::nullopt;
  return out;
}

std::optional<std::string> RawToDer(const std::string& raw) {
  if (raw.size() != 2 * kEs384Half) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(p, kEs384Half, nullptr);
  BIGNUM* s = BN_bin2bn(p + kEs384Half, kEs384Half, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int n = i2d_ECDSA_SIG(sig.get(), &der);
  if (n <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

Result<std::string> JwkMember(const json::Value& jwk, std::string_view name) {
  const json::Value* v = jwk.Find(name);
  if (!v || !v->is_string()) return Invalid("The JWK has no '" + std::string(name) + "'");
  auto bytes = Base64UrlDecode(v->str());
  if (!bytes || bytes->empty())
    return Invalid("The JWK's '" + std::string(name) + "' is not base64url");
  return *bytes;
}

Result<std::shared_ptr<EVP_PKEY>> FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  bool ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (!ok) return Invalid("The JWK does not hold a valid public key");
  return Own(key);
}

}  // namespace

Key::Key(std::shared_ptr<EVP_PKEY> pkey, bool has_private)
    : pkey_(std::move(pkey)), has_private_(has_private) {
  int id = EVP_PKEY_get_base_id(pkey_.get());
  if (id == EVP_PKEY_EC) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey_.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof(group), &len) == 1 &&
        std::string_view(group, len) == "secp384r1")
      alg_ = "ES384";
  } else if (id == EVP_PKEY_RSA && EVP_PKEY_get_bits(pkey_.get()) >= 2048) {
    alg_ = "RS384";
  }
}

Result<Key> Key::FromPem(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr))
    return Key(Own(k), true);
  Bio again(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (EVP_PKEY* k = PEM_read_bio_PUBKEY(again.get(), nullptr, nullptr, nullptr))
    return Key(Own(k), false);
  return Invalid("Not a PEM private or public key");
}

Result<Key> Key::FromJwk(const json::Value& jwk, std::string_view kid) {
  if (!jwk.is_object()) return Invalid("A JWK must be a JSON object");
  if (const json::Value* keys = jwk.Find("keys")) {
    if (!keys->is_array()) return Invalid("A JWK Set's 'keys' must be an array");
    for (const json::Value& k : keys->items())
      if (k.is_object() && (kid.empty() || k.GetString("kid") == kid)) return FromJwk(k);
    return Invalid("The JWK Set has no key with kid '" + std::string(kid) + "'");
  }
  std::string_view kty = jwk.GetString("kty");
  std::unique_ptr<OSSL_PARAM_BLD, void (*)(OSSL_PARAM_BLD*)> bld(OSSL_PARAM_BLD_new(),
                                                                 OSSL_PARAM_BLD_free);
  std::shared_ptr<EVP_PKEY> key;
  if (kty == "EC") {
    if (jwk.GetString("crv") != "P-384") return Invalid("Only EC keys on P-384 are accepted");
    KY_ASSIGN_OR_RETURN(std::string x, JwkMember(jwk, "x"));
    KY_ASSIGN_OR_RETURN(std::string y, JwkMember(jwk, "y"));
    if (x.size() != kEs384Half || y.size() != kEs384Half)
      return Invalid("The JWK's x and y must be 48 bytes each");
    std::string point = "\x04" + x + y;
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                     point.size());
    KY_ASSIGN_OR_RETURN(key, FromParams("EC", bld.get()));
  } else if (kty == "RSA") {
    KY_ASSIGN_OR_RETURN(std::string n, JwkMember(jwk, "n"));
    KY_ASSIGN_OR_RETURN(std::string e, JwkMember(jwk, "e"));
    Bn bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()),
                      nullptr));
    Bn bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()),
                      nullptr));
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
    KY_ASSIGN_OR_RETURN(key, FromParams("RSA", bld.get()));
  } else {
    return Invalid("Only EC (P-384) and RSA JWKs are accepted");
  }
  return Key(std::move(key), false);
}

Key Key::GenerateEs384() {
  return Key(Own(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")), true);
}

std::string Key::PrivatePem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return BioText(bio.get());
}

std::string Key::PublicPem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), pkey_.get());
  return BioText(bio.get());
}

json::Value Key::PublicJwk(const std::string& kid) const {
  json::Value jwk = json::Value::Object();
  if (alg_ == "ES384") {
    jwk.Set("kty", json::Value::String("EC"));
    jwk.Set("crv", json::Value::String("P-384"));
    jwk.Set("x", json::Value::String(
                     Base64UrlEncode(BnBytes(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_X, kEs384Half))));
    jwk.Set("y", json::Value::String(
                     Base64UrlEncode(BnBytes(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, kEs384Half))));
  } else {
    jwk.Set("kty", json::Value::String("RSA"));
    jwk.Set("n",
            json::Value::String(Base64UrlEncode(BnBytes(pkey_.get(), OSSL_PKEY_PARAM_RSA_N, 0))));
    jwk.Set("e",
            json::Value::String(Base64UrlEncode(BnBytes(pkey_.get(), OSSL_PKEY_PARAM_RSA_E, 0))));
  }
  jwk.Set("kid", json::Value::String(kid));
  jwk.Set("alg", json::Value::String(alg_));
  jwk.Set("use", json::Value::String("sig"));
  return jwk;
}

Result<std::string> SignJwt(const json::Value& claims, const Key& key, const std::string& kid) {
  if (key.algorithm().empty() || !key.has_private())
    return Internal("the key cannot sign ES384 or RS384");
  json::Value header = json::Value::Object();
  header.Set("alg", json::Value::String(key.algorithm()));
  header.Set("typ", json::Value::String("JWT"));
  if (!kid.empty()) header.Set("kid", json::Value::String(kid));
  std::string input =
      Base64UrlEncode(json::Write(header)) + "." + Base64UrlEncode(json::Write(claims));
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    return Internal("signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return Internal("signing failed");
  sig.resize(len);
  if (key.algorithm() == "ES384") {
    auto raw = DerToRaw(sig);
    if (!raw) return Internal("signing failed");
    sig = std::move(*raw);
  }
  return input + "." + Base64UrlEncode(sig);
}

Result<Jwt> ParseJwt(std::string_view token) {
  size_t a = token.find('.');
  size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos)
    return Invalid("Not a signed JWT (three dot-separated parts)");
  auto header = Base64UrlDecode(token.substr(0, a));
  auto claims = Base64UrlDecode(token.substr(a + 1, b - a - 1));
  auto signature = Base64UrlDecode(token.substr(b + 1));
  if (!header || !claims || !signature) return Invalid("The JWT is not base64url");
  Jwt jwt;
  auto h = json::Parse(*header);
  auto c = json::Parse(*claims);
  if (!h.ok() || !c.ok() || !h->is_object() || !c->is_object())
    return Invalid("The JWT's header and claims must be JSON objects");
  jwt.header = std::move(h).value();
  jwt.claims = std::move(c).value();
  jwt.signing_input = std::string(token.substr(0, b));
  jwt.signature = std::move(*signature);
  return jwt;
}

Status VerifyJwtSignature(const Jwt& jwt, const Key& key) {
  std::string_view alg = jwt.header.GetString("alg");
  if (key.algorithm().empty() || alg != key.algorithm())
    return Status(StatusCode::kUnauthorized,
                  "The JWT's alg '" + std::string(alg) + "' is not its key's (" +
                      (key.algorithm().empty() ? std::string("unsupported key") : key.algorithm()) +
                      ")");
  std::string sig = jwt.signature;
  if (alg == "ES384") {
    auto der = RawToDer(sig);
    if (!der) return Status(StatusCode::kUnauthorized, "The JWT's signature is malformed");
    sig = std::move(*der);
  }
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(jwt.signing_input.data()),
                       jwt.signing_input.size()) != 1)
    return Status(StatusCode::kUnauthorized, "The JWT's signature does not verify");
  return Status::Ok();
}

}  // namespace kangyun::auth
