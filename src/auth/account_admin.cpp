#include "auth/account_admin.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "auth/accounts.h"
#include "auth/form.h"
#include "auth/password.h"
#include "base/strings.h"
#include "fhir/outcome.h"
#include "json/json.h"

namespace kangyun::auth {
namespace {

constexpr std::string_view kUsers = "/auth/admin/users";
constexpr std::string_view kClients = "/auth/admin/clients";
constexpr int kDefaultCount = 50;
constexpr int kMaxCount = 500;

AuthHttpResponse Reply(int status, const json::Value& body) {
  AuthHttpResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/fhir+json; charset=utf-8"},
               {"Cache-Control", "no-store"}};
  r.body = json::Write(body);
  return r;
}

// An OperationOutcome with one issue; `field` is the offending element of the request body.
AuthHttpResponse Outcome(int status, const std::string& code, const std::string& diagnostics,
                         const std::string& field = "") {
  json::Value issues = json::Value::Array();
  issues.Push(fhir::OutcomeIssue("error", code, diagnostics, field));
  return Reply(status, fhir::OperationOutcomeOf(std::move(issues)));
}

AuthHttpResponse Unavailable() { return Outcome(503, "transient", "The store is busy; try again"); }

bool Contains(std::string_view text, const std::string& lower_needle) {
  return AsciiLower(text).find(lower_needle) != std::string::npos;
}

// A body member read into an account field, refusing a member of the wrong type.
class BodyReader {
 public:
  explicit BodyReader(const json::Value& body) : body_(body) {}
  bool String(std::string_view name, std::string* out) {
    const json::Value* v = body_.Find(name);
    if (!v) return true;
    if (!v->is_string()) return Wrong(name, "a string");
    *out = std::string(Trim(v->str()));
    return true;
  }
  bool Bool(std::string_view name, bool* out) {
    const json::Value* v = body_.Find(name);
    if (!v) return true;
    if (!v->is_bool()) return Wrong(name, "true or false");
    *out = v->as_bool();
    return true;
  }
  bool Strings(std::string_view name, std::vector<std::string>* out) {
    const json::Value* v = body_.Find(name);
    if (!v) return true;
    if (!v->is_array()) return Wrong(name, "an array of strings");
    out->clear();
    for (const json::Value& item : v->items()) {
      if (!item.is_string()) return Wrong(name, "an array of strings");
      out->emplace_back(item.str());
    }
    return true;
  }
  bool Role(std::string_view name, auth::Role* out) {
    std::string text;
    if (!body_.Find(name)) return true;
    if (!String(name, &text)) return false;
    if (!ParseRole(text, out)) {
      field_ = name;
      message_ = "Unknown role '" + text +
                 "': resident, clinician, family-doctor, elder-care, regulator, insurer or admin";
      return false;
    }
    return true;
  }
  // A member none of the account's fields has: refused rather than silently dropped.
  bool OnlyKnown(std::initializer_list<std::string_view> known) {
    for (const json::Member& m : body_.members())
      if (std::find(known.begin(), known.end(), m.key) == known.end()) {
        field_ = m.key;
        message_ = "Unknown element '" + m.key + "'";
        return false;
      }
    return true;
  }
  const std::string& field() const { return field_; }
  const std::string& message() const { return message_; }

 private:
  bool Wrong(std::string_view name, std::string_view expected) {
    field_ = name;
    message_ = std::string(name) + " must be " + std::string(expected);
    return false;
  }
  const json::Value& body_;
  std::string field_, message_;
};

// Describes an account change for the audit trail: which account, and what it is now.
std::string Describe(std::string_view kind, const std::string& id, Role role,
                     const std::string& organization, bool disabled, bool password_set) {
  std::string d = std::string(kind) + " " + id + ": role " + RoleName(role);
  if (!organization.empty()) d += ", organization " + organization;
  if (disabled) d += ", disabled";
  if (password_set) d += ", password set";
  return d;
}

class AccountAdmin {
 public:
  AccountAdmin(store::Store& store, const Principal& admin, const AuthHttpRequest& req,
               const std::function<void(AuthEvent)>& emit)
      : store_(store), admin_(admin), req_(req), query_(ParseForm(req.query)), emit_(emit) {}

  AuthHttpResponse Handle() {
    bool users = StartsWith(req_.path, kUsers);
    std::string_view base = users ? kUsers : kClients;
    if (!users && !StartsWith(req_.path, kClients))
      return Outcome(404, "not-found",
                     "No such endpoint: /auth/admin/users or /auth/admin/clients");
    std::string_view rest = std::string_view(req_.path).substr(base.size());
    if (rest.empty() || rest == "/") {
      if (req_.method != "GET") return NotAllowed();
      return users ? ListUsersPage() : ListClientsPage();
    }
    if (rest[0] != '/') return Outcome(404, "not-found", "No such endpoint");
    std::string id = PercentDecode(rest.substr(1), false);
    if (req_.method == "GET") return users ? ReadUser(id) : ReadClient(id);
    if (req_.method == "PUT") return users ? SaveUser(id) : SaveClient(id);
    return NotAllowed();
  }

 private:
  AuthHttpResponse NotAllowed() {
    return Outcome(405, "not-supported",
                   "Method " + req_.method +
                       " is not allowed here: accounts are read with GET, "
                       "created and changed with PUT, and disabled rather than deleted");
  }

  // The page asked for (offset, count) of the accounts that pass the filters: q (part of the
  // id, name or organization, any case) and role; sorted by id.
  template <typename T>
  AuthHttpResponse Page(Result<std::vector<T>> (*list)(store::ReadTransaction&),
                        std::string_view member, std::string (*id)(const T&),
                        std::string (*name)(const T&)) {
    std::optional<Role> role;
    if (std::string text = Get(query_, "role"); !text.empty()) {
      Role r;
      if (!ParseRole(text, &r))
        return Outcome(400, "invalid", "Unknown role '" + text + "' in the role filter", "role");
      role = r;
    }
    auto txn = store_.BeginRead();
    if (!txn.ok()) return Unavailable();
    auto all = list(**txn);
    if (!all.ok()) return Unavailable();
    std::sort(all->begin(), all->end(), [&](const T& a, const T& b) { return id(a) < id(b); });
    std::string q = AsciiLower(Get(query_, "q"));
    int offset = std::max(0, std::atoi(Get(query_, "offset").c_str()));
    std::string count_text = Get(query_, "count");
    int count = count_text.empty() ? kDefaultCount
                                   : std::clamp(std::atoi(count_text.c_str()), 0, kMaxCount);
    json::Value items = json::Value::Array();
    int total = 0;
    for (const T& a : *all) {
      if (role && a.role != *role) continue;
      if (!q.empty() && !Contains(id(a), q) && !Contains(name(a), q) &&
          !Contains(a.organization, q))
        continue;
      if (total >= offset && total < offset + count) items.Push(PublicView(a));
      ++total;
    }
    json::Value out = json::Value::Object();
    out.Set("total", json::Value::Integer(total));
    out.Set("offset", json::Value::Integer(offset));
    out.Set(member, std::move(items));
    return Reply(200, out);
  }

  AuthHttpResponse ListUsersPage() {
    return Page<User>(
        ListUsers, "users", [](const User& u) { return u.username; },
        [](const User& u) { return u.display; });
  }

  AuthHttpResponse ListClientsPage() {
    return Page<Client>(
        ListClients, "clients", [](const Client& c) { return c.id; },
        [](const Client& c) { return c.name; });
  }

  AuthHttpResponse ReadUser(const std::string& username) {
    auto txn = store_.BeginRead();
    if (!txn.ok()) return Unavailable();
    auto user = GetUser(**txn, username);
    if (!user.ok()) return Unavailable();
    if (!*user) return Outcome(404, "not-found", "No user " + username);
    return Reply(200, PublicView(**user));
  }

  AuthHttpResponse ReadClient(const std::string& id) {
    auto txn = store_.BeginRead();
    if (!txn.ok()) return Unavailable();
    auto client = GetClient(**txn, id);
    if (!client.ok()) return Unavailable();
    if (!*client) return Outcome(404, "not-found", "No client " + id);
    return Reply(200, PublicView(**client));
  }

  AuthHttpResponse SaveUser(const std::string& username) {
    auto body = json::Parse(req_.body);
    if (!body.ok() || !body->is_object())
      return Outcome(400, "structure", "The body must be a JSON object describing the user");
    auto txn = store_.BeginWrite();
    if (!txn.ok()) return Unavailable();
    auto existing = GetUser(**txn, username);
    if (!existing.ok()) return Unavailable();
    bool create = !*existing;
    User u = create ? User{} : **existing;
    u.username = username;
    std::string password;
    BodyReader r(*body);
    if (!r.OnlyKnown({"username", "display", "role", "organization", "practitioner", "patient",
                      "scopes", "disabled", "password"}) ||
        !r.String("display", &u.display) || !r.Role("role", &u.role) ||
        !r.String("organization", &u.organization) || !r.String("practitioner", &u.practitioner) ||
        !r.String("patient", &u.patient) || !r.String("scopes", &u.scopes) ||
        !r.Bool("disabled", &u.disabled) || !r.String("password", &password))
      return Outcome(400, "invalid", r.message(), r.field());
    if (const json::Value* named = body->Find("username");
        named && (!named->is_string() || named->str() != username))
      return Outcome(400, "invalid", "The body names another user than the URL", "username");
    if (create && body->Find("role") == nullptr)
      return Outcome(400, "required", "A new user needs a role", "role");
    std::string field;
    if (Status st = CheckUser(u, &field); !st.ok())
      return Outcome(400, "invalid", st.message(), field);
    if (create && password.empty())
      return Outcome(400, "required", "A new user needs a password", "password");
    if (admin_.subject == "user/" + username && (u.disabled || u.role != Role::kAdmin))
      return Outcome(409, "business-rule",
                     "An administrator cannot disable their own account or give up their own "
                     "admin role: another administrator must",
                     u.disabled ? "disabled" : "role");
    if (!password.empty()) {
      if (Status st = CheckPasswordStrength(password); !st.ok())
        return Outcome(400, "invalid", st.message(), "password");
      auto hash = HashPassword(password);
      if (!hash.ok()) return Outcome(500, "exception", "The password could not be hashed");
      u.password_hash = *hash;
    }
    if (!PutUser(**txn, u).ok() || !(*txn)->Commit().ok()) return Unavailable();
    Record(create ? "user-create" : "user-update",
           Describe("user", u.username, u.role, u.organization, u.disabled, !password.empty()),
           u.role == Role::kResident ? u.patient : "");
    return Reply(create ? 201 : 200, PublicView(u));
  }

  AuthHttpResponse SaveClient(const std::string& id) {
    auto body = json::Parse(req_.body);
    if (!body.ok() || !body->is_object())
      return Outcome(400, "structure", "The body must be a JSON object describing the client");
    auto txn = store_.BeginWrite();
    if (!txn.ok()) return Unavailable();
    auto existing = GetClient(**txn, id);
    if (!existing.ok()) return Unavailable();
    bool create = !*existing;
    Client c = create ? Client{} : **existing;
    c.id = id;
    BodyReader r(*body);
    if (!r.OnlyKnown({"id", "name", "role", "organization", "kind", "publicKey", "redirectUris",
                      "scopes", "disabled"}) ||
        !r.String("name", &c.name) || !r.Role("role", &c.role) ||
        !r.String("organization", &c.organization) || !r.String("publicKey", &c.public_key) ||
        !r.Strings("redirectUris", &c.redirect_uris) || !r.String("scopes", &c.scopes) ||
        !r.Bool("disabled", &c.disabled))
      return Outcome(400, "invalid", r.message(), r.field());
    if (const json::Value* named = body->Find("id");
        named && (!named->is_string() || named->str() != id))
      return Outcome(400, "invalid", "The body names another client than the URL", "id");
    if (create && body->Find("role") == nullptr)
      return Outcome(400, "required", "A new client needs a role", "role");
    std::string field;
    if (Status st = CheckClient(c, &field); !st.ok())
      return Outcome(400, "invalid", st.message(), field);
    if (!PutClient(**txn, c).ok() || !(*txn)->Commit().ok()) return Unavailable();
    Record(create ? "client-create" : "client-update",
           Describe("client", c.id, c.role, c.organization, c.disabled, false), "");
    return Reply(create ? 201 : 200, PublicView(c));
  }

  void Record(const std::string& action, std::string detail, const std::string& patient) {
    AuthEvent e;
    e.action = action;
    e.success = true;
    e.subject = admin_.subject;
    e.client_id = admin_.client_id;
    e.address = req_.address;
    e.detail = std::move(detail);
    e.role = admin_.role;
    e.patient = patient;
    e.account_change = true;
    emit_(std::move(e));
  }

  store::Store& store_;
  const Principal& admin_;
  const AuthHttpRequest& req_;
  const Form query_;
  const std::function<void(AuthEvent)>& emit_;
};

}  // namespace

AuthHttpResponse HandleAccountAdmin(store::Store& store, const Principal& admin,
                                    const AuthHttpRequest& req,
                                    const std::function<void(AuthEvent)>& emit) {
  return AccountAdmin(store, admin, req, emit).Handle();
}

}  // namespace kangyun::auth
