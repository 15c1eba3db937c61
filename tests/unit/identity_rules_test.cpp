// Citizen ID numbers on person records (GB 11643): valid, and agreeing with the record.
#include "mpi/identity_rules.h"

#include <gtest/gtest.h>

#include "cn/citizen_id.h"
#include "json/json.h"

namespace kangyun::mpi {
namespace {

json::Value Patient(const std::string& number, const std::string& birth = "1985-03-07",
                    const std::string& gender = "male", const std::string& type = "Patient") {
  std::string text = R"({"resourceType":")" + type + R"(","identifier":[
      {"system":"https://kangyun.cn/fhir/sid/health-card","value":"EHC1"},
      {"system":"urn:oid:2.16.156.10011.1.3","value":")" +
                     number + R"("}])";
  if (!birth.empty()) text += R"(,"birthDate":")" + birth + R"(")";
  if (!gender.empty()) text += R"(,"gender":")" + gender + R"(")";
  return json::Parse(text + "}").value();
}

const std::string kValid = cn::MakeCitizenId("510107", "19850307", 123);  // odd: a man

TEST(IdentityRules, AValidNumberThatAgreesPasses) {
  EXPECT_TRUE(CheckPersonIdentifiers(Patient(kValid), "2026-11-24").ok());
  // A partial birth date that is the start of the number's, and no birth date at all.
  EXPECT_TRUE(CheckPersonIdentifiers(Patient(kValid, "1985-03"), "2026-11-24").ok());
  EXPECT_TRUE(CheckPersonIdentifiers(Patient(kValid, ""), "2026-11-24").ok());
  // Gender unknown or other is not checked against the number.
  EXPECT_TRUE(CheckPersonIdentifiers(Patient(kValid, "", "unknown"), "2026-11-24").ok());
}

TEST(IdentityRules, WrongCheckCharacterNamesTheElement) {
  std::string wrong = kValid.substr(0, 17) + (kValid[17] == '1' ? "2" : "1");
  Status s = CheckPersonIdentifiers(Patient(wrong), "2026-11-24");
  EXPECT_EQ(s.code(), StatusCode::kUnprocessable);
  EXPECT_EQ(s.expression(), "Patient.identifier[1].value");
  EXPECT_NE(s.message().find("check character"), std::string::npos) << s.message();
}

TEST(IdentityRules, ImpossibleDatesAndRegionsAreRefused) {
  EXPECT_FALSE(CheckPersonIdentifiers(Patient(cn::MakeCitizenId("510107", "19850230", 123), ""),
                                      "2026-11-24")
                   .ok());
  EXPECT_FALSE(CheckPersonIdentifiers(Patient(cn::MakeCitizenId("510107", "20270101", 123), ""),
                                      "2026-11-24")
                   .ok());
  Status region =
      CheckPersonIdentifiers(Patient(cn::MakeCitizenId("990107", "19850307", 123)), "2026-11-24");
  EXPECT_FALSE(region.ok());
  EXPECT_NE(region.message().find("GB/T 2260"), std::string::npos) << region.message();
}

TEST(IdentityRules, TheLegacyFifteenDigitFormIsAccepted) {
  // 15 digits: 6 region, YYMMDD, 3 sequence; 1949-12-31, even sequence: a woman.
  EXPECT_TRUE(
      CheckPersonIdentifiers(Patient("110105491231002", "1949-12-31", "female"), "2026-11-24")
          .ok());
  EXPECT_FALSE(
      CheckPersonIdentifiers(Patient("110105491231002", "1949-12-31", "male"), "2026-11-24").ok());
}

TEST(IdentityRules, BirthDateAndSexMustAgreeWithTheNumber) {
  Status birth = CheckPersonIdentifiers(Patient(kValid, "1985-07-03"), "2026-11-24");
  EXPECT_EQ(birth.code(), StatusCode::kUnprocessable);
  EXPECT_EQ(birth.expression(), "Patient.birthDate");
  EXPECT_NE(birth.message().find("1985-03-07"), std::string::npos) << birth.message();
  Status sex = CheckPersonIdentifiers(Patient(kValid, "1985-03-07", "female"), "2026-11-24");
  EXPECT_EQ(sex.expression(), "Patient.gender");
  // The same rules on the other person resources; other resources are not looked at.
  EXPECT_EQ(
      CheckPersonIdentifiers(Patient(kValid, "1985-07-03", "male", "Practitioner"), "2026-11-24")
          .expression(),
      "Practitioner.birthDate");
  EXPECT_TRUE(
      CheckPersonIdentifiers(Patient("nonsense", "", "", "Organization"), "2026-11-24").ok());
}

}  // namespace
}  // namespace kangyun::mpi
