// auth/principal_record: a principal kept for work done later in its name comes back as it was
// (role, bindings, the token's scopes); a record that is not one is refused.
#include "auth/principal_record.h"

#include <gtest/gtest.h>

#include "json/json.h"

namespace kangyun::auth {
namespace {

TEST(PrincipalRecord, APrincipalComesBackAsItWas) {
  Principal p;
  p.subject = "client/his-1";
  p.display = "第一医院 HIS";
  p.role = Role::kClinician;
  p.organization = "hosp-a";
  p.client_id = "his-1";
  p.is_system = true;
  auto scopes = ParseScopes("system/Observation.rs system/Patient.r");
  ASSERT_TRUE(scopes.ok());
  p.scopes = *scopes;
  p.token_id = "jti-1";  // the token is not kept
  auto back = PrincipalFromRecord(json::Parse(json::Write(PrincipalRecord(p))).value());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->subject, p.subject);
  EXPECT_EQ(back->display, p.display);
  EXPECT_EQ(back->role, Role::kClinician);
  EXPECT_EQ(back->organization, "hosp-a");
  EXPECT_EQ(back->client_id, "his-1");
  EXPECT_TRUE(back->is_system);
  EXPECT_EQ(ScopeString(back->scopes), "system/Observation.rs system/Patient.r");
  ASSERT_EQ(back->scopes.size(), 2u);
  EXPECT_TRUE(back->scopes[0].Grants("Observation", kSearch));
  EXPECT_FALSE(back->scopes[1].Grants("Patient", kSearch));
  EXPECT_EQ(back->token_id, "");
}

TEST(PrincipalRecord, ARecordThatIsNotOneIsRefused) {
  EXPECT_FALSE(PrincipalFromRecord(json::Parse(R"({"role":"clinician"})").value()).ok());
  EXPECT_FALSE(
      PrincipalFromRecord(json::Parse(R"({"subject":"user/x","role":"emperor"})").value()).ok());
  EXPECT_FALSE(
      PrincipalFromRecord(
          json::Parse(R"({"subject":"user/x","role":"admin","scopes":"user/Observation.q"})")
              .value())
          .ok());
}

}  // namespace
}  // namespace kangyun::auth
