// Extension definitions and data type profiles, as a regional guide publishes them: an
// extension whose url names a definition the server knows is held to it wherever it is in a
// resource, on writes and in $validate; an element whose type a profile constrains with a data
// type's profile is held to that profile too.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "json/json.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

constexpr const char* kEthnicity = "https://kangyun.cn/fhir/StructureDefinition/ethnicity";

// GB/T 3304 民族 codes, three of them, as a regional value set would list them.
constexpr const char* kValueSet = R"({"resourceType": "ValueSet", "id": "ethnicity",
  "url": "https://kangyun.cn/fhir/ValueSet/ethnicity", "status": "active",
  "compose": {"include": [{"system": "https://kangyun.cn/fhir/CodeSystem/gb-t-3304",
    "concept": [{"code": "01", "display": "汉族"}, {"code": "02", "display": "蒙古族"},
                {"code": "03", "display": "回族"}]}]}})";

constexpr const char* kExtension = R"({"resourceType": "StructureDefinition", "id": "ethnicity",
  "url": "https://kangyun.cn/fhir/StructureDefinition/ethnicity", "name": "Ethnicity",
  "status": "active", "kind": "complex-type", "abstract": false,
  "context": [{"type": "element", "expression": "Patient"}],
  "type": "Extension", "derivation": "constraint",
  "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
  "snapshot": {"element": [
    {"id": "Extension", "path": "Extension", "min": 0, "max": "1",
     "definition": "民族 (GB/T 3304).", "base": {"path": "Extension", "min": 0, "max": "*"}},
    {"id": "Extension.extension", "path": "Extension.extension", "min": 0, "max": "0",
     "definition": "None.", "base": {"path": "Extension.extension", "min": 0, "max": "*"},
     "type": [{"code": "Extension"}]},
    {"id": "Extension.url", "path": "Extension.url", "min": 1, "max": "1",
     "definition": "The definition.", "base": {"path": "Extension.url", "min": 1, "max": "1"},
     "type": [{"code": "uri"}],
     "fixedUri": "https://kangyun.cn/fhir/StructureDefinition/ethnicity"},
    {"id": "Extension.value[x]", "path": "Extension.value[x]", "min": 1, "max": "1",
     "definition": "The code.", "base": {"path": "Extension.value[x]", "min": 0, "max": "1"},
     "type": [{"code": "Coding"}],
     "binding": {"strength": "required",
                 "valueSet": "https://kangyun.cn/fhir/ValueSet/ethnicity"}}]}})";

// A name with its text, and a Patient profile whose names must be such names.
constexpr const char* kNameProfile = R"({"resourceType": "StructureDefinition",
  "id": "name-with-text", "url": "https://kangyun.cn/fhir/StructureDefinition/name-with-text",
  "name": "NameWithText", "status": "active", "kind": "complex-type", "abstract": false,
  "type": "HumanName", "derivation": "constraint",
  "baseDefinition": "http://hl7.org/fhir/StructureDefinition/HumanName",
  "snapshot": {"element": [
    {"id": "HumanName", "path": "HumanName", "min": 0, "max": "*", "definition": "A name.",
     "base": {"path": "HumanName", "min": 0, "max": "*"}},
    {"id": "HumanName.text", "path": "HumanName.text", "min": 1, "max": "1",
     "definition": "The name as written, 姓名.", "type": [{"code": "string"}],
     "base": {"path": "HumanName.text", "min": 0, "max": "1"}}]}})";

constexpr const char* kPatientProfile = R"({"resourceType": "StructureDefinition",
  "id": "patient-cn", "url": "https://kangyun.cn/fhir/StructureDefinition/patient-cn",
  "name": "PatientCn", "status": "active", "kind": "resource", "abstract": false,
  "type": "Patient", "derivation": "constraint",
  "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
  "snapshot": {"element": [
    {"id": "Patient", "path": "Patient", "min": 0, "max": "*", "definition": "A resident.",
     "base": {"path": "Patient", "min": 0, "max": "*"}},
    {"id": "Patient.name", "path": "Patient.name", "min": 1, "max": "*",
     "definition": "Names, each with its text.",
     "type": [{"code": "HumanName",
               "profile": ["https://kangyun.cn/fhir/StructureDefinition/name-with-text"]}],
     "base": {"path": "Patient.name", "min": 0, "max": "*"}}]}})";

json::Value Json(const std::string& text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::Value::Object();
}

HttpResult Put(int port, const std::string& path, const std::string& body) {
  return HttpCall("127.0.0.1", port, "PUT", "/fhir/" + path, kJson, body);
}
HttpResult Post(int port, const std::string& path, const std::string& body) {
  return HttpCall("127.0.0.1", port, "POST", "/fhir/" + path, kJson, body);
}

std::string Expression(const HttpResult& r) {
  auto oo = json::Parse(r.body);
  if (!oo.ok() || !oo->Find("issue")) return "";
  const json::Value* e = oo->Find("issue")->items()[0].Find("expression");
  return e && e->is_array() && !e->items().empty() ? e->items()[0].str() : "";
}

// A Patient with the ethnicity extension whose value is `value` (a JSON member), at the top and
// in a contact.
std::string PatientWith(const std::string& value, bool in_contact = false) {
  std::string ext =
      std::string(R"([{"url": ")") + kEthnicity + "\"" + (value.empty() ? "" : ", " + value) + "}]";
  if (in_contact)
    return R"({"resourceType": "Patient", "name": [{"family": "王"}], "contact": [{"extension": )" +
           ext + R"(, "name": {"family": "李"}}]})";
  return R"({"resourceType": "Patient", "name": [{"family": "王"}], "extension": )" + ext + "}";
}

class ExtensionDefinitions : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ScratchFolder("kangyun-extensions", "");
    store_ = TestStore(dir_ + "/store.db");
    server_ = std::make_unique<ServerProcess>(KANGYUN_BINARY, store_);
    ASSERT_TRUE(server_->ok());
    port_ = server_->port();
  }
  void StoreDefinitions() {
    ASSERT_EQ(Put(port_, "ValueSet/ethnicity", kValueSet).status, 201);
    HttpResult sd = Put(port_, "StructureDefinition/ethnicity", kExtension);
    ASSERT_EQ(sd.status, 201) << sd.body;
  }
  std::string dir_, store_;
  std::unique_ptr<ServerProcess> server_;
  int port_ = 0;
};

TEST_F(ExtensionDefinitions, AnExtensionIsHeldToItsDefinitionOnceTheServerKnowsIt) {
  std::string wrong_code = PatientWith(
      R"("valueCoding": {"system": "https://kangyun.cn/fhir/CodeSystem/gb-t-3304", "code": "99"})");
  EXPECT_EQ(Post(port_, "Patient", wrong_code).status, 201);  // its definition not known yet
  StoreDefinitions();

  HttpResult refused = Post(port_, "Patient", wrong_code);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(Expression(refused), "Patient.extension[0].valueCoding");
  EXPECT_NE(refused.body.find("ethnicity"), std::string::npos) << refused.body;

  HttpResult good =
      Post(port_, "Patient",
           PatientWith(R"("valueCoding": {"system": "https://kangyun.cn/fhir/CodeSystem/gb-t-3304",
                                     "code": "03"})"));
  EXPECT_EQ(good.status, 201) << good.body;
}

TEST_F(ExtensionDefinitions, ATypeTheDefinitionDoesNotAllowOrAMissingValueIsRefused) {
  StoreDefinitions();
  HttpResult as_string = Post(port_, "Patient", PatientWith(R"("valueString": "回族")"));
  EXPECT_EQ(as_string.status, 422) << as_string.body;
  EXPECT_EQ(Expression(as_string), "Patient.extension[0].valueString");

  HttpResult without_value =
      Post(port_, "Patient",
           R"({"resourceType": "Patient", "extension": [{"url": ")" + std::string(kEthnicity) +
               R"(", "extension": [{"url": "x", "valueString": "y"}]}]})");
  EXPECT_EQ(without_value.status, 422) << without_value.body;
  EXPECT_EQ(Expression(without_value).rfind("Patient.extension[0].", 0), 0u) << without_value.body;
}

TEST_F(ExtensionDefinitions, AnExtensionDeepInsideTheResourceIsHeldToItToo) {
  StoreDefinitions();
  HttpResult refused = Post(port_, "Patient", PatientWith(R"("valueString": "回族")", true));
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(Expression(refused), "Patient.contact[0].extension[0].valueString");
}

TEST_F(ExtensionDefinitions, ValidateReportsWhatAWriteWouldRefuse) {
  StoreDefinitions();
  HttpResult r = Post(port_, "Patient/$validate", PatientWith(R"("valueString": "回族")"));
  ASSERT_EQ(r.status, 200) << r.body;
  json::Value oo = Json(r.body);
  bool found = false;
  for (const json::Value& issue : oo.Find("issue")->items())
    if (issue.GetString("severity") == "error" && issue.Find("expression") &&
        issue.Find("expression")->items()[0].str() == "Patient.extension[0].valueString")
      found = true;
  EXPECT_TRUE(found) << r.body;
}

TEST_F(ExtensionDefinitions, AnElementIsHeldToTheDataTypeProfileItsTypeNames) {
  ASSERT_EQ(Put(port_, "StructureDefinition/name-with-text", kNameProfile).status, 201);
  ASSERT_EQ(Put(port_, "StructureDefinition/patient-cn", kPatientProfile).status, 201);
  std::string claims = R"({"resourceType": "Patient", "meta": {"profile":
    ["https://kangyun.cn/fhir/StructureDefinition/patient-cn"]}, "name": [)";
  HttpResult refused = Post(port_, "Patient", claims + R"({"text": "王建国"}, {"family": "王"}]})");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(Expression(refused), "Patient.name[1].text");
  EXPECT_NE(refused.body.find("name-with-text"), std::string::npos) << refused.body;
  HttpResult good = Post(port_, "Patient", claims + R"({"text": "王建国", "family": "王"}]})");
  EXPECT_EQ(good.status, 201) << good.body;
  // A data type's profile is not a resource's: claiming it is an error of its own.
  HttpResult wrong_claim = Post(port_, "Patient", R"({"resourceType": "Patient", "meta":
    {"profile": ["https://kangyun.cn/fhir/StructureDefinition/name-with-text"]}})");
  EXPECT_EQ(wrong_claim.status, 422) << wrong_claim.body;
}

// A regional guide installed beside the running server, as an administrator would: its
// extension definition applies within a second, and so does the value set it binds to.
TEST_F(ExtensionDefinitions, AGuideInstalledBesideARunningServerAppliesWithItsValueSets) {
  namespace fs = std::filesystem;
  fs::create_directories(dir_ + "/guide/package");
  std::ofstream(dir_ + "/guide/package/package.json")
      << R"({"name": "cn.kangyun.regional", "version": "0.1.0", "fhirVersions": ["4.0.1"]})";
  std::ofstream(dir_ + "/guide/package/ValueSet-ethnicity.json") << kValueSet;
  std::ofstream(dir_ + "/guide/package/StructureDefinition-ethnicity.json") << kExtension;
  ASSERT_EQ(std::system(("tar czf " + dir_ + "/guide.tgz -C " + dir_ + "/guide package").c_str()),
            0);
  CommandOutput installed =
      RunKangyun(KANGYUN_BINARY, "package install " + dir_ + "/guide.tgz --db " + store_);
  ASSERT_EQ(installed.exit_code, 0) << installed.text;

  std::string wrong_code = PatientWith(
      R"("valueCoding": {"system": "https://kangyun.cn/fhir/CodeSystem/gb-t-3304", "code": "99"})");
  HttpResult refused;
  EXPECT_TRUE(Eventually([&] {
    refused = Post(port_, "Patient", wrong_code);
    return refused.status == 422;
  }));
  EXPECT_EQ(Expression(refused), "Patient.extension[0].valueCoding") << refused.body;
  EXPECT_NE(refused.body.find("ValueSet/ethnicity"), std::string::npos) << refused.body;
}

}  // namespace
}  // namespace kangyun::testing
