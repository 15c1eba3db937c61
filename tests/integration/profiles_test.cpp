// An implementation guide installed as a real one is published: the International Patient
// Summary's FHIR package (fetched by scripts/install-deps), put in the store by `kangyun package
// install`. Every example the guide gives for a profile validates against it without an error;
// a broken copy fails naming the element; writes that claim a profile, or whose type the
// administrator requires one for, are held to it; a profile stored through the API applies at
// once; and a profile that cannot be used is refused.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "json/json.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

const std::string kPackage =
    std::string(KANGYUN_SOURCE_DIR) + "/.deps/packages/hl7.fhir.uv.ips-2.0.0.tgz";
constexpr const char* kIpsPatient = "http://hl7.org/fhir/uv/ips/StructureDefinition/Patient-uv-ips";

json::Value ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << path;
  return v.ok() ? *v : json::Value::Object();
}

class Profiles : public ::testing::Test {
 public:
  // One store with the guide installed for the suite; each test starts its own server on it.
  static void SetUpTestSuite() {
    dir_ = new std::string(ScratchFolder("kangyun-profiles"));
    store_ = new std::string(TestStore(*dir_ + "/profiles.db"));
    CommandOutput o =
        RunKangyun(KANGYUN_BINARY, "package install " + kPackage + " --db " + *store_);
    ASSERT_EQ(o.exit_code, 0) << o.text;
    install_output_ = new std::string(o.text);
    ASSERT_EQ(std::system(("tar xzf " + kPackage + " -C " + *dir_).c_str()), 0);
  }

  static HttpResult Post(int port, const std::string& path, const json::Value& body) {
    return HttpCall("127.0.0.1", port, "POST", "/fhir/" + path,
                    {{"Content-Type", "application/fhir+json"}}, json::Write(body));
  }
  static HttpResult Put(int port, const std::string& path, const json::Value& body) {
    return HttpCall("127.0.0.1", port, "PUT", "/fhir/" + path,
                    {{"Content-Type", "application/fhir+json"}}, json::Write(body));
  }
  // The issues of $validate against `profile`, as (severity, diagnostics).
  static std::vector<std::pair<std::string, std::string>> Validate(int port, const json::Value& r,
                                                                   const std::string& profile) {
    json::Value params = *json::Parse(R"({"resourceType": "Parameters", "parameter": []})");
    json::Value resource = json::Value::Object();
    resource.Set("name", json::Value::String("resource"));
    resource.Set("resource", r);
    params.Find("parameter")->Push(resource);
    json::Value p = json::Value::Object();
    p.Set("name", json::Value::String("profile"));
    p.Set("valueUri", json::Value::String(profile));
    params.Find("parameter")->Push(p);
    HttpResult res = Post(port, std::string(r.GetString("resourceType")) + "/$validate", params);
    EXPECT_EQ(res.status, 200) << res.body;
    std::vector<std::pair<std::string, std::string>> out;
    auto oo = json::Parse(res.body);
    if (oo.ok() && oo->Find("issue"))
      for (const json::Value& i : oo->Find("issue")->items())
        out.emplace_back(std::string(i.GetString("severity")),
                         std::string(i.GetString("diagnostics")));
    return out;
  }
  static std::string Expression(const HttpResult& r) {
    auto oo = json::Parse(r.body);
    if (!oo.ok() || !oo->Find("issue")) return "";
    const json::Value* e = oo->Find("issue")->items()[0].Find("expression");
    return e && e->is_array() && !e->items().empty() ? e->items()[0].str() : "";
  }
  static json::Value Example(const std::string& file) {
    return ReadJson(*dir_ + "/package/example/" + file);
  }

  static std::string* dir_;
  static std::string* store_;
  static std::string* install_output_;
};
std::string* Profiles::dir_ = nullptr;
std::string* Profiles::store_ = nullptr;
std::string* Profiles::install_output_ = nullptr;

TEST_F(Profiles, InstallingTheGuideStoresItsProfilesAndValueSets) {
  EXPECT_NE(install_output_->find("installed 68 resources of hl7.fhir.uv.ips 2.0.0 "
                                  "(StructureDefinition 32, ValueSet 36); 0 refused"),
            std::string::npos)
      << *install_output_;
  ServerProcess server(KANGYUN_BINARY, *store_);
  ASSERT_TRUE(server.ok());
  HttpResult r = HttpCall("127.0.0.1", server.port(), "GET",
                          "/fhir/StructureDefinition?url=" + std::string(kIpsPatient), {}, "");
  EXPECT_EQ(TotalOf(r), 1) << r.body;
}

// The guide's own examples, each against the profile the guide says it exemplifies.
TEST_F(Profiles, EveryExampleOfTheGuideConformsToItsProfile) {
  ServerProcess server(KANGYUN_BINARY, *store_);
  ASSERT_TRUE(server.ok());
  json::Value ig = ReadJson(*dir_ + "/package/ImplementationGuide-hl7.fhir.uv.ips.json");
  std::map<std::string, json::Value> examples;
  for (const auto& f : std::filesystem::directory_iterator(*dir_ + "/package/example")) {
    json::Value r = ReadJson(f.path().string());
    examples[std::string(r.GetString("resourceType")) + "/" + std::string(r.GetString("id"))] = r;
  }
  int checked = 0;
  for (const json::Value& entry : ig.Find("definition")->Find("resource")->items()) {
    std::string profile(entry.GetString("exampleCanonical"));
    if (profile.empty()) continue;
    std::string ref(entry.Find("reference")->GetString("reference"));
    ASSERT_TRUE(examples.count(ref)) << ref;
    for (const auto& [severity, diagnostics] : Validate(server.port(), examples[ref], profile))
      EXPECT_NE(severity, "error") << ref << ": " << diagnostics;
    ++checked;
  }
  EXPECT_EQ(checked, 44);
}

TEST_F(Profiles, ABrokenCopyFailsNamingTheElement) {
  ServerProcess server(KANGYUN_BINARY, *store_);
  ASSERT_TRUE(server.ok());
  json::Value patient = Example("Patient-66033.json");
  patient.Erase("birthDate");
  auto issues = Validate(server.port(), patient, kIpsPatient);
  ASSERT_FALSE(issues.empty());
  EXPECT_EQ(issues.back().first, "error");
  EXPECT_NE(issues.back().second.find("Patient.birthDate: at least 1 required"), std::string::npos)
      << issues.back().second;
  // A laboratory result without the laboratory category: the profile's slice is missing.
  json::Value lab = Example("Observation-hemoglobin.json");
  lab.Set("category", *json::Parse(R"([{"coding": [{"system":
    "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}])"));
  bool slice_named = false;
  for (const auto& [severity, diagnostics] :
       Validate(server.port(), lab,
                "http://hl7.org/fhir/uv/ips/StructureDefinition/"
                "Observation-results-laboratory-pathology-uv-ips"))
    if (severity == "error" && diagnostics.find("(slice laboratory)") != std::string::npos)
      slice_named = true;
  EXPECT_TRUE(slice_named);
  // A profile the server does not know is an error of $validate's.
  bool unknown_named = false;
  for (const auto& [severity, diagnostics] :
       Validate(server.port(), patient, "http://example.org/StructureDefinition/unknown"))
    if (severity == "error" && diagnostics.find("not known") != std::string::npos)
      unknown_named = true;
  EXPECT_TRUE(unknown_named);
}

TEST_F(Profiles, AWriteIsHeldToTheKnownProfilesItClaims) {
  ServerProcess server(KANGYUN_BINARY, *store_);
  ASSERT_TRUE(server.ok());
  json::Value patient = Example("Patient-66033.json");
  patient.Erase("id");
  patient.Set("meta", *json::Parse(std::string(R"({"profile": [")") + kIpsPatient + R"("]})"));
  EXPECT_EQ(Post(server.port(), "Patient", patient).status, 201);
  patient.Erase("birthDate");
  HttpResult refused = Post(server.port(), "Patient", patient);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(Expression(refused), "Patient.birthDate");
  // A profile not installed here is not held against the resource that claims it.
  patient.Set(
      "meta",
      *json::Parse(R"({"profile": ["http://example.org/fhir/StructureDefinition/elsewhere"]})"));
  EXPECT_EQ(Post(server.port(), "Patient", patient).status, 201);
}

TEST_F(Profiles, ATypeTheAdministratorRequiresAProfileForIsHeldToIt) {
  ServerProcess server(KANGYUN_BINARY, *store_,
                       {"--require-profile", std::string("Patient=") + kIpsPatient});
  ASSERT_TRUE(server.ok());
  json::Value patient = *json::Parse(R"({"resourceType": "Patient", "name": [{"family": "王"}]})");
  HttpResult refused = Post(server.port(), "Patient", patient);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(Expression(refused), "Patient.birthDate");
  patient.Set("birthDate", json::Value::String("1957-01-18"));
  EXPECT_EQ(Post(server.port(), "Patient", patient).status, 201);
  // Other types are not held to it.
  EXPECT_EQ(Post(server.port(), "Organization", *json::Parse(R"({"resourceType": "Organization",
                   "name": "社区卫生服务中心"})"))
                .status,
            201);
  // A required profile the server does not know refuses every write of the type.
  ServerProcess strict(
      KANGYUN_BINARY, *store_,
      {"--require-profile", "Patient=http://example.org/StructureDefinition/none"});
  ASSERT_TRUE(strict.ok());
  HttpResult unknown = Post(strict.port(), "Patient", patient);
  EXPECT_EQ(unknown.status, 422) << unknown.body;
  EXPECT_NE(unknown.body.find("not known"), std::string::npos);
  // Nor does the server start with a requirement on a type R4 does not have.
  CommandOutput bad = RunKangyun(
      KANGYUN_BINARY, "serve --db " + *store_ + " --port 1 --require-profile Patientt=x");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.text.find("Patientt"), std::string::npos) << bad.text;
}

// A profile stored through the API is used for the next write, and one that cannot be used as
// a profile is not stored.
TEST_F(Profiles, AProfileStoredThroughTheApiAppliesAtOnce) {
  ServerProcess server(KANGYUN_BINARY, *store_);
  ASSERT_TRUE(server.ok());
  json::Value sd = *json::Parse(R"({"resourceType": "StructureDefinition", "id": "org-with-name",
    "url": "https://kangyun.cn/fhir/StructureDefinition/org-with-name", "name": "OrgWithName",
    "status": "active", "kind": "resource", "abstract": false, "type": "Organization",
    "derivation": "constraint",
    "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Organization",
    "snapshot": {"element": [
      {"id": "Organization", "path": "Organization", "min": 0, "max": "*",
       "definition": "An organization of the region.",
       "base": {"path": "Organization", "min": 0, "max": "*"}},
      {"id": "Organization.name", "path": "Organization.name", "min": 1, "max": "1",
       "definition": "Its name, which this profile requires.", "type": [{"code": "string"}],
       "base": {"path": "Organization.name", "min": 0, "max": "1"}}]}})");
  json::Value org = *json::Parse(R"({"resourceType": "Organization", "meta": {"profile":
    ["https://kangyun.cn/fhir/StructureDefinition/org-with-name"]},
    "identifier": [{"system": "https://kangyun.cn/org", "value": "17"}]})");
  EXPECT_EQ(Post(server.port(), "Organization", org).status, 201);  // not known yet
  HttpResult stored = Put(server.port(), "StructureDefinition/org-with-name", sd);
  ASSERT_EQ(stored.status, 201) << stored.body;
  HttpResult refused = Post(server.port(), "Organization", org);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(Expression(refused), "Organization.name");

  // Only a differential: valid R4, but nothing this server checks a resource against.
  json::Value no_snapshot = sd;
  no_snapshot.Set("differential", *no_snapshot.Find("snapshot"));
  no_snapshot.Erase("snapshot");
  HttpResult unusable = Put(server.port(), "StructureDefinition/org-with-name", no_snapshot);
  EXPECT_EQ(unusable.status, 422) << unusable.body;
  EXPECT_EQ(Expression(unusable), "StructureDefinition.snapshot");
}

TEST_F(Profiles, APackageThatIsNotOneIsRefused) {
  std::string file = *dir_ + "/not-a-package.tgz";
  std::ofstream(file) << "plain text";
  CommandOutput o = RunKangyun(KANGYUN_BINARY, "package install " + file + " --db " + *store_);
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.text.find("gzip"), std::string::npos) << o.text;
  o = RunKangyun(KANGYUN_BINARY, "package install --db " + *store_);
  EXPECT_EQ(o.exit_code, 2) << o.text;
}

}  // namespace
}  // namespace kangyun::testing
