#include "tests/support/auth_client.h"

#include <chrono>

#include "auth/crypto.h"
#include "base/strings.h"
#include "json/json.h"

namespace kangyun::testing {
namespace {

const std::vector<std::pair<std::string, std::string>> kForm = {
    {"Content-Type", "application/x-www-form-urlencoded"}};

std::string QueryValue(const std::string& url, const std::string& name) {
  size_t q = url.find('?');
  if (q == std::string::npos) return "";
  for (const std::string& pair : Split(url.substr(q + 1), '&')) {
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return PercentDecode(pair.substr(eq + 1), true);
  }
  return "";
}

TokenReply FromTokenResponse(const HttpResult& r) {
  TokenReply t;
  t.status = r.status;
  t.body = r.body;
  if (auto v = json::Parse(r.body); v.ok() && v->is_object()) {
    t.access_token = v->GetString("access_token");
    t.refresh_token = v->GetString("refresh_token");
  }
  return t;
}

}  // namespace

TokenReply LoginToken(int port, const std::string& username, const std::string& password,
                      const std::string& client_id, const std::string& redirect_uri,
                      const std::string& scope) {
  std::string verifier = auth::RandomToken(32);
  std::string challenge = auth::Base64UrlEncode(auth::Sha256(verifier));
  std::string form = "response_type=code&client_id=" + PercentEncode(client_id) +
                     "&redirect_uri=" + PercentEncode(redirect_uri) +
                     "&scope=" + PercentEncode(scope) + "&state=s1&code_challenge=" + challenge +
                     "&code_challenge_method=S256&username=" + PercentEncode(username) +
                     "&password=" + PercentEncode(password);
  HttpResult login = HttpCall("127.0.0.1", port, "POST", "/auth/authorize", kForm, form);
  TokenReply t;
  t.status = login.status;
  t.body = login.body;
  if (login.status != 302) return t;
  std::string code = QueryValue(login.headers["location"], "code");
  if (code.empty()) {
    t.status = 400;
    t.body = login.headers["location"];
    return t;
  }
  HttpResult token = HttpCall("127.0.0.1", port, "POST", "/auth/token", kForm,
                              "grant_type=authorization_code&code=" + PercentEncode(code) +
                                  "&redirect_uri=" + PercentEncode(redirect_uri) + "&client_id=" +
                                  PercentEncode(client_id) + "&code_verifier=" + verifier);
  return FromTokenResponse(token);
}

TokenReply RefreshToken(int port, const std::string& refresh_token, const std::string& client_id) {
  return FromTokenResponse(
      HttpCall("127.0.0.1", port, "POST", "/auth/token", kForm,
               "grant_type=refresh_token&refresh_token=" + PercentEncode(refresh_token) +
                   "&client_id=" + PercentEncode(client_id)));
}

std::string ClientAssertion(const auth::Key& key, const std::string& client_id,
                            const std::string& audience, const std::string& jti,
                            int64_t lifetime_seconds) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  json::Value c = json::Value::Object();
  c.Set("iss", json::Value::String(client_id));
  c.Set("sub", json::Value::String(client_id));
  c.Set("aud", json::Value::String(audience));
  c.Set("exp", json::Value::Integer(now + lifetime_seconds));
  c.Set("jti", json::Value::String(jti));
  return auth::SignJwt(c, key, "test-key").value();
}

TokenReply SystemToken(int port, const std::string& assertion, const std::string& scope) {
  return FromTokenResponse(HttpCall(
      "127.0.0.1", port, "POST", "/auth/token", kForm,
      "grant_type=client_credentials&scope=" + PercentEncode(scope) + "&client_assertion_type=" +
          PercentEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
          "&client_assertion=" + assertion));
}

std::vector<std::pair<std::string, std::string>> Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}, {"Content-Type", "application/fhir+json"}};
}

}  // namespace kangyun::testing
