// The accounts that may obtain tokens: people (users, with an Argon2id password) and systems
// (clients, with the public keys their JWT assertions are checked against). Kept as store
// records ("user", "client"), never as FHIR resources, so no search can reach a hash or key.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/jwt.h"
#include "auth/principal.h"
#include "base/status.h"
#include "json/value.h"
#include "store/store.h"

namespace kangyun::auth {

struct User {
  std::string username;
  std::string display;
  std::string password_hash;
  Role role = Role::kResident;
  std::string organization, practitioner, patient;  // ids, as the role needs
  std::string scopes;  // the widest scopes a token of this user may carry
  bool disabled = false;
};

struct Client {
  std::string id;
  std::string name;
  Role role = Role::kClinician;
  std::string organization;
  // How it authenticates: a public key (PEM or JWK Set JSON) for JWT assertions; a client
  // without one is a public app that only runs the authorization-code flow with PKCE.
  std::string public_key;
  std::vector<std::string> redirect_uris;
  std::string scopes;
  bool disabled = false;
};

// An account as its record stores it and the account API shows it, without the password hash
// (a client's record holds no secret: its public key is public).
json::Value PublicView(const User& user);
json::Value PublicView(const Client& client);

// The scopes an account of a role may hold when its record names none, in `context`
// ("patient", "user" or "system").
std::string DefaultScopes(Role role, const std::string& context);
// What an account of the role must name (an organization for institution roles, a patient for
// residents); an error says what is missing.
Status CheckRoleBinding(Role role, const std::string& organization, const std::string& patient,
                        const std::string& practitioner);

// The key a client's assertions are checked with: its PEM, or the key of its JWK Set that `kid`
// names (the only one when kid is "").
Result<Key> PublicKeyOf(const Client& client, std::string_view kid = "");

// Whether an account may be saved as it stands; *field (when given) names the offending element
// ("role", "organization", "publicKey", ...) of a refused one. The command line and the
// administrators' API (account_admin.h) save accounts only through these, so both refuse alike.
Status CheckUser(const User& user, std::string* field = nullptr);
// Also checks that a public key verifies (EC P-384 or RSA of 2048 bits or more, PEM or JWK Set)
// and is not a private key, so that a key that cannot work is refused when registered.
Status CheckClient(const Client& client, std::string* field = nullptr);

Result<std::optional<User>> GetUser(store::ReadTransaction& txn, const std::string& username);
Status PutUser(store::WriteTransaction& txn, const User& user);
Result<std::optional<Client>> GetClient(store::ReadTransaction& txn, const std::string& id);
Status PutClient(store::WriteTransaction& txn, const Client& client);
Result<std::vector<User>> ListUsers(store::ReadTransaction& txn);
Result<std::vector<Client>> ListClients(store::ReadTransaction& txn);

}  // namespace kangyun::auth
