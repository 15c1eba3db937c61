#include "auth/auth_server.h"

#include "auth/account_admin.h"
#include "auth/accounts.h"
#include "auth/crypto.h"
#include "auth/form.h"
#include "auth/password.h"
#include "base/log.h"
#include "base/strings.h"
#include "json/json.h"

namespace kangyun::auth {
namespace {

constexpr int64_t kMicros = 1000000;
constexpr std::string_view kAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

using json::Str;

AuthHttpResponse Json(int status, const json::Value& body) {
  AuthHttpResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json; charset=utf-8"}, {"Pragma", "no-cache"}};
  r.body = json::Write(body);
  return r;
}

// RFC 6749 section 5.2.
AuthHttpResponse OAuthError(int status, std::string_view error, std::string_view description) {
  json::Value v = json::Value::Object();
  v.Set("error", Str(error));
  v.Set("error_description", Str(description));
  AuthHttpResponse r = Json(status, v);
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"kangyun\"");
  return r;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr const char* kAuthorizeFields[] = {
    "response_type", "client_id", "redirect_uri",   "scope",
    "state",         "aud",       "code_challenge", "code_challenge_method"};

// The login page residents and clinicians see: Chinese first, English beside it.
AuthHttpResponse LoginPage(int status, const Form& params, const std::string& message) {
  std::string html =
      "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
      "<title>康云 登录 Kangyun sign-in</title></head><body>"
      "<h1>康云区域健康云 登录<br>Kangyun regional health cloud: sign in</h1>";
  if (!message.empty()) html += "<p role=\"alert\">" + HtmlEscape(message) + "</p>";
  html += "<form method=\"post\" action=\"/auth/authorize\">";
  for (const char* f : kAuthorizeFields)
    html += "<input type=\"hidden\" name=\"" + std::string(f) + "\" value=\"" +
            HtmlEscape(Get(params, f)) + "\">";
  html +=
      "<label>用户名 Username <input name=\"username\" autocomplete=\"username\"></label><br>"
      "<label>密码 Password <input name=\"password\" type=\"password\" "
      "autocomplete=\"current-password\"></label><br>"
      "<button type=\"submit\">登录 Sign in</button></form></body></html>";
  AuthHttpResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "text/html; charset=utf-8"}};
  r.body = std::move(html);
  return r;
}

AuthHttpResponse ErrorPage(int status, const std::string& message) {
  AuthHttpResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "text/html; charset=utf-8"}};
  r.body =
      "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>康云 "
      "Kangyun</title></head><body><p role=\"alert\">" +
      HtmlEscape(message) + "</p></body></html>";
  return r;
}

std::string WithQuery(const std::string& uri, const std::string& query) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + query;
}

// A client's registered key for an assertion: a PEM, or a JWK Set picked by the header's kid.
int64_t IntClaim(const json::Value& claims, std::string_view name) {
  const json::Value* v = claims.Find(name);
  if (!v || !v->is_number()) return -1;
  return std::atoll(v->str().c_str());
}

bool AudienceIs(const json::Value& claims, const std::string& expected) {
  const json::Value* aud = claims.Find("aud");
  if (!aud) return false;
  if (aud->is_string()) return aud->str() == expected;
  if (aud->is_array())
    for (const json::Value& a : aud->items())
      if (a.is_string() && a.str() == expected) return true;
  return false;
}

Principal PrincipalOfUser(const User& u, const std::string& client_id) {
  Principal p;
  p.subject = "user/" + u.username;
  p.display = u.display.empty() ? u.username : u.display;
  p.role = u.role;
  p.organization = u.organization;
  p.practitioner = u.practitioner;
  p.patient = u.patient;
  p.client_id = client_id;
  return p;
}

Principal PrincipalOfClient(const Client& c) {
  Principal p;
  p.subject = "client/" + c.id;
  p.display = c.name.empty() ? c.id : c.name;
  p.role = c.role;
  p.organization = c.organization;
  p.client_id = c.id;
  p.is_system = true;
  return p;
}

// A scope request narrowed to what the account allows; nothing requested means all of it.
Result<std::vector<Scope>> GrantedScopes(const std::string& requested, const std::string& allowed) {
  KY_ASSIGN_OR_RETURN(std::vector<Scope> allow, ParseScopes(allowed));
  if (Trim(requested).empty()) return allow;
  KY_ASSIGN_OR_RETURN(std::vector<Scope> req, ParseScopes(requested));
  return Narrow(req, allow);
}

bool GrantsData(const std::vector<Scope>& scopes) {
  for (const Scope& s : scopes)
    if (s.context != Scope::Context::kOther) return true;
  return false;
}

struct Lockout {
  int failures = 0;
  int64_t first = 0;         // micros of the first failure counted
  int64_t locked_until = 0;  // micros
};

Lockout ParseLockout(const std::optional<std::string>& text) {
  Lockout l;
  if (!text) return l;
  auto v = json::Parse(*text);
  if (!v.ok()) return l;
  l.failures = static_cast<int>(IntClaim(*v, "failures"));
  l.first = IntClaim(*v, "first");
  l.locked_until = IntClaim(*v, "lockedUntil");
  return l;
}

std::string LockoutJson(const Lockout& l) {
  json::Value v = json::Value::Object();
  v.Set("failures", json::Value::Integer(l.failures));
  v.Set("first", json::Value::Integer(l.first));
  v.Set("lockedUntil", json::Value::Integer(l.locked_until));
  return json::Write(v);
}

}  // namespace

AuthServer::AuthServer(store::Store& store, Clock& clock, AuthConfig config)
    : store_(store), clock_(clock), config_(std::move(config)) {}

Status AuthServer::Start() {
  // Check, then make under the write lock: processes that start together make one key.
  KY_ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  KY_ASSIGN_OR_RETURN(auto text, txn->GetRecord("signing-key", "current"));
  if (!text) {
    Key fresh = Key::GenerateEs384();
    json::Value v = json::Value::Object();
    v.Set("kid", Str(RandomToken(12)));
    v.Set("pem", Str(fresh.PrivatePem()));
    text = json::Write(v);
    KY_RETURN_IF_ERROR(txn->PutRecord("signing-key", "current", *text));
    KY_RETURN_IF_ERROR(txn->Commit());
  }
  KY_ASSIGN_OR_RETURN(json::Value v, json::Parse(*text));
  KY_ASSIGN_OR_RETURN(Key key, Key::FromPem(v.GetString("pem")));
  if (key.algorithm() != "ES384" || !key.has_private())
    return Internal("the stored token-signing key is not an ES384 private key");
  key_ = std::make_unique<Key>(std::move(key));
  kid_ = v.GetString("kid");
  return Status::Ok();
}

namespace {
// Events of the request this thread is handling: recorded once its transactions have ended
// (the audit trail writes in a transaction of its own, which a live one would block).
thread_local std::vector<AuthEvent> pending_events;
}  // namespace

void AuthServer::Emit(AuthEvent e) { pending_events.push_back(std::move(e)); }

AuthHttpResponse AuthServer::Handle(const AuthHttpRequest& req) {
  AuthHttpResponse response = HandleUnrecorded(req);
  std::vector<AuthEvent> events;
  events.swap(pending_events);
  if (sink_)
    for (const AuthEvent& e : events) sink_(e);
  return response;
}

AuthHttpResponse AuthServer::HandleUnrecorded(const AuthHttpRequest& req) {
  try {
    if (req.path == "/auth/authorize") {
      if (req.method == "GET") return AuthorizePage(req);
      if (req.method == "POST") return AuthorizeSubmit(req);
    } else if (req.path == "/auth/token") {
      if (req.method == "POST") return Token(req);
    } else if (StartsWith(req.path, "/auth/admin/")) {
      return AccountAdmin(req);
    } else if (req.path == "/auth/jwks") {
      if (req.method == "GET") {
        json::Value keys = json::Value::Array();
        keys.Push(key_->PublicJwk(kid_));
        json::Value set = json::Value::Object();
        set.Set("keys", std::move(keys));
        return Json(200, set);
      }
    } else {
      return OAuthError(404, "not_found", "No such endpoint");
    }
    return OAuthError(405, "invalid_request", "Method " + req.method + " is not allowed here");
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "auth " + req.path + ": " + e.what());
    return OAuthError(500, "server_error", "The request could not be processed");
  }
}

AuthHttpResponse AuthServer::AccountAdmin(const AuthHttpRequest& req) {
  auto principal = Authenticate(req.authorization);
  if (!principal.ok()) {
    AuthHttpResponse r = OAuthError(401, "invalid_token", principal.status().message());
    r.headers = {{"Content-Type", "application/json; charset=utf-8"},
                 {"WWW-Authenticate", "Bearer realm=\"kangyun\", error=\"invalid_token\""}};
    return r;
  }
  // Accounts are the platform operators' to manage: no other role, whatever its scopes.
  if (principal->role != Role::kAdmin)
    return OAuthError(403, "insufficient_scope", "Only an administrator manages accounts");
  return HandleAccountAdmin(store_, *principal, req, [this](AuthEvent e) { Emit(std::move(e)); });
}

AuthHttpResponse AuthServer::AuthorizePage(const AuthHttpRequest& req) {
  Form params = ParseForm(req.query);
  // A bad client or redirect URI is shown, never redirected to: an unregistered URI could
  // be anyone's.
  auto txn = store_.BeginRead();
  if (!txn.ok()) return ErrorPage(503, "服务暂不可用 Service unavailable");
  auto client = GetClient(**txn, Get(params, "client_id"));
  if (!client.ok() || !*client || (*client)->disabled)
    return ErrorPage(400, "未知的应用 Unknown client_id");
  const auto& uris = (*client)->redirect_uris;
  if (std::find(uris.begin(), uris.end(), Get(params, "redirect_uri")) == uris.end())
    return ErrorPage(400, "未登记的回调地址 redirect_uri is not registered for this client");
  return LoginPage(200, params, "");
}

Result<User> AuthServer::Login(const std::string& username, const std::string& password,
                               const std::string& address) {
  int64_t now = clock_.NowMicros();
  AuthEvent event;
  event.action = "login";
  event.subject = "user/" + username;
  event.address = address;
  std::optional<User> user;
  {
    KY_ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    KY_ASSIGN_OR_RETURN(Lockout l, [&]() -> Result<Lockout> {
      KY_ASSIGN_OR_RETURN(auto text, (*txn).GetRecord("lockout", username));
      return ParseLockout(text);
    }());
    if (l.locked_until > now) {
      event.detail = "account locked after repeated failures";
      Emit(event);
      return Status(StatusCode::kForbidden,
                    "登录失败次数过多，账户已暂时锁定 Too many failed sign-ins: the account is "
                    "locked for a while");
    }
    KY_ASSIGN_OR_RETURN(user, GetUser(*txn, username));
  }
  // Unknown users cost a hash too, so timing does not tell which usernames exist.
  static const std::string kDummy = HashPassword("not-a-real-password-0").value();
  bool ok =
      VerifyPassword(password, user ? user->password_hash : kDummy) && user && !user->disabled;
  KY_ASSIGN_OR_RETURN(auto w, store_.BeginWrite());
  KY_ASSIGN_OR_RETURN(auto text, w->GetRecord("lockout", username));
  Lockout l = ParseLockout(text);
  if (ok) {
    if (text) KY_RETURN_IF_ERROR(w->DeleteRecord("lockout", username));
  } else {
    if (now - l.first > config_.lockout_seconds * kMicros) l = Lockout{0, now, 0};
    if (++l.failures >= config_.max_failed_logins)
      l.locked_until = now + config_.lockout_seconds * kMicros;
    KY_RETURN_IF_ERROR(w->PutRecord("lockout", username, LockoutJson(l)));
  }
  KY_RETURN_IF_ERROR(w->Commit());
  event.success = ok;
  if (user) {
    event.role = user->role;
    event.patient = user->patient;
  }
  if (!ok) {
    event.detail = user && user->disabled ? "account disabled" : "wrong username or password";
    Emit(event);
    return Status(StatusCode::kUnauthorized, "用户名或密码错误 Wrong username or password");
  }
  Emit(event);
  return *user;
}

AuthHttpResponse AuthServer::AuthorizeSubmit(const AuthHttpRequest& req) {
  Form f = ParseForm(req.body);
  auto txn = store_.BeginRead();
  if (!txn.ok()) return ErrorPage(503, "服务暂不可用 Service unavailable");
  auto client = GetClient(**txn, Get(f, "client_id"));
  txn->reset();
  if (!client.ok() || !*client || (*client)->disabled)
    return ErrorPage(400, "未知的应用 Unknown client_id");
  const std::string redirect = Get(f, "redirect_uri");
  const auto& uris = (*client)->redirect_uris;
  if (std::find(uris.begin(), uris.end(), redirect) == uris.end())
    return ErrorPage(400, "未登记的回调地址 redirect_uri is not registered for this client");
  auto fail = [&](std::string_view error, std::string_view description) {
    AuthHttpResponse r;
    r.status = 302;
    r.headers = {
        {"Location", WithQuery(redirect, "error=" + PercentEncode(error) +
                                             "&error_description=" + PercentEncode(description) +
                                             "&state=" + PercentEncode(Get(f, "state")))}};
    return r;
  };
  if (Get(f, "response_type") != "code")
    return fail("unsupported_response_type", "Use response_type=code");
  if (Get(f, "code_challenge_method") != "S256" || Get(f, "code_challenge").size() < 43)
    return fail("invalid_request", "PKCE with code_challenge_method=S256 is required");
  if (!Get(f, "aud").empty() && Get(f, "aud") != FhirAudience())
    return fail("invalid_request", "aud must be this server's FHIR base, " + FhirAudience());
  auto user = Login(Get(f, "username"), Get(f, "password"), req.address);
  if (!user.ok()) {
    if (user.status().code() == StatusCode::kUnauthorized ||
        user.status().code() == StatusCode::kForbidden)
      return LoginPage(401, f, user.status().message());
    return ErrorPage(503, "服务暂不可用 Service unavailable");
  }
  std::string code = RandomToken();
  json::Value record = json::Value::Object();
  record.Set("username", Str(user->username));
  record.Set("clientId", Str((*client)->id));
  record.Set("redirectUri", Str(redirect));
  record.Set("scope", Str(Get(f, "scope")));
  record.Set("challenge", Str(Get(f, "code_challenge")));
  record.Set("expires", json::Value::Integer(clock_.NowMicros() + config_.code_seconds * kMicros));
  auto w = store_.BeginWrite();
  if (!w.ok() || !(*w)->PutRecord("code", Sha256Hex(code), json::Write(record)).ok() ||
      !(*w)->Commit().ok())
    return ErrorPage(503, "服务暂不可用 Service unavailable");
  AuthHttpResponse r;
  r.status = 302;
  r.headers = {{"Location", WithQuery(redirect, "code=" + PercentEncode(code) +
                                                    "&state=" + PercentEncode(Get(f, "state")))}};
  return r;
}

AuthHttpResponse AuthServer::Token(const AuthHttpRequest& req) {
  std::string ct = AsciiLower(req.content_type.substr(0, req.content_type.find(';')));
  if (std::string(Trim(ct)) != "application/x-www-form-urlencoded")
    return OAuthError(400, "invalid_request",
                      "The token request must be application/x-www-form-urlencoded");
  Sweep(clock_.NowMicros());
  Form f = ParseForm(req.body);
  std::string grant = Get(f, "grant_type");
  if (grant == "authorization_code") return CodeGrant(req, req.body);
  if (grant == "refresh_token") return RefreshGrant(req, req.body);
  if (grant == "client_credentials") return ClientCredentialsGrant(req, req.body);
  return OAuthError(400, "unsupported_grant_type",
                    "grant_type must be authorization_code, refresh_token or client_credentials");
}

Result<std::string> AuthServer::IssueAccessToken(const Principal& p, int64_t now) {
  json::Value c = json::Value::Object();
  c.Set("iss", Str(config_.issuer));
  c.Set("aud", Str(FhirAudience()));
  c.Set("sub", Str(p.subject));
  c.Set("iat", json::Value::Integer(now / kMicros));
  c.Set("exp", json::Value::Integer(now / kMicros + config_.access_token_seconds));
  c.Set("jti", Str(RandomToken(16)));
  c.Set("scope", Str(ScopeString(p.scopes)));
  c.Set("client_id", Str(p.client_id));
  c.Set("name", Str(p.display));
  c.Set("role", Str(RoleName(p.role)));
  if (!p.organization.empty()) c.Set("organization", Str(p.organization));
  if (!p.practitioner.empty()) c.Set("practitioner", Str(p.practitioner));
  if (!p.patient.empty()) c.Set("patient", Str(p.patient));
  if (p.is_system) c.Set("system", json::Value::Bool(true));
  return SignJwt(c, *key_, kid_);
}

namespace {

// The token response of RFC 6749 section 5.1, with SMART's patient context.
AuthHttpResponse TokenResponse(const std::string& access, int64_t lifetime, const Principal& p,
                               const std::string& refresh) {
  json::Value v = json::Value::Object();
  v.Set("access_token", Str(access));
  v.Set("token_type", Str("Bearer"));
  v.Set("expires_in", json::Value::Integer(lifetime));
  v.Set("scope", Str(ScopeString(p.scopes)));
  if (!refresh.empty()) v.Set("refresh_token", Str(refresh));
  if (!p.patient.empty()) v.Set("patient", Str(p.patient));
  return Json(200, v);
}

}  // namespace

AuthHttpResponse AuthServer::CodeGrant(const AuthHttpRequest& req, const std::string& body) {
  Form f = ParseForm(body);
  int64_t now = clock_.NowMicros();
  std::string key = Sha256Hex(Get(f, "code"));
  // The code is taken in the same transaction that reads it: it works once. (A transaction
  // ends before the next begins: a write transaction holds the store's write lock.)
  Result<std::optional<std::string>> text = std::optional<std::string>();
  {
    auto w = store_.BeginWrite();
    if (!w.ok()) return OAuthError(503, "temporarily_unavailable", "Try again");
    text = (*w)->GetRecord("code", key);
    if (!text.ok()) return OAuthError(503, "temporarily_unavailable", "Try again");
    if (!*text) return OAuthError(400, "invalid_grant", "The code is unknown, used or expired");
    if (!(*w)->DeleteRecord("code", key).ok() || !(*w)->Commit().ok())
      return OAuthError(503, "temporarily_unavailable", "Try again");
  }
  auto record = json::Parse(**text);
  if (!record.ok()) return OAuthError(500, "server_error", "A stored code is damaged");
  if (IntClaim(*record, "expires") < now)
    return OAuthError(400, "invalid_grant", "The code is unknown, used or expired");
  if (record->GetString("clientId") != Get(f, "client_id") ||
      record->GetString("redirectUri") != Get(f, "redirect_uri"))
    return OAuthError(400, "invalid_grant",
                      "client_id and redirect_uri must be the authorize request's");
  if (!ConstantTimeEqual(Base64UrlEncode(Sha256(Get(f, "code_verifier"))),
                         record->GetString("challenge")))
    return OAuthError(400, "invalid_grant", "code_verifier does not match the code_challenge");
  auto txn = store_.BeginRead();
  if (!txn.ok()) return OAuthError(503, "temporarily_unavailable", "Try again");
  auto user = GetUser(**txn, std::string(record->GetString("username")));
  txn->reset();
  if (!user.ok() || !*user || (*user)->disabled)
    return OAuthError(400, "invalid_grant", "The account is no longer active");
  Principal p = PrincipalOfUser(**user, Get(f, "client_id"));
  std::string context = p.role == Role::kResident ? "patient" : "user";
  auto scopes =
      GrantedScopes(std::string(record->GetString("scope")),
                    (*user)->scopes.empty() ? DefaultScopes(p.role, context) : (*user)->scopes);
  if (!scopes.ok()) return OAuthError(400, "invalid_scope", scopes.status().message());
  p.scopes = std::move(*scopes);
  if (!GrantsData(p.scopes))
    return OAuthError(400, "invalid_scope",
                      "None of the requested scopes is allowed to this account");
  return [&]() -> AuthHttpResponse {
    auto access = IssueAccessToken(p, now);
    if (!access.ok()) return OAuthError(500, "server_error", "Signing failed");
    std::string refresh = RandomToken();
    json::Value r = json::Value::Object();
    r.Set("username", Str((*user)->username));
    r.Set("clientId", Str(p.client_id));
    r.Set("scope", Str(ScopeString(p.scopes)));
    r.Set("expires", json::Value::Integer(now + config_.refresh_token_seconds * kMicros));
    // The tokens one login's refreshes hand out are a family: a replay revokes them all.
    r.Set("family", Str(RandomToken()));
    auto w2 = store_.BeginWrite();
    if (!w2.ok() || !(*w2)->PutRecord("refresh", Sha256Hex(refresh), json::Write(r)).ok() ||
        !(*w2)->Commit().ok())
      return OAuthError(503, "temporarily_unavailable", "Try again");
    Emit({"token", true, p.subject, p.client_id, req.address, "authorization_code", p.role,
          p.patient});
    return TokenResponse(*access, config_.access_token_seconds, p, refresh);
  }();
}

AuthHttpResponse AuthServer::RefreshGrant(const AuthHttpRequest& req, const std::string& body) {
  Form f = ParseForm(body);
  int64_t now = clock_.NowMicros();
  std::string key = Sha256Hex(Get(f, "refresh_token"));
  auto w = store_.BeginWrite();
  if (!w.ok()) return OAuthError(503, "temporarily_unavailable", "Try again");
  auto text = (*w)->GetRecord("refresh", key);
  if (!text.ok()) return OAuthError(503, "temporarily_unavailable", "Try again");
  if (!*text)
    return OAuthError(400, "invalid_grant", "The refresh token is unknown, used or expired");
  auto record = json::Parse(**text);
  if (!record.ok() || IntClaim(*record, "expires") < now) {
    (*w)->DeleteRecord("refresh", key);
    (*w)->Commit();
    return OAuthError(400, "invalid_grant", "The refresh token is unknown, used or expired");
  }
  if (!Get(f, "client_id").empty() && Get(f, "client_id") != record->GetString("clientId"))
    return OAuthError(400, "invalid_grant", "The refresh token was issued to another client");
  auto user = GetUser(**w, std::string(record->GetString("username")));
  if (!user.ok() || !*user || (*user)->disabled) {
    (*w)->DeleteRecord("refresh", key);
    (*w)->Commit();
    return OAuthError(400, "invalid_grant", "The account is no longer active");
  }
  Principal p = PrincipalOfUser(**user, std::string(record->GetString("clientId")));
  if (record->Find("used")) {
    // A refresh token presented twice was stolen, or its legitimate holder's copy was: the
    // whole family is revoked (OAuth 2.0 Security BCP, refresh token rotation), so whichever
    // of the two holds the newest token must log in again.
    std::string family(record->GetString("family"));
    auto rows = (*w)->ListRecords("refresh");
    if (!rows.ok()) return OAuthError(503, "temporarily_unavailable", "Try again");
    for (const auto& [k, v] : *rows) {
      auto other = json::Parse(v);
      if (other.ok() && !family.empty() && other->GetString("family") == family)
        (void)(*w)->DeleteRecord("refresh", k);
    }
    (void)(*w)->Commit();
    Emit({"refresh", false, p.subject, p.client_id, req.address,
          "refresh token used twice: its family is revoked", p.role, p.patient});
    return OAuthError(400, "invalid_grant",
                      "The refresh token was used already; every token of this login is revoked");
  }
  auto scopes = ParseScopes(record->GetString("scope"));
  if (!scopes.ok()) return OAuthError(500, "server_error", "A stored refresh token is damaged");
  p.scopes = std::move(*scopes);
  // Rotation: each refresh token works once and is replaced by a new one. The used one stays,
  // marked, until it expires: presented again, it reveals a replay.
  json::Value used = *record;
  used.Set("used", json::Value::Bool(true));
  std::string next = RandomToken();
  record->Set("expires", json::Value::Integer(now + config_.refresh_token_seconds * kMicros));
  auto access = IssueAccessToken(p, now);
  if (!access.ok()) return OAuthError(500, "server_error", "Signing failed");
  if (!(*w)->PutRecord("refresh", key, json::Write(used)).ok() ||
      !(*w)->PutRecord("refresh", Sha256Hex(next), json::Write(*record)).ok() ||
      !(*w)->Commit().ok())
    return OAuthError(503, "temporarily_unavailable", "Try again");
  Emit({"refresh", true, p.subject, p.client_id, req.address, "refresh_token", p.role, p.patient});
  return TokenResponse(*access, config_.access_token_seconds, p, next);
}

AuthHttpResponse AuthServer::ClientCredentialsGrant(const AuthHttpRequest& req,
                                                    const std::string& body) {
  Form f = ParseForm(body);
  int64_t now = clock_.NowMicros();
  AuthEvent event{"token", false, "", "", req.address, "", Role::kClinician, ""};
  auto refuse = [&](std::string detail) {
    event.detail = detail;
    Emit(event);
    return OAuthError(401, "invalid_client", detail);
  };
  if (Get(f, "client_assertion_type") != kAssertionType)
    return OAuthError(400, "invalid_request",
                      "client_assertion_type must be " + std::string(kAssertionType));
  auto jwt = ParseJwt(Get(f, "client_assertion"));
  if (!jwt.ok()) return refuse("The client assertion is not a JWT: " + jwt.status().message());
  std::string iss(jwt->claims.GetString("iss"));
  event.subject = "client/" + iss;
  event.client_id = iss;
  if (iss.empty() || jwt->claims.GetString("sub") != iss)
    return refuse("The assertion's iss and sub must both be the client_id");
  auto txn = store_.BeginRead();
  if (!txn.ok()) return OAuthError(503, "temporarily_unavailable", "Try again");
  auto client = GetClient(**txn, iss);
  txn->reset();
  if (!client.ok() || !*client || (*client)->disabled || (*client)->public_key.empty())
    return refuse("Unknown client or one without a registered key");
  auto key = PublicKeyOf(**client, jwt->header.GetString("kid"));
  if (!key.ok())
    return refuse("The client's registered key cannot be used: " + key.status().message());
  if (Status sig = VerifyJwtSignature(*jwt, *key); !sig.ok()) return refuse(sig.message());
  if (!AudienceIs(jwt->claims, TokenEndpoint()))
    return refuse("The assertion's aud must be this token endpoint, " + TokenEndpoint());
  int64_t exp = IntClaim(jwt->claims, "exp");
  if (exp < 0 || exp * kMicros <= now) return refuse("The assertion has expired (or has no exp)");
  if (exp * kMicros > now + config_.assertion_max_seconds * kMicros)
    return refuse("The assertion's exp is more than five minutes ahead");
  std::string jti(jwt->claims.GetString("jti"));
  if (jti.empty()) return refuse("The assertion has no jti");
  // Each assertion works once: its jti is kept until it expires.
  {
    auto w = store_.BeginWrite();
    if (!w.ok()) return OAuthError(503, "temporarily_unavailable", "Try again");
    std::string jkey = iss + " " + jti;
    auto seen = (*w)->GetRecord("jti", jkey);
    if (!seen.ok()) return OAuthError(503, "temporarily_unavailable", "Try again");
    if (*seen) return refuse("The assertion was used before (replayed jti)");
    if (!(*w)->PutRecord("jti", jkey, std::to_string(exp * kMicros)).ok() || !(*w)->Commit().ok())
      return OAuthError(503, "temporarily_unavailable", "Try again");
  }
  const Client& c = **client;
  Principal p = PrincipalOfClient(c);
  auto scopes =
      GrantedScopes(Get(f, "scope"), c.scopes.empty() ? DefaultScopes(c.role, "system") : c.scopes);
  if (!scopes.ok()) return OAuthError(400, "invalid_scope", scopes.status().message());
  p.scopes = std::move(*scopes);
  if (!GrantsData(p.scopes))
    return OAuthError(400, "invalid_scope",
                      "None of the requested scopes is allowed to this client");
  auto access = IssueAccessToken(p, now);
  if (!access.ok()) return OAuthError(500, "server_error", "Signing failed");
  event.success = true;
  event.role = c.role;
  event.detail = "client_credentials";
  Emit(event);
  return TokenResponse(*access, config_.access_token_seconds, p, "");
}

Result<Principal> AuthServer::Authenticate(std::string_view authorization) {
  auto unauthorized = [](std::string why) {
    return Status(StatusCode::kUnauthorized, std::move(why));
  };
  std::string_view h = Trim(authorization);
  if (h.empty()) return unauthorized("This server needs an access token (Authorization: Bearer …)");
  if (h.size() < 7 || AsciiLower(h.substr(0, 7)) != "bearer ")
    return unauthorized("The Authorization header must carry a Bearer token");
  std::string_view token = Trim(h.substr(7));
  int64_t now = clock_.NowMicros();
  {
    std::lock_guard lock(verified_mu_);
    auto it = verified_.find(std::string(token));
    if (it != verified_.end()) {
      if (it->second.expires > now) return it->second.principal;
      verified_.erase(it);
      return unauthorized("The access token has expired");
    }
  }
  KY_ASSIGN_OR_RETURN(Principal p, Verify(token));
  std::lock_guard lock(verified_mu_);
  if (verified_.size() >= kMaxVerified) {
    // Expired ones go first; if none has, all do (they are verified again as they come).
    std::erase_if(verified_, [&](const auto& kv) { return kv.second.expires <= now; });
    if (verified_.size() >= kMaxVerified) verified_.clear();
  }
  verified_.emplace(std::string(token), Verified{p, p.token_expires});
  return p;
}

Result<Principal> AuthServer::Verify(std::string_view token) {
  auto unauthorized = [](std::string why) {
    return Status(StatusCode::kUnauthorized, std::move(why));
  };
  auto jwt = ParseJwt(token);
  if (!jwt.ok()) return unauthorized("The access token is malformed");
  if (Status sig = VerifyJwtSignature(*jwt, *key_); !sig.ok())
    return unauthorized("The access token's signature does not verify");
  const json::Value& c = jwt->claims;
  if (c.GetString("iss") != config_.issuer)
    return unauthorized("The access token is from another issuer");
  if (!AudienceIs(c, FhirAudience()))
    return unauthorized("The access token is for another audience");
  int64_t exp = IntClaim(c, "exp");
  if (exp < 0 || exp * kMicros <= clock_.NowMicros())
    return unauthorized("The access token has expired");
  Principal p;
  p.subject = c.GetString("sub");
  p.display = c.GetString("name");
  if (!ParseRole(c.GetString("role"), &p.role))
    return unauthorized("The access token names no role");
  p.organization = c.GetString("organization");
  p.practitioner = c.GetString("practitioner");
  p.patient = c.GetString("patient");
  p.client_id = c.GetString("client_id");
  const json::Value* sys = c.Find("system");
  p.is_system = sys && sys->is_bool() && sys->as_bool();
  p.token_id = c.GetString("jti");
  p.token_expires = exp * kMicros;
  auto scopes = ParseScopes(c.GetString("scope"));
  if (!scopes.ok()) return unauthorized("The access token's scopes are malformed");
  p.scopes = std::move(*scopes);
  return p;
}

std::string AuthServer::SmartConfiguration() const {
  json::Value v = json::Value::Object();
  auto list = [](std::initializer_list<const char*> items) {
    json::Value a = json::Value::Array();
    for (const char* i : items) a.Push(Str(i));
    return a;
  };
  v.Set("issuer", Str(config_.issuer));
  v.Set("jwks_uri", Str(config_.issuer + "/auth/jwks"));
  v.Set("authorization_endpoint", Str(config_.issuer + "/auth/authorize"));
  v.Set("token_endpoint", Str(TokenEndpoint()));
  v.Set("grant_types_supported",
        list({"authorization_code", "refresh_token", "client_credentials"}));
  v.Set("token_endpoint_auth_methods_supported", list({"private_key_jwt", "none"}));
  v.Set("token_endpoint_auth_signing_alg_values_supported", list({"RS384", "ES384"}));
  v.Set("scopes_supported",
        list({"openid", "fhirUser", "launch/patient", "offline_access", "patient/*.rs",
              "user/*.cruds", "system/*.rs", "system/*.cruds"}));
  v.Set("response_types_supported", list({"code"}));
  v.Set("code_challenge_methods_supported", list({"S256"}));
  v.Set("capabilities",
        list({"launch-standalone", "client-public", "client-confidential-asymmetric",
              "context-standalone-patient", "permission-patient", "permission-user",
              "permission-v1", "permission-v2"}));
  return json::Write(v);
}

void AuthServer::Sweep(int64_t now) {
  int64_t last = last_sweep_.load();
  if (now - last < 60 * kMicros || !last_sweep_.compare_exchange_strong(last, now)) return;
  auto w = store_.BeginWrite();
  if (!w.ok()) return;
  for (const char* kind : {"code", "refresh", "jti"}) {
    auto rows = (*w)->ListRecords(kind);
    if (!rows.ok()) return;
    for (const auto& [key, value] : *rows) {
      int64_t expires = 0;
      if (std::string(kind) == "jti") {
        expires = std::atoll(value.c_str());
      } else if (auto v = json::Parse(value); v.ok()) {
        expires = IntClaim(*v, "expires");
      }
      if (expires < now && !(*w)->DeleteRecord(kind, key).ok()) return;
    }
  }
  (*w)->Commit();
}

}  // namespace kangyun::auth
