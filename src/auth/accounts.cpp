#include "auth/accounts.h"

#include <cctype>

#include "auth/jwt.h"
#include "auth/scopes.h"
#include "base/strings.h"
#include "json/json.h"

namespace kangyun::auth {
namespace {

constexpr const char* kRoleNames[] = {"resident",  "clinician", "family-doctor", "elder-care",
                                      "regulator", "insurer",   "admin"};

using json::Str;

std::string UserJson(const User& u) {
  json::Value v = PublicView(u);
  v.Set("passwordHash", Str(u.password_hash));
  return json::Write(v);
}

Result<User> ParseUser(const std::string& text) {
  KY_ASSIGN_OR_RETURN(json::Value v, json::Parse(text));
  User u;
  u.username = v.GetString("username");
  u.display = v.GetString("display");
  u.password_hash = v.GetString("passwordHash");
  if (!ParseRole(v.GetString("role"), &u.role)) return Internal("a user record has a bad role");
  u.organization = v.GetString("organization");
  u.practitioner = v.GetString("practitioner");
  u.patient = v.GetString("patient");
  u.scopes = v.GetString("scopes");
  const json::Value* d = v.Find("disabled");
  u.disabled = d && d->is_bool() && d->as_bool();
  return u;
}

std::string ClientJson(const Client& c) { return json::Write(PublicView(c)); }

Result<Client> ParseClient(const std::string& text) {
  KY_ASSIGN_OR_RETURN(json::Value v, json::Parse(text));
  Client c;
  c.id = v.GetString("id");
  c.name = v.GetString("name");
  if (!ParseRole(v.GetString("role"), &c.role)) return Internal("a client record has a bad role");
  c.organization = v.GetString("organization");
  c.public_key = v.GetString("publicKey");
  if (const json::Value* uris = v.Find("redirectUris"); uris && uris->is_array())
    for (const json::Value& u : uris->items()) c.redirect_uris.emplace_back(u.str());
  c.scopes = v.GetString("scopes");
  const json::Value* d = v.Find("disabled");
  c.disabled = d && d->is_bool() && d->as_bool();
  return c;
}

}  // namespace

json::Value PublicView(const User& u) {
  json::Value v = json::Value::Object();
  v.Set("username", Str(u.username));
  v.Set("display", Str(u.display));
  v.Set("role", Str(RoleName(u.role)));
  v.Set("organization", Str(u.organization));
  v.Set("practitioner", Str(u.practitioner));
  v.Set("patient", Str(u.patient));
  v.Set("scopes", Str(u.scopes));
  v.Set("disabled", json::Value::Bool(u.disabled));
  return v;
}

json::Value PublicView(const Client& c) {
  json::Value v = json::Value::Object();
  v.Set("id", Str(c.id));
  v.Set("name", Str(c.name));
  v.Set("role", Str(RoleName(c.role)));
  v.Set("organization", Str(c.organization));
  v.Set("kind", Str(c.public_key.empty() ? "app" : "system"));
  v.Set("publicKey", Str(c.public_key));
  json::Value uris = json::Value::Array();
  for (const std::string& u : c.redirect_uris) uris.Push(Str(u));
  v.Set("redirectUris", std::move(uris));
  v.Set("scopes", Str(c.scopes));
  v.Set("disabled", json::Value::Bool(c.disabled));
  return v;
}

const char* RoleName(Role role) { return kRoleNames[static_cast<int>(role)]; }

bool ParseRole(std::string_view name, Role* role) {
  for (int i = 0; i < static_cast<int>(std::size(kRoleNames)); ++i) {
    if (name == kRoleNames[i]) {
      *role = static_cast<Role>(i);
      return true;
    }
  }
  return false;
}

std::string DefaultScopes(Role role, const std::string& context) {
  auto s = [&](const std::string& rest) { return context + "/" + rest; };
  switch (role) {
    case Role::kResident:
      // Residents read their record and record their own consent decisions.
      return "patient/*.rs patient/Consent.cruds";
    case Role::kRegulator:
      return s("*.s") + " " + s("AuditEvent.rs");
    case Role::kInsurer:
      return s("Claim.cruds") + " " + s("ClaimResponse.cruds") + " " +
             s("ExplanationOfBenefit.cruds") + " " + s("Coverage.cruds") + " " + s("Patient.rs");
    default:
      return s("*.cruds");
  }
}

Status CheckRoleBinding(Role role, const std::string& organization, const std::string& patient,
                        const std::string& practitioner) {
  switch (role) {
    case Role::kResident:
      if (patient.empty()) return Invalid("A resident account needs a patient (a Patient id)");
      return Status::Ok();
    case Role::kClinician:
    case Role::kFamilyDoctor:
    case Role::kElderCare:
    case Role::kInsurer:
      if (organization.empty())
        return Invalid(std::string("A ") + RoleName(role) +
                       " account needs an organization (an Organization id)");
      return Status::Ok();
    default:
      return Status::Ok();
  }
}

namespace {

// Account names and ids travel in URLs, tokens and audit records: letters, digits, '.', '_',
// '-' and '@', 64 at most.
bool ValidAccountName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' &&
        c != '@')
      return false;
  return true;
}

Status Refuse(std::string* field, const char* name, Status st) {
  if (field) *field = name;
  return st;
}

}  // namespace

Result<Key> PublicKeyOf(const Client& client, std::string_view kid) {
  std::string_view text = Trim(client.public_key);
  if (StartsWith(text, "-----BEGIN")) return Key::FromPem(text);
  KY_ASSIGN_OR_RETURN(json::Value jwks, json::Parse(text));
  return Key::FromJwk(jwks, kid);
}

Status CheckUser(const User& user, std::string* field) {
  if (!ValidAccountName(user.username))
    return Refuse(field, "username",
                  Invalid("A username is 1 to 64 letters, digits, '.', '_', '-' or '@'"));
  Status binding = CheckRoleBinding(user.role, user.organization, user.patient, user.practitioner);
  if (!binding.ok())
    return Refuse(field, user.role == Role::kResident ? "patient" : "organization", binding);
  if (!user.scopes.empty())
    if (auto parsed = ParseScopes(user.scopes); !parsed.ok())
      return Refuse(field, "scopes", parsed.status());
  return Status::Ok();
}

Status CheckClient(const Client& client, std::string* field) {
  if (!ValidAccountName(client.id))
    return Refuse(field, "id",
                  Invalid("A client id is 1 to 64 letters, digits, '.', '_', '-' or '@'"));
  if (client.role == Role::kResident)
    return Refuse(field, "role", Invalid("A client cannot have the resident role"));
  if (client.public_key.empty() && client.redirect_uris.empty())
    return Refuse(field, "publicKey",
                  Invalid("A client needs a public key (a system) or a redirect URI (an app)"));
  for (const std::string& uri : client.redirect_uris)
    if (!StartsWith(uri, "https://") && !StartsWith(uri, "http://"))
      return Refuse(field, "redirectUris",
                    Invalid("A redirect URI is an absolute http(s) URL: " + uri));
  Status binding = CheckRoleBinding(client.role, client.organization, "", "");
  if (!binding.ok()) return Refuse(field, "organization", binding);
  if (!client.scopes.empty())
    if (auto parsed = ParseScopes(client.scopes); !parsed.ok())
      return Refuse(field, "scopes", parsed.status());
  if (!client.public_key.empty()) {
    auto key = PublicKeyOf(client);
    if (!key.ok()) return Refuse(field, "publicKey", Invalid(key.status().message()));
    if (key->algorithm().empty())
      return Refuse(field, "publicKey",
                    Invalid("The key must be EC P-384 (ES384) or RSA of 2048 bits or more "
                            "(RS384)"));
    if (key->has_private())
      return Refuse(field, "publicKey", Invalid("Register the public key, not the private one"));
  }
  return Status::Ok();
}

Result<std::optional<User>> GetUser(store::ReadTransaction& txn, const std::string& username) {
  KY_ASSIGN_OR_RETURN(auto text, txn.GetRecord("user", username));
  if (!text) return std::optional<User>();
  KY_ASSIGN_OR_RETURN(User u, ParseUser(*text));
  return std::optional<User>(std::move(u));
}

Status PutUser(store::WriteTransaction& txn, const User& user) {
  return txn.PutRecord("user", user.username, UserJson(user));
}

Result<std::optional<Client>> GetClient(store::ReadTransaction& txn, const std::string& id) {
  KY_ASSIGN_OR_RETURN(auto text, txn.GetRecord("client", id));
  if (!text) return std::optional<Client>();
  KY_ASSIGN_OR_RETURN(Client c, ParseClient(*text));
  return std::optional<Client>(std::move(c));
}

Status PutClient(store::WriteTransaction& txn, const Client& client) {
  return txn.PutRecord("client", client.id, ClientJson(client));
}

Result<std::vector<User>> ListUsers(store::ReadTransaction& txn) {
  KY_ASSIGN_OR_RETURN(auto rows, txn.ListRecords("user"));
  std::vector<User> out;
  for (const auto& [key, text] : rows) {
    KY_ASSIGN_OR_RETURN(User u, ParseUser(text));
    out.push_back(std::move(u));
  }
  return out;
}

Result<std::vector<Client>> ListClients(store::ReadTransaction& txn) {
  KY_ASSIGN_OR_RETURN(auto rows, txn.ListRecords("client"));
  std::vector<Client> out;
  for (const auto& [key, text] : rows) {
    KY_ASSIGN_OR_RETURN(Client c, ParseClient(text));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace kangyun::auth
