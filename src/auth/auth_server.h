// The OAuth 2.0 authorization server of the platform, after SMART App Launch v2 and SMART
// Backend Services (docs/security.md):
//  - people log in with a password at /auth/authorize (authorization code with PKCE S256) and
//    get a short-lived access token and a rotating refresh token at /auth/token;
//  - institutions' systems get an access token at /auth/token with client credentials proven
//    by a JWT assertion (RS384 or ES384) signed with a key registered for them;
//  - /auth/jwks publishes the server's token-signing key; the SMART configuration document is
//    served at [fhir base]/.well-known/smart-configuration.
// Access tokens are ES384 JWTs the server signs and checks itself (Authenticate); every process
// serving one store shares the signing key, kept as a store record. Independent of the HTTP
// library: the server hands requests in and writes replies out.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "auth/jwt.h"
#include "auth/principal.h"
#include "base/env.h"
#include "base/status.h"
#include "store/store.h"

namespace kangyun::auth {

struct AuthConfig {
  // Who issues tokens: the server's public origin ("https://health.example.cn"). Access tokens
  // name it as iss and its FHIR base as aud; assertions must name its token endpoint as aud.
  std::string issuer = "http://127.0.0.1:8080";
  int64_t access_token_seconds = 300;
  int64_t refresh_token_seconds = 8 * 3600;
  int64_t code_seconds = 60;
  int64_t assertion_max_seconds = 300;  // SMART: a client assertion lives five minutes at most
  int max_failed_logins = 5;
  int64_t lockout_seconds = 900;
};

struct AuthHttpRequest {
  std::string method;
  std::string path;   // "/auth/token"
  std::string query;  // raw, after '?'
  std::string body;
  std::string content_type;
  std::string address;        // the peer's address, for the audit trail
  std::string authorization;  // the Authorization header (the account API takes a Bearer token)
};

struct AuthHttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // with Content-Type
  std::string body;
};

// What the audit trail records of authentication: logins (also failed and locked-out ones)
// and token grants; and of account administration: who created or changed which account.
struct AuthEvent {
  std::string action;  // "login", "token", "refresh"; "user-create", "client-update", ...
  bool success = false;
  std::string subject;  // "user/…" or "client/…", also when the attempt failed
  std::string client_id;
  std::string address;
  std::string detail;  // why it failed
  Role role = Role::kResident;
  std::string patient;          // a resident's Patient id
  bool account_change = false;  // an administrator's change to an account (account_admin.h)
};

class AuthServer {
 public:
  AuthServer(store::Store& store, Clock& clock, AuthConfig config);

  // Loads the token-signing key, making one on the first start.
  Status Start();
  AuthHttpResponse Handle(const AuthHttpRequest& req);
  // The principal of an "Authorization: Bearer …" header value. kUnauthorized names why not.
  // A token verified once is remembered until it expires (kMaxVerified at most): its ES384
  // signature costs more to check than most requests cost to answer.
  Result<Principal> Authenticate(std::string_view authorization);
  static constexpr size_t kMaxVerified = 10000;
  std::string SmartConfiguration() const;
  std::string TokenEndpoint() const { return config_.issuer + "/auth/token"; }
  std::string FhirAudience() const { return config_.issuer + "/fhir"; }
  const AuthConfig& config() const { return config_; }
  // Where authentication events go (the audit trail).
  void SetEventSink(std::function<void(const AuthEvent&)> sink) { sink_ = std::move(sink); }

 private:
  AuthHttpResponse HandleUnrecorded(const AuthHttpRequest& req);
  // /auth/admin/…: the account API (account_admin.h), for administrators' tokens only.
  AuthHttpResponse AccountAdmin(const AuthHttpRequest& req);
  AuthHttpResponse AuthorizePage(const AuthHttpRequest& req);
  AuthHttpResponse AuthorizeSubmit(const AuthHttpRequest& req);
  AuthHttpResponse Token(const AuthHttpRequest& req);
  AuthHttpResponse CodeGrant(const AuthHttpRequest& req, const std::string& body);
  AuthHttpResponse RefreshGrant(const AuthHttpRequest& req, const std::string& body);
  AuthHttpResponse ClientCredentialsGrant(const AuthHttpRequest& req, const std::string& body);
  // Checks username and password, counting failures toward a lock-out.
  Result<struct User> Login(const std::string& username, const std::string& password,
                            const std::string& address);
  Result<std::string> IssueAccessToken(const Principal& p, int64_t now);
  void Emit(AuthEvent e);
  Result<Principal> Verify(std::string_view token);
  // Drops expired codes and assertion ids, at most once a minute.
  void Sweep(int64_t now);

  store::Store& store_;
  Clock& clock_;
  AuthConfig config_;
  std::unique_ptr<Key> key_;
  std::string kid_;
  std::function<void(const AuthEvent&)> sink_;
  std::atomic<int64_t> last_sweep_{0};
  // Tokens whose signature, issuer, audience and claims checked out, with their expiry.
  struct Verified {
    Principal principal;
    int64_t expires = 0;  // micros
  };
  std::mutex verified_mu_;
  std::unordered_map<std::string, Verified> verified_;
};

}  // namespace kangyun::auth
