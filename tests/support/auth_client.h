// Test support: obtaining access tokens from a server's authorization server the way real
// clients do (authorization code with PKCE for people, JWT assertions for systems).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "auth/jwt.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {

// The password, portal client and redirect the tests' accounts are made with.
constexpr const char* kPassword = "Kangyun-test-2026";
constexpr const char* kApp = "portal";
constexpr const char* kRedirect = "http://127.0.0.1/callback";

struct TokenReply {
  int status = 0;
  std::string access_token, refresh_token, body;
};

// Logs in at /auth/authorize (with PKCE) as the user through client_id's redirect_uri, and
// swaps the code at /auth/token. status is the first failing step's, or the token's 200.
TokenReply LoginToken(int port, const std::string& username, const std::string& password,
                      const std::string& client_id, const std::string& redirect_uri,
                      const std::string& scope = "");
TokenReply RefreshToken(int port, const std::string& refresh_token, const std::string& client_id);
// A client assertion (SMART Backend Services) signed with key.
std::string ClientAssertion(const auth::Key& key, const std::string& client_id,
                            const std::string& audience, const std::string& jti,
                            int64_t lifetime_seconds = 240);
TokenReply SystemToken(int port, const std::string& assertion, const std::string& scope = "");
std::vector<std::pair<std::string, std::string>> Bearer(const std::string& token);

}  // namespace kangyun::testing
