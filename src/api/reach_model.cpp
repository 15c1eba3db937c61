#include "api/reach_model.h"

#include <algorithm>
#include <array>

namespace kangyun::api {

using auth::Role;

const std::vector<ReachGrant>& ReachGrants() {
  static const std::vector<ReachGrant> kGrants = {
      // An encounter at an institution: its clinicians and, for an elder-care institution, its
      // carers.
      {"Encounter",
       "patient",
       "service-provider",
       {Role::kClinician, Role::kElderCare},
       GranteeRule::kOwnInstitution,
       false},
      {"EpisodeOfCare",
       "patient",
       "organization",
       {Role::kClinician, Role::kElderCare},
       GranteeRule::kOwnInstitution,
       false},
      // A family-doctor contract under the institution's authority.
      {"Contract",
       "patient",
       "authority",
       {Role::kClinician, Role::kFamilyDoctor},
       GranteeRule::kOwnInstitution,
       true},
      // A referral: the institution asked to perform it.
      {"ServiceRequest",
       "patient",
       "performer",
       {Role::kClinician},
       GranteeRule::kAnyInstitution,
       false},
      // The institution that manages the resident's record (registration).
      {"Patient",
       "",
       "organization",
       {Role::kClinician, Role::kElderCare},
       GranteeRule::kOwnInstitution,
       false},
      // The resident's own permit to an institution (and denials, which narrow reach).
      {"Consent",
       "patient",
       "actor",
       {Role::kClinician, Role::kFamilyDoctor, Role::kElderCare, Role::kInsurer},
       GranteeRule::kResidentOnly,
       true},
      // A guardian (v3-RoleCode GUARD) carrying a resident's identity number reaches the ward.
      {"RelatedPerson",
       "patient",
       "identifier",
       {Role::kResident},
       GranteeRule::kWardsCarers,
       false},
  };
  return kGrants;
}

const ReachGrant* FindReachGrant(std::string_view type) {
  for (const ReachGrant& g : ReachGrants())
    if (type == g.type) return &g;
  return nullptr;
}

bool IsPlatformOwned(std::string_view type) {
  static constexpr std::array<std::string_view, 20> kTypes = {
      // definitions: what the platform's rules, searches and validation are made of
      "SearchParameter", "CodeSystem", "ValueSet", "ConceptMap", "NamingSystem",
      "StructureDefinition", "StructureMap", "OperationDefinition", "CompartmentDefinition",
      "CapabilityStatement", "ImplementationGuide", "TerminologyCapabilities", "GraphDefinition",
      // registries (WS/T 448 institution and health-worker registries, IHE mCSD)
      "Organization", "OrganizationAffiliation", "Location", "Practitioner", "PractitionerRole",
      "HealthcareService", "Endpoint"};
  return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}

bool IsOwnedType(std::string_view type) { return type == "Subscription"; }

}  // namespace kangyun::api
