// The reach model is data the access rules are made of: every name in it must be one the
// definitions know, or a grant would silently reach no one (or a write review check nothing).
#include "api/reach_model.h"

#include <gtest/gtest.h>

#include "tests/unit/test_definitions.h"

namespace kangyun::testing {
namespace {

TEST(ReachModel, EveryGrantNamesAResourceTypeAndItsSearchParameters) {
  auto params = NewRegistry();
  for (const api::ReachGrant& g : api::ReachGrants()) {
    EXPECT_TRUE(Defs().IsResourceType(g.type)) << g.type;
    if (*g.patient_param) {
      auto patient = params->Find(g.type, g.patient_param);
      ASSERT_NE(patient, nullptr) << g.type << "." << g.patient_param;
      EXPECT_EQ(patient->type, "reference") << g.type << "." << g.patient_param;
    }
    auto grantee = params->Find(g.type, g.grantee_param);
    ASSERT_NE(grantee, nullptr) << g.type << "." << g.grantee_param;
    EXPECT_FALSE(g.roles.empty()) << g.type;
  }
}

TEST(ReachModel, GrantsNamingInstitutionsReferenceOrganizations) {
  auto params = NewRegistry();
  for (const api::ReachGrant& g : api::ReachGrants()) {
    if (g.rule == api::GranteeRule::kWardsCarers) continue;  // a person, by ID number
    auto grantee = params->Find(g.type, g.grantee_param);
    ASSERT_NE(grantee, nullptr);
    EXPECT_EQ(grantee->type, "reference") << g.type << "." << g.grantee_param;
    bool organization = grantee->targets.empty();
    for (const std::string& t : grantee->targets)
      organization = organization || t == "Organization";
    EXPECT_TRUE(organization) << g.type << "." << g.grantee_param << " cannot name an Organization";
  }
}

TEST(ReachModel, PlatformOwnedTypesAreResourceTypesOutsideThePatientCompartment) {
  for (const char* type : {"SearchParameter", "CodeSystem", "ValueSet", "ConceptMap",
                           "NamingSystem", "StructureDefinition", "Organization", "Location",
                           "Practitioner", "PractitionerRole", "HealthcareService", "Endpoint"}) {
    EXPECT_TRUE(api::IsPlatformOwned(type)) << type;
    EXPECT_TRUE(Defs().IsResourceType(type)) << type;
    EXPECT_EQ(Defs().PatientCompartment().count(type), 0u) << type;
  }
  for (const char* type : {"Patient", "Observation", "Contract", "Consent", "Encounter"})
    EXPECT_FALSE(api::IsPlatformOwned(type)) << type;
}

// A stored SearchParameter may add codes, never replace a built-in one: by code on one of its
// base types (also through a base of Resource), or by url.
TEST(ReachModel, BuiltInSearchParametersCannotBeRedefined) {
  auto params = NewRegistry();
  params->SealBuiltIns();
  fhir::SearchParamDef p;
  p.url = "https://example.org/sp";
  p.code = "organization";
  p.base = {"Patient"};
  EXPECT_EQ(params->CheckAddsOnly(p).code(), StatusCode::kUnprocessable);
  p.code = "_id";
  p.base = {"Resource"};
  EXPECT_EQ(params->CheckAddsOnly(p).code(), StatusCode::kUnprocessable);
  p.code = "nickname";
  p.base = {"Patient"};
  EXPECT_TRUE(params->CheckAddsOnly(p).ok());
  p.url = "http://hl7.org/fhir/SearchParameter/Patient-organization";
  EXPECT_EQ(params->CheckAddsOnly(p).code(), StatusCode::kUnprocessable);
}

}  // namespace
}  // namespace kangyun::testing
