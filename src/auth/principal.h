// Who is asking: what an access token says about the person or system behind a request, and
// what the request adds (address, a break-glass reason). Plain data; api/access_policy.h
// decides what it may see.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "auth/scopes.h"

namespace kangyun::auth {

// The roles of the mission (../docs/security.md says what each may do).
enum class Role {
  kResident,      // own record, and family members they are guardian of
  kClinician,     // patients in the care of their institution
  kFamilyDoctor,  // residents contracted with their institution's teams
  kElderCare,     // the residents of their elder-care institution
  kRegulator,     // aggregates and the audit trail only
  kInsurer,       // claims of residents who consented
  kAdmin,         // everything; platform operators
};

const char* RoleName(Role role);
bool ParseRole(std::string_view name, Role* role);

struct Principal {
  std::string subject;  // "user/zhangwei" or "client/his-1": unique, stable
  std::string display;  // a name for audit records
  Role role = Role::kResident;
  std::string organization;  // Organization id for institution roles
  std::string practitioner;  // Practitioner id of a clinician
  std::string patient;       // Patient id of a resident
  std::string client_id;     // the application that holds the token
  bool is_system = false;    // a system (client credentials), not a person
  std::vector<Scope> scopes;
  std::string token_id;       // the access token's jti
  int64_t token_expires = 0;  // when the access token expires (micros)
  // Filled per request by the HTTP layer.
  std::string address;            // the client's network address
  std::string break_glass;        // reason given for an emergency override, or ""
  std::string purpose = "TREAT";  // v3-PurposeOfUse of the request

  // The FHIR reference of who acts: Practitioner/…, Patient/…, or the client's Device-less id.
  std::string Reference() const {
    if (!practitioner.empty()) return "Practitioner/" + practitioner;
    if (!patient.empty() && role == Role::kResident) return "Patient/" + patient;
    return "";
  }
};

}  // namespace kangyun::auth
