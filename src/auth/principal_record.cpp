#include "auth/principal_record.h"

#include "auth/scopes.h"

namespace kangyun::auth {

json::Value PrincipalRecord(const Principal& p) {
  json::Value v = json::Value::Object();
  v.Set("subject", json::Value::String(p.subject));
  v.Set("display", json::Value::String(p.display));
  v.Set("role", json::Value::String(RoleName(p.role)));
  v.Set("organization", json::Value::String(p.organization));
  v.Set("practitioner", json::Value::String(p.practitioner));
  v.Set("patient", json::Value::String(p.patient));
  v.Set("clientId", json::Value::String(p.client_id));
  v.Set("system", json::Value::Bool(p.is_system));
  v.Set("scopes", json::Value::String(ScopeString(p.scopes)));
  return v;
}

Result<Principal> PrincipalFromRecord(const json::Value& v) {
  Principal p;
  p.subject = std::string(v.GetString("subject"));
  if (p.subject.empty()) return Invalid("a principal record names no subject");
  p.display = std::string(v.GetString("display"));
  if (!ParseRole(v.GetString("role"), &p.role))
    return Invalid("a principal record has an unknown role '" + std::string(v.GetString("role")) +
                   "'");
  p.organization = std::string(v.GetString("organization"));
  p.practitioner = std::string(v.GetString("practitioner"));
  p.patient = std::string(v.GetString("patient"));
  p.client_id = std::string(v.GetString("clientId"));
  p.is_system = v.Find("system") && v.Find("system")->as_bool();
  KY_ASSIGN_OR_RETURN(p.scopes, ParseScopes(v.GetString("scopes")));
  return p;
}

}  // namespace kangyun::auth
