// The reach model (docs/security.md, "The reach model"): which resources give an institution or a
// person reach into a resident's record, who reaches through each, and what a writer must
// already reach or own to create, change or delete one. Also the types whose resources are the
// platform's own definitions and registries. Plain data; api/access_policy.* applies it to reads
// and writes. Internal to api/.
#pragma once

#include <string_view>
#include <vector>

#include "auth/principal.h"

namespace kangyun::api {

// Whom a grant may name when a non-administrator writes it.
enum class GranteeRule {
  kOwnInstitution,  // only the writer's own institution: one cannot hand a record to another
  kAnyInstitution,  // any institution: a referral sends the resident to whoever performs it
  kResidentOnly,    // written by the resident (or an administrator) alone: a Consent
  kWardsCarers,     // a guardian named by identity; written by whoever cares for the ward
};

struct ReachGrant {
  const char* type;
  // The search parameter naming the residents it is about ("" for a Patient: itself).
  const char* patient_param;
  // The search parameter naming who gains reach (references to Organization), or for a
  // guardian the identifier that names the person.
  const char* grantee_param;
  std::vector<auth::Role> roles;  // the roles that reach the resident through it
  GranteeRule rule;
  // Read by its parties only (the resident, the institutions it names, regulators), not by
  // everyone who reaches the resident: who is contracted with whom, and a resident's privacy
  // decisions, are not part of the clinical record.
  bool parties_only;
};

// Every resource that grants reach. The roles' relationship rules (access_policy.cpp) are made
// from it, so a grant is written down once.
const std::vector<ReachGrant>& ReachGrants();
// nullptr when the type grants no reach.
const ReachGrant* FindReachGrant(std::string_view type);

// Definitions (SearchParameter, CodeSystem, StructureDefinition, …) and the registries of
// institutions, places and health workers: written by administrators only. Everyone
// authenticated whose scopes name the type reads them.
bool IsPlatformOwned(std::string_view type);

// Resources a principal keeps for itself, whatever they are about (a Subscription selects
// anyone's records): read, changed and deleted only by the principal that made it, and by
// administrators. The engine stamps the maker on every version (kOwnerExtension, a principal's
// subject such as "client/his-1"), whatever the writer sent; search parameter `owner`.
inline constexpr const char* kOwnerExtension = "https://kangyun.cn/fhir/StructureDefinition/owner";
bool IsOwnedType(std::string_view type);

}  // namespace kangyun::api
