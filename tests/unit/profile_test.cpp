// Profiles (fhir/profile.h): a regional Patient profile written as an implementation guide
// would publish it (a snapshot), and what each of its constraints refuses; the FHIR package
// reader (fhir/package.h) on archives made here.
#include "fhir/profile.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "fhir/package.h"
#include "json/json.h"
#include "tests/support/http_client.h"
#include "tests/unit/test_definitions.h"

namespace kangyun::testing {
namespace {

constexpr const char* kProfileUrl = "https://kangyun.cn/fhir/StructureDefinition/regional-patient";
constexpr const char* kCitizenId = "urn:oid:2.16.156.10011.1.3";

// A regional Patient: one citizen ID (identifiers sliced by system), a gender from the
// required value set, deceased only as a boolean, active fixed to true, no telecom, a marital
// status from one code system (a pattern), an invariant of its own on names, and
// communications sliced by a discriminator this checker cannot evaluate.
json::Value RegionalPatient() {
  std::string sd = R"J({
    "resourceType": "StructureDefinition", "url": ")J" +
                   std::string(kProfileUrl) + R"J(", "version": "1.0",
    "name": "RegionalPatient", "status": "active", "kind": "resource", "abstract": false,
    "type": "Patient", "derivation": "constraint",
    "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
    "snapshot": {"element": [
      {"id": "Patient", "path": "Patient", "min": 0, "max": "*",
       "constraint": [{"key": "rp-1", "severity": "error", "human": "every name has a family name",
                       "expression": "name.all(family.exists())"},
                      {"key": "rp-2", "severity": "warning", "human": "a birth date is known",
                       "expression": "birthDate.exists()"}]},
      {"id": "Patient.identifier", "path": "Patient.identifier", "min": 1, "max": "*",
       "type": [{"code": "Identifier"}],
       "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
      {"id": "Patient.identifier:citizenId", "path": "Patient.identifier", "sliceName": "citizenId",
       "min": 1, "max": "1", "type": [{"code": "Identifier"}]},
      {"id": "Patient.identifier:citizenId.system", "path": "Patient.identifier.system",
       "min": 1, "max": "1", "type": [{"code": "uri"}], "fixedUri": ")J" +
                   kCitizenId + R"J("},
      {"id": "Patient.identifier:citizenId.value", "path": "Patient.identifier.value",
       "min": 1, "max": "1", "type": [{"code": "string"}]},
      {"id": "Patient.active", "path": "Patient.active", "min": 0, "max": "1",
       "type": [{"code": "boolean"}], "fixedBoolean": true},
      {"id": "Patient.telecom", "path": "Patient.telecom", "min": 0, "max": "0",
       "type": [{"code": "ContactPoint"}]},
      {"id": "Patient.gender", "path": "Patient.gender", "min": 1, "max": "1",
       "type": [{"code": "code"}],
       "binding": {"strength": "required",
                   "valueSet": "http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1"}},
      {"id": "Patient.deceased[x]", "path": "Patient.deceased[x]", "min": 0, "max": "1",
       "type": [{"code": "boolean"}]},
      {"id": "Patient.maritalStatus", "path": "Patient.maritalStatus", "min": 0, "max": "1",
       "type": [{"code": "CodeableConcept"}],
       "patternCodeableConcept": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"}]}},
      {"id": "Patient.communication", "path": "Patient.communication", "min": 0, "max": "*",
       "slicing": {"discriminator": [{"type": "profile", "path": "language"}], "rules": "closed"}},
      {"id": "Patient.communication:zh", "path": "Patient.communication", "sliceName": "zh",
       "min": 1, "max": "1"}
    ]}})J";
  auto v = json::Parse(sd);
  EXPECT_TRUE(v.ok()) << v.status().message();
  return *v;
}

json::Value Conforming() {
  return *json::Parse(R"({"resourceType": "Patient", "active": true,
    "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": "51012919570118043X"},
                   {"system": "https://hospital.example/mrn", "value": "A-17"}],
    "name": [{"family": "王", "given": ["小明"]}], "gender": "male", "birthDate": "1957-01-18",
    "deceasedBoolean": false,
    "maritalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "code": "M"}]}})");
}

// The gender value set as a terminology service would answer; other value sets are unknown.
std::optional<bool> Genders(std::string_view vs, std::string_view, std::string_view code) {
  if (vs != "http://hl7.org/fhir/ValueSet/administrative-gender") return std::nullopt;
  return code == "male" || code == "female" || code == "other" || code == "unknown";
}

std::shared_ptr<const fhir::Profile> Parsed(const json::Value& sd) {
  auto p = fhir::Profile::Parse(sd, Defs());
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? *p : nullptr;
}

std::vector<fhir::ProfileIssue> Errors(const json::Value& resource) {
  std::vector<fhir::ProfileIssue> errors;
  for (auto& issue : Parsed(RegionalPatient())->Check(resource, Genders))
    if (issue.severity == "error") errors.push_back(issue);
  return errors;
}

// The one error a broken copy gets: its path, and a word of its message.
void ExpectOneError(const json::Value& resource, const std::string& path, const std::string& word) {
  auto errors = Errors(resource);
  ASSERT_EQ(errors.size(), 1u) << path << ": " << (errors.empty() ? "" : errors[0].message);
  EXPECT_EQ(errors[0].path, path) << errors[0].message;
  EXPECT_NE(errors[0].message.find(word), std::string::npos) << errors[0].message;
  EXPECT_NE(errors[0].message.find(kProfileUrl), std::string::npos) << errors[0].message;
}

TEST(Profile, AConformingResourceHasNoErrorsAndItsWarningsAreWarnings) {
  EXPECT_TRUE(Errors(Conforming()).empty());
  json::Value p = Conforming();
  p.Erase("birthDate");
  auto issues = Parsed(RegionalPatient())->Check(p, Genders);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].severity, "warning");
  EXPECT_NE(issues[0].message.find("rp-2"), std::string::npos);
}

TEST(Profile, CardinalityOfElementsAndSlices) {
  json::Value p = Conforming();
  p.Erase("gender");
  ExpectOneError(p, "Patient.gender", "at least 1");
  p = Conforming();
  p.Set("telecom", *json::Parse(R"([{"system": "phone", "value": "13800000000"}])"));
  ExpectOneError(p, "Patient.telecom", "not allowed");
  // The hospital number alone: the citizen ID slice is missing.
  p = Conforming();
  p.Find("identifier")->items().erase(p.Find("identifier")->items().begin());
  ExpectOneError(p, "Patient.identifier", "slice citizenId");
  // Two citizen IDs: the slice allows one.
  p = Conforming();
  p.Find("identifier")->Push(p.Find("identifier")->items()[0]);
  ExpectOneError(p, "Patient.identifier", "at most 1 (slice citizenId)");
  // The slice's own children: a citizen ID without its value.
  p = Conforming();
  p.Find("identifier")->items()[0].Erase("value");
  ExpectOneError(p, "Patient.identifier[0].value", "at least 1");
}

TEST(Profile, FixedAndPatternValues) {
  json::Value p = Conforming();
  p.Set("active", json::Value::Bool(false));
  ExpectOneError(p, "Patient.active", "exactly true");
  p = Conforming();
  p.Find("maritalStatus")
      ->Find("coding")
      ->items()[0]
      .Set("system", json::Value::String("http://snomed.info/sct"));
  ExpectOneError(p, "Patient.maritalStatus", "pattern");
}

TEST(Profile, ChoiceTypesBindingsAndInvariants) {
  json::Value p = Conforming();
  p.Erase("deceasedBoolean");
  p.Set("deceasedDateTime", json::Value::String("2020-01-01"));
  ExpectOneError(p, "Patient.deceasedDateTime", "dateTime is not one the profile allows");
  p = Conforming();
  p.Set("gender", json::Value::String("man"));
  ExpectOneError(p, "Patient.gender", "administrative-gender");
  p = Conforming();
  p.Find("name")->items()[0].Erase("family");
  ExpectOneError(p, "Patient", "rp-1");
}

TEST(Profile, APrimitivePresentOnlyByItsExtensionsIsPresent) {
  json::Value p = Conforming();
  p.Erase("gender");
  p.Set("_gender", *json::Parse(R"({"extension": [{"url":
    "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]})"));
  EXPECT_TRUE(Errors(p).empty());
}

TEST(Profile, ASlicingItCannotEvaluateIsNotHeldAgainstTheResource) {
  // The communication slicing discriminates by profile, and is closed with a required slice:
  // checked, it would refuse both of these.
  json::Value p = Conforming();
  EXPECT_TRUE(Errors(p).empty());
  p.Set("communication", *json::Parse(R"([{"language": {"text": "English"}}])"));
  EXPECT_TRUE(Errors(p).empty());
}

TEST(Profile, AResourceOfAnotherTypeDoesNotConform) {
  auto issues =
      Parsed(RegionalPatient())->Check(*json::Parse(R"({"resourceType": "Observation"})"), Genders);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "resourceType");
}

TEST(Profile, OnlyAConstraintOnAResourceTypeWithASnapshotIsAProfile) {
  json::Value sd = RegionalPatient();
  sd.Erase("snapshot");
  auto no_snapshot = fhir::Profile::Parse(sd, Defs());
  ASSERT_FALSE(no_snapshot.ok());
  EXPECT_EQ(no_snapshot.status().expression(), "StructureDefinition.snapshot");
  sd = RegionalPatient();
  sd.Set("derivation", json::Value::String("specialization"));
  EXPECT_EQ(fhir::Profile::Parse(sd, Defs()).status().expression(),
            "StructureDefinition.derivation");
  sd = RegionalPatient();
  sd.Set("type", json::Value::String("Patientt"));
  EXPECT_EQ(fhir::Profile::Parse(sd, Defs()).status().expression(), "StructureDefinition.type");
}

TEST(ProfileSet, FindsByUrlAndByUrlWithItsVersion) {
  fhir::ProfileSet set;
  set.Replace({Parsed(RegionalPatient())});
  EXPECT_NE(set.Find(kProfileUrl), nullptr);
  EXPECT_NE(set.Find(std::string(kProfileUrl) + "|1.0"), nullptr);
  EXPECT_EQ(set.Find(std::string(kProfileUrl) + "|2.0"), nullptr);
  EXPECT_EQ(set.Find("https://kangyun.cn/fhir/StructureDefinition/other"), nullptr);
  set.Replace({});
  EXPECT_EQ(set.Find(kProfileUrl), nullptr);
}

// A package made here with tar: the package's own resources are read, its examples and
// other folders are not, and a name longer than tar's 100 bytes survives.
TEST(Package, ReadsTheResourcesOfThePackageFolder) {
  std::string dir = ScratchFolder("kangyun-package");
  std::string root = dir + "/package";
  ASSERT_EQ(std::system(("mkdir -p " + root + "/example").c_str()), 0);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(root + "/" + name) << text;
  };
  write("package.json",
        R"({"name": "kangyun.regional", "version": "0.1.0", "fhirVersions": ["4.0.1"]})");
  write("StructureDefinition-regional-patient.json", json::Write(RegionalPatient()));
  std::string long_name = "ValueSet-" + std::string(120, 'v') + ".json";
  write(long_name, R"({"resourceType": "ValueSet", "url": "https://kangyun.cn/vs"})");
  write("example/Patient-one.json", R"({"resourceType": "Patient"})");
  write("notes.txt", "not JSON");
  ASSERT_EQ(std::system(("cd " + dir + " && tar czf regional.tgz package").c_str()), 0);

  auto package = fhir::ReadPackage(dir + "/regional.tgz");
  ASSERT_TRUE(package.ok()) << package.status().message();
  EXPECT_EQ(package->name, "kangyun.regional");
  EXPECT_EQ(package->version, "0.1.0");
  EXPECT_EQ(package->fhir_version, "4.0.1");
  std::vector<std::string> files;
  for (const auto& r : package->resources) files.push_back(r.file);
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"package/StructureDefinition-regional-patient.json",
                                             "package/" + long_name}));
}

TEST(Package, RefusesWhatIsNotAPackage) {
  std::string dir = ScratchFolder("kangyun-package");
  std::ofstream(dir + "/plain.tgz") << "not gzip at all";
  auto not_gzip = fhir::ReadPackage(dir + "/plain.tgz");
  ASSERT_FALSE(not_gzip.ok());
  EXPECT_NE(not_gzip.status().message().find("gzip"), std::string::npos);
  ASSERT_EQ(std::system(("mkdir -p " + dir + "/x && cd " + dir + " && echo '{}' > x/a.json && " +
                         "tar czf nomanifest.tgz x")
                            .c_str()),
            0);
  auto no_manifest = fhir::ReadPackage(dir + "/nomanifest.tgz");
  ASSERT_FALSE(no_manifest.ok());
  EXPECT_NE(no_manifest.status().message().find("package.json"), std::string::npos);
  EXPECT_FALSE(fhir::ReadPackage(dir + "/missing.tgz").ok());
}

}  // namespace
}  // namespace kangyun::testing
