// Who may see what, over HTTP against a server with --auth: for each role, each interaction
// on a resident it may and one it may not see (docs/security.md). Forbidden data never shows
// in a body, a count or an error: the resident it must not see carries a marker string that
// no restricted response may contain. Also: tokens (forged, expired, replayed assertions,
// wrong audience), lock-out, refresh rotation, and the audit chain with its tamper check.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "auth/jwt.h"
#include "base/strings.h"
#include "json/json.h"
#include "tests/support/auth_client.h"
#include "tests/support/bulk_export_client.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSecret = "SECRET-P2";  // in the record of the resident few may see

// Two hospitals; p1 has an encounter at A and is the guardian of p3; p2 has an encounter at B,
// a family-doctor contract with B, and a name no one outside B may read.
const char* kCity = R"({"resourceType":"Bundle","type":"transaction","entry":[
 {"request":{"method":"PUT","url":"Organization/hosp-a"},"resource":{"resourceType":"Organization","id":"hosp-a","name":"A"}},
 {"request":{"method":"PUT","url":"Organization/hosp-b"},"resource":{"resourceType":"Organization","id":"hosp-b","name":"B"}},
 {"request":{"method":"PUT","url":"Patient/p1"},"resource":{"resourceType":"Patient","id":"p1","name":[{"text":"张一"}],
   "identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"11010519491231002X"}]}},
 {"request":{"method":"PUT","url":"Patient/p2"},"resource":{"resourceType":"Patient","id":"p2","name":[{"text":"SECRET-P2"}]}},
 {"request":{"method":"PUT","url":"Patient/p3"},"resource":{"resourceType":"Patient","id":"p3","name":[{"text":"张三"}]}},
 {"request":{"method":"PUT","url":"RelatedPerson/g3"},"resource":{"resourceType":"RelatedPerson","id":"g3","patient":{"reference":"Patient/p3"},
   "identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"11010519491231002X"}],
   "relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"GUARD"}]}]}},
 {"request":{"method":"PUT","url":"Encounter/e1"},"resource":{"resourceType":"Encounter","id":"e1","status":"finished",
   "class":{"code":"AMB"},"subject":{"reference":"Patient/p1"},"serviceProvider":{"reference":"Organization/hosp-a"}}},
 {"request":{"method":"PUT","url":"Encounter/e2"},"resource":{"resourceType":"Encounter","id":"e2","status":"finished",
   "class":{"code":"AMB"},"subject":{"reference":"Patient/p2"},"serviceProvider":{"reference":"Organization/hosp-b"}}},
 {"request":{"method":"PUT","url":"Patient/p4"},"resource":{"resourceType":"Patient","id":"p4","name":[{"text":"李四"}]}},
 {"request":{"method":"PUT","url":"Encounter/e4"},"resource":{"resourceType":"Encounter","id":"e4","status":"finished",
   "class":{"code":"AMB"},"subject":{"reference":"Patient/p4"},"serviceProvider":{"reference":"Organization/hosp-b"}}},
 {"request":{"method":"PUT","url":"Contract/c4"},"resource":{"resourceType":"Contract","id":"c4","status":"executed",
   "subject":[{"reference":"Patient/p4"}],"authority":[{"reference":"Organization/hosp-b"}]}},
 {"request":{"method":"PUT","url":"Claim/cl4"},"resource":{"resourceType":"Claim","id":"cl4","status":"active",
   "type":{"text":"outpatient"},"use":"claim","patient":{"reference":"Patient/p4"},"created":"2026-11-01",
   "provider":{"reference":"Organization/hosp-b"},"priority":{"text":"normal"},
   "insurance":[{"sequence":1,"focal":true,"coverage":{"display":"basic medical insurance"}}]}},
 {"request":{"method":"PUT","url":"EpisodeOfCare/eoc3"},"resource":{"resourceType":"EpisodeOfCare","id":"eoc3","status":"active",
   "patient":{"reference":"Patient/p3"},"managingOrganization":{"reference":"Organization/care-home"}}},
 {"request":{"method":"PUT","url":"Patient/p5"},"resource":{"resourceType":"Patient","id":"p5","name":[{"text":"王五"}]}},
 {"request":{"method":"PUT","url":"Observation/o5"},"resource":{"resourceType":"Observation","id":"o5","status":"final",
   "code":{"text":"weight"},"subject":{"reference":"Patient/p5"}}},
 {"request":{"method":"PUT","url":"Consent/k5"},"resource":{"resourceType":"Consent","policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},"id":"k5","status":"active",
   "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
   "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/p5"},
   "provision":{"type":"permit","actor":[{"role":{"text":"recipient"},"reference":{"reference":"Organization/ins-x"}}]}}},
 {"request":{"method":"PUT","url":"Contract/c2"},"resource":{"resourceType":"Contract","id":"c2","status":"executed",
   "subject":[{"reference":"Patient/p2"}],"authority":[{"reference":"Organization/hosp-b"}]}},
 {"request":{"method":"PUT","url":"Observation/o1"},"resource":{"resourceType":"Observation","id":"o1","status":"final",
   "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
   "code":{"text":"glucose"},"subject":{"reference":"Patient/p1"},"derivedFrom":[{"reference":"Observation/o2"}]}},
 {"request":{"method":"PUT","url":"Condition/psy1"},"resource":{"resourceType":"Condition","id":"psy1",
   "meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},
   "code":{"text":"depressive episode"},"subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e1"}}},
 {"request":{"method":"PUT","url":"Condition/hiv1"},"resource":{"resourceType":"Condition","id":"hiv1",
   "meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]},
   "code":{"text":"HIV disease"},"subject":{"reference":"Patient/p1"}}},
 {"request":{"method":"PUT","url":"Observation/o1v"},"resource":{"resourceType":"Observation","id":"o1v","status":"final",
   "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
   "code":{"text":"pulse"},"subject":{"reference":"Patient/p1"}}},
 {"request":{"method":"PUT","url":"Observation/o2"},"resource":{"resourceType":"Observation","id":"o2","status":"final",
   "code":{"text":"SECRET-P2 hiv test"},"subject":{"reference":"Patient/p2"}}},
 {"request":{"method":"PUT","url":"Observation/o3"},"resource":{"resourceType":"Observation","id":"o3","status":"final",
   "code":{"text":"ward"},"subject":{"reference":"Patient/p3"}}}
]})";

std::string Scratch() {
  fs::path dir = fs::temp_directory_path() / ("kangyun-access-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

class Access : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    dir_ = new std::string(Scratch());
    store_ = new std::string(TestStore(*dir_ + "/access.db"));
    HttpResult city = PostThroughOpenServer(KANGYUN_BINARY, *store_, kCity);
    ASSERT_EQ(city.status, 200) << city.error << city.body;
    auto add = [](const std::string& args) {
      CommandOutput o = RunKangyun(KANGYUN_BINARY, args + " --db " + *store_);
      ASSERT_EQ(o.exit_code, 0) << args << ": " << o.text;
    };
    std::string pw = std::string(" --password ") + kPassword;
    add("user add --username resident1 --role resident --patient p1" + pw);
    add("user add --username doctor-a --role clinician --organization hosp-a --practitioner dr-a" +
        pw);
    add("user add --username gp-b --role family-doctor --organization hosp-b" + pw);
    add("user add --username inspector --role regulator" + pw);
    add("user add --username root --role admin" + pw);
    add("user add --username resident4 --role resident --patient p4" + pw);
    add("user add --username carer --role elder-care --organization care-home" + pw);
    add("user add --username insurer-x --role insurer --organization ins-x" + pw);
    add(std::string("client add --id ") + kApp +
        " --role clinician --organization hosp-a --redirect-uri " + kRedirect);
    key_ = new auth::Key(auth::Key::GenerateEs384());
    std::ofstream(*dir_ + "/his-a.pem") << key_->PublicPem();
    add("client add --id his-a --role clinician --organization hosp-a --public-key " + *dir_ +
        "/his-a.pem");
    // An RSA client (RS384), its key made by the openssl command, and one registered by a JWK Set.
    std::string rsa = *dir_ + "/rsa.pem";
    ASSERT_EQ(std::system(("openssl genrsa -out " + rsa + " 2048 2>/dev/null && openssl rsa -in " +
                           rsa + " -pubout -out " + *dir_ + "/rsa-public.pem 2>/dev/null")
                              .c_str()),
              0);
    std::ifstream rsa_in(rsa);
    std::string rsa_pem((std::istreambuf_iterator<char>(rsa_in)), std::istreambuf_iterator<char>());
    rsa_key_ = new auth::Key(auth::Key::FromPem(rsa_pem).value());
    add("client add --id his-rsa --role clinician --organization hosp-a --public-key " + *dir_ +
        "/rsa-public.pem");
    json::Value keys = json::Value::Array();
    keys.Push(key_->PublicJwk("test-key"));
    json::Value jwks = json::Value::Object();
    jwks.Set("keys", std::move(keys));
    std::ofstream(*dir_ + "/jwks.json") << json::Write(jwks);
    add("client add --id his-jwks --role clinician --organization hosp-a --public-key " + *dir_ +
        "/jwks.json");
    server_ = new ServerProcess(KANGYUN_BINARY, *store_, {"--auth"});
    ASSERT_TRUE(server_->ok());
  }
  static void TearDownTestSuite() {
    delete server_;
    fs::remove_all(*dir_);
  }
  static int Port() { return server_->port(); }
  static std::string Login(const std::string& user, const std::string& scope = "") {
    TokenReply t = LoginToken(Port(), user, kPassword, kApp, kRedirect, scope);
    EXPECT_EQ(t.status, 200) << user << ": " << t.body;
    return t.access_token;
  }
  static HttpResult Get(const std::string& token, const std::string& path) {
    return HttpCall("127.0.0.1", Port(), "GET", "/fhir/" + path, Bearer(token), "");
  }
  static std::string* dir_;
  static std::string* store_;
  static auth::Key* key_;
  static auth::Key* rsa_key_;
  static ServerProcess* server_;
};
auth::Key* Access::rsa_key_ = nullptr;
std::string* Access::dir_ = nullptr;
std::string* Access::store_ = nullptr;
auth::Key* Access::key_ = nullptr;
ServerProcess* Access::server_ = nullptr;

// Every request a restricted principal makes about p1 and p2: the statuses expected, and never
// the marker of p2's record.
struct Case {
  std::string path;
  int status;
  int64_t total = -2;  // -2: not checked
};

void RunMatrix(const std::string& who, const std::string& token, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    HttpResult r = Access::Get(token, c.path);
    EXPECT_EQ(r.status, c.status) << who << " GET " << c.path << ": " << r.body.substr(0, 300);
    if (c.total != -2) {
      EXPECT_EQ(TotalOf(r), c.total) << who << " GET " << c.path;
    }
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << who << " GET " << c.path << " leaked";
  }
}

// The matrix: every role, every interaction, on a resident it may see and one it may not.
// What a role may do at all (its scopes) decides between 403 and the visibility answer.
struct Role {
  std::string user, allowed, forbidden;  // forbidden "" for the administrator (sees both)
  bool read_patient, read_clinical, write_clinical;
};

TEST_F(Access, EveryRoleEveryInteractionOnAnAllowedAndAForbiddenResident) {
  const std::vector<Role> roles = {
      {"resident1", "p1", "p2", true, true, false},  {"doctor-a", "p1", "p2", true, true, true},
      {"gp-b", "p2", "p1", true, true, true},        {"carer", "p3", "p1", true, true, true},
      {"insurer-x", "p5", "p1", true, false, false}, {"inspector", "p1", "p2", false, false, false},
      {"root", "p1", "p2", true, true, true}};
  for (const Role& role : roles) {
    std::string t = Login(role.user);
    bool admin = role.user == "root";
    for (const std::string& patient : {role.allowed, role.forbidden}) {
      bool visible = patient == role.allowed || admin;
      std::string who = role.user + " on " + patient + ": ";
      auto expect = [&](const std::string& path, int status, int total = -2) {
        HttpResult r = Get(t, path);
        EXPECT_EQ(r.status, status) << who << path << " " << r.body.substr(0, 200);
        if (total != -2 && r.status == 200) {
          if (total < 0) {
            EXPECT_GE(TotalOf(r), 1) << who << path;
          } else {
            EXPECT_EQ(TotalOf(r), total) << who << path;
          }
        }
        if (!admin && role.allowed != "p2") {  // p2 carries the marker
          EXPECT_EQ(r.body.find(kSecret), std::string::npos) << who << path << " leaked";
        }
      };
      int read = role.read_patient ? (visible ? 200 : 404) : 403;
      expect("Patient/" + patient, read);
      expect("Patient/" + patient + "/_history/1", read);
      expect("Patient/" + patient + "/_history", read);
      expect("Patient/" + patient + "/$everything", read);
      int clinical = role.read_clinical ? 200 : 403;
      int some = visible ? -1 : 0;  // -1: at least one
      expect("Observation?subject=Patient/" + patient, clinical, some);
      expect("Observation?subject=Patient/" + patient + "&_include=Observation:subject", clinical,
             some);
      expect("Observation?subject:Patient._id=" + patient, clinical, some);
      expect("Patient?_id=" + patient + "&_revinclude=Observation:subject",
             role.read_patient ? 200 : 403, visible ? 1 : 0);
      expect("Patient?_id=" + patient + "&_has:Observation:subject:status=final",
             role.read_patient && role.read_clinical ? 200 : 403, visible ? 1 : 0);
      // Writes: an Observation, alone and in a transaction.
      std::string obs =
          R"({"resourceType":"Observation","status":"final","code":{"text":"matrix"},"subject":{"reference":"Patient/)" +
          patient + R"("}})";
      int write = role.write_clinical && visible ? 201 : 403;
      HttpResult created =
          HttpCall("127.0.0.1", Port(), "POST", "/fhir/Observation", Bearer(t), obs);
      EXPECT_EQ(created.status, write) << who << "create " << created.body.substr(0, 200);
      HttpResult tx = HttpCall(
          "127.0.0.1", Port(), "POST", "/fhir", Bearer(t),
          R"({"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Observation"},"resource":)" +
              obs + "}]}");
      EXPECT_EQ(tx.status, write == 201 ? 200 : 403)
          << who << "transaction " << tx.body.substr(0, 200);
    }
    // Export: the allowed resident's record is in it, the forbidden one's is not.
    ExportRun run = RunExport(Port(), "/fhir/Patient/$export?_type=Patient", 120, Bearer(t));
    if (!role.read_patient) {  // the regulator: de-identified, below
      EXPECT_EQ(run.final.status, 200) << role.user;
      continue;
    }
    ASSERT_EQ(run.final.status, 200) << role.user << run.kick_off.body << run.final.body;
    std::string all;
    for (const auto& [type, lines] : DownloadOutputs(Port(), run.manifest, Bearer(t)))
      for (const std::string& line : lines) all += line + "\n";
    EXPECT_NE(all.find("\"id\":\"" + role.allowed + "\""), std::string::npos) << role.user;
    if (!admin) {
      EXPECT_EQ(all.find("\"id\":\"" + role.forbidden + "\""), std::string::npos) << role.user;
    }
  }
}

TEST_F(Access, AResidentSeesTheirOwnRecordAndTheirWardsOnly) {
  std::string t = Login("resident1");
  std::string root = Login("root");
  int64_t of_p1_p3 = TotalOf(Get(root, "Observation?subject=Patient/p1,Patient/p3"));
  RunMatrix("resident", t,
            {{"Patient/p1", 200},
             {"Patient/p3", 200},  // a ward: p1 is the guardian named on RelatedPerson/g3
             {"Patient/p2", 404},
             {"Patient/p2/_history", 404},
             {"Patient/p2/_history/1", 404},
             {"Observation/o2", 404},
             {"Patient?_count=50", 200, 2},
             {"Observation", 200, of_p1_p3},
             {"Observation?subject=Patient/p2", 200, 0},
             {"Observation?subject.name=SECRET", 200, 0},
             {"Patient?_has:Observation:subject:code:text=SECRET", 200, 0},
             {"Observation?_include=Observation:subject", 200, of_p1_p3},
             // o1 (p1's) derives from o2 (p2's): neither a chain nor an include reaches it.
             {"Observation?derived-from.code:text=SECRET", 200, 0},
             {"Observation?_id=o1&_include=Observation:derived-from", 200, 1},
             {"Patient?_id=p1&_revinclude=Observation:subject", 200, 1},
             {"Patient/p2/$everything", 404},
             {"Patient/p2/Observation", 404},
             {"Patient/p1/$everything", 200},
             {"Patient/_history", 403},
             {"_history", 403},
             {"Observation?_summary=count", 200, of_p1_p3}});
  // Residents read; writing clinical data is not among their scopes.
  HttpResult w = HttpCall(
      "127.0.0.1", Port(), "POST", "/fhir/Observation", Bearer(t),
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}})");
  EXPECT_EQ(w.status, 403) << w.body;
}

// A team (CareTeam) that names no resident, such as a family-doctor team, is read like the
// institution it belongs to; one that names a resident stays in that resident's record.
TEST_F(Access, ATeamThatNamesNoResidentIsReadLikeItsInstitution) {
  std::string root = Login("root");
  auto put = [&](const std::string& path, const std::string& body) {
    auto headers = Bearer(root);
    headers.emplace_back("Content-Type", "application/fhir+json");
    HttpResult r = HttpCall("127.0.0.1", Port(), "PUT", "/fhir/" + path, headers, body);
    ASSERT_TRUE(r.status == 200 || r.status == 201) << path << ": " << r.body;
  };
  put("CareTeam/team-b",
      R"({"resourceType":"CareTeam","id":"team-b","status":"active","name":"B 家庭医生团队",)"
      R"("participant":[{"member":{"reference":"Practitioner/dr-b"}}],)"
      R"("managingOrganization":[{"reference":"Organization/hosp-b"}]})");
  put("CareTeam/ct-p2",
      R"({"resourceType":"CareTeam","id":"ct-p2","status":"active","name":"SECRET-P2 team",)"
      R"("subject":{"reference":"Patient/p2"},)"
      R"("participant":[{"member":{"reference":"Practitioner/dr-b"}}]})");
  put("CareTeam/ct-member-p2",
      R"({"resourceType":"CareTeam","id":"ct-member-p2","status":"active","name":"SECRET-P2 kin",)"
      R"("participant":[{"member":{"reference":"Patient/p2"}}]})");
  for (const std::string user : {"resident1", "doctor-a"}) {
    RunMatrix(user, Login(user),
              {{"CareTeam/team-b", 200},
               {"CareTeam/ct-p2", 404},
               {"CareTeam/ct-member-p2", 404},
               {"CareTeam", 200, 1},
               {"CareTeam?_summary=count", 200, 1}});
  }
  // The team's own institution, and the resident's family doctor, see the resident's team too.
  EXPECT_EQ(Get(Login("gp-b"), "CareTeam/ct-p2").status, 200);
}

TEST_F(Access, AClinicianSeesPatientsInTheCareOfTheirInstitution) {
  std::string t = Login("doctor-a");
  int64_t of_p1 = TotalOf(Get(Login("root"), "Observation?subject=Patient/p1"));
  // What the filter below finds for whoever sees everything.
  ASSERT_EQ(TotalOf(Get(Login("root"),
                        "Observation?_filter=derived-from.subject.name%20co%20%22SECRET%22")),
            1);
  ASSERT_EQ(
      TotalOf(Get(Login("root"),
                  "Observation?_filter=(derived-from.subject.name%20co%20%22SECRET%22%20and%20"
                  "status%20eq%20final)%20or%20code%20eq%20x")),
      1);
  RunMatrix("clinician", t,
            {{"Patient/p1", 200},
             {"Patient/p2", 404},
             {"Observation?_count=50", 200, of_p1},
             {"Observation?code:text=SECRET", 200, 0},
             {"Encounter?_include=Encounter:subject", 200, 1},
             {"Patient?_has:Encounter:patient:service-provider=Organization/hosp-b", 200, 0},
             {"Observation/o2", 404},
             {"AuditEvent", 403},
             {"Linkage", 403},
             // A compartment's owner is read as a read would be: an encounter at another
             // hospital is not known, the institution's own shows what it holds.
             {"Encounter/e2/Encounter", 404},
             {"Encounter/e2/Condition", 404},
             {"Encounter/e1/Encounter", 200, 1},
             // A _filter's chains look only where the clinician may: o1 is derived from o2,
             // about a resident outside the institution's care.
             {"Observation?_filter=derived-from.subject.name%20co%20%22SECRET%22", 200, 0},
             // (and inside an or: a condition on the resource itself, holding the chain)
             {"Observation?_filter=(derived-from.subject.name%20co%20%22SECRET%22%20and%20"
              "status%20eq%20final)%20or%20code%20eq%20x",
              200, 0},
             {"Patient/p2/Observation", 404}});
  // A write about a resident outside the institution's care is refused, and nothing stays.
  std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"request":{"method":"POST","url":"Observation"},"resource":{"resourceType":"Observation","status":"final",
     "code":{"text":"written-for-p2"},"subject":{"reference":"Patient/p2"}}}]})";
  HttpResult tx = HttpCall("127.0.0.1", Port(), "POST", "/fhir", Bearer(t), bundle);
  EXPECT_EQ(tx.status, 403) << tx.body;
  HttpResult direct = HttpCall(
      "127.0.0.1", Port(), "POST", "/fhir/Observation", Bearer(t),
      R"({"resourceType":"Observation","status":"final","code":{"text":"written-for-p2"},"subject":{"reference":"Patient/p2"}})");
  EXPECT_EQ(direct.status, 403) << direct.body;
  std::string admin = Login("root");
  EXPECT_EQ(TotalOf(Get(admin, "Observation?code:text=written-for-p2")), 0);
  // Its own patient's record it writes.
  HttpResult mine = HttpCall(
      "127.0.0.1", Port(), "POST", "/fhir/Observation", Bearer(t),
      R"({"resourceType":"Observation","status":"final","code":{"text":"ok"},"subject":{"reference":"Patient/p1"}})");
  EXPECT_EQ(mine.status, 201) << mine.body;
  // Nor can it bring a resident into its care by filing an encounter at its own hospital.
  HttpResult encounter = HttpCall(
      "127.0.0.1", Port(), "POST", "/fhir/Encounter", Bearer(t),
      R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p2"},"serviceProvider":{"reference":"Organization/hosp-a"}})");
  EXPECT_EQ(encounter.status, 403) << encounter.body;
  EXPECT_EQ(Get(t, "Patient/p2").status, 404);
  // A new resident it registers (its own managing organization) and their encounter are fine.
  std::string registration = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:0b4c1e5e-1111-4c55-8d55-000000000001","request":{"method":"POST","url":"Patient"},
     "resource":{"resourceType":"Patient","name":[{"text":"新患者"}],"managingOrganization":{"reference":"Organization/hosp-a"}}},
    {"request":{"method":"POST","url":"Encounter"},"resource":{"resourceType":"Encounter","status":"arrived","class":{"code":"AMB"},
     "subject":{"reference":"urn:uuid:0b4c1e5e-1111-4c55-8d55-000000000001"},"serviceProvider":{"reference":"Organization/hosp-a"}}}]})";
  HttpResult registered = HttpCall("127.0.0.1", Port(), "POST", "/fhir", Bearer(t), registration);
  EXPECT_EQ(registered.status, 200) << registered.body;
  // Consents are the residents' own.
  HttpResult consent = HttpCall(
      "127.0.0.1", Port(), "POST", "/fhir/Consent", Bearer(t),
      R"({"resourceType":"Consent","policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},"status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"category":[{"text":"x"}],"patient":{"reference":"Patient/p1"}})");
  EXPECT_EQ(consent.status, 403) << consent.body;
  // Changing a record it may not see is refused.
  HttpResult put = HttpCall("127.0.0.1", Port(), "PUT", "/fhir/Patient/p2", Bearer(t),
                            R"({"resourceType":"Patient","id":"p2"})");
  EXPECT_EQ(put.status, 405) << put.body;  // as for an id that does not exist
}

// The person registry works for the whole city, but discloses only what the requester may see:
// a clinician's $match finds residents in their institution's care only, a record the registry
// linked to a master elsewhere does not open the master's data, and linking is for operators.
TEST_F(Access, TheRegistryLinksAcrossInstitutionsButDisclosesNothing) {
  std::string root = Login("root"), doctor = Login("doctor-a");
  constexpr const char* kId = "510104199001012460";
  auto call = [&](const std::string& token, const std::string& method, const std::string& path,
                  const std::string& body) {
    return HttpCall(
        "127.0.0.1", Port(), method, "/fhir/" + path,
        {{"Authorization", "Bearer " + token}, {"Content-Type", "application/fhir+json"}}, body);
  };
  std::string patient = std::string(R"({"resourceType":"Patient","identifier":[{"system":)") +
                        R"("urn:oid:2.16.156.10011.1.3","value":")" + kId +
                        R"("}],"name":[{"family":"李","given":["四"]}],"gender":"female",)" +
                        R"("birthDate":"1990-01-01")";
  // Registered at hospital B, with a result only B's record holds.
  HttpResult at_b = call(root, "PUT", "Patient/reg-b",
                         patient + R"(,"id":"reg-b","managingOrganization":{"reference":)" +
                             R"("Organization/hosp-b"}})");
  ASSERT_EQ(at_b.status, 201) << at_b.body;
  ASSERT_EQ(call(root, "PUT", "Observation/reg-o",
                 R"({"resourceType":"Observation","id":"reg-o","status":"final","code":)"
                 R"({"text":"REGISTRY-SECRET"},"subject":{"reference":"Patient/reg-b"}})")
                .status,
            201);
  // Hospital A registers the same woman: the registry links A's record to B's.
  HttpResult at_a =
      call(doctor, "POST", "Patient",
           patient + R"(,"managingOrganization":{"reference":"Organization/hosp-a"}})");
  ASSERT_EQ(at_a.status, 201) << at_a.body;
  json::Value a = json::Parse(at_a.body).value();
  std::string a_id(a.GetString("id"));
  ASSERT_NE(a.Find("link"), nullptr) << at_a.body;
  EXPECT_EQ(a.Find("link")->items()[0].Find("other")->GetString("reference"), "Patient/reg-b");
  // A's doctor sees A's record; B's record and what it holds stay closed.
  HttpResult everything = call(doctor, "GET", "Patient/" + a_id + "/$everything", "");
  EXPECT_EQ(everything.status, 200);
  EXPECT_EQ(everything.body.find("REGISTRY-SECRET"), std::string::npos) << everything.body;
  EXPECT_EQ(call(doctor, "GET", "Patient/reg-b", "").status, 404);
  // An administrator's $everything of A's record is the woman's whole record.
  HttpResult whole = call(root, "GET", "Patient/" + a_id + "/$everything", "");
  EXPECT_NE(whole.body.find("REGISTRY-SECRET"), std::string::npos);
  // $match as A's doctor finds A's record only.
  std::string match =
      R"({"resourceType":"Parameters","parameter":[{"name":"resource","resource":)" + patient +
      "}}]}";
  HttpResult matched = call(doctor, "POST", "Patient/$match", match);
  ASSERT_EQ(matched.status, 200) << matched.body;
  EXPECT_EQ(TotalOf(matched), 1);
  EXPECT_NE(matched.body.find(a_id), std::string::npos);
  EXPECT_EQ(matched.body.find(R"("id":"reg-b")"), std::string::npos);  // linked to, never shown
  EXPECT_EQ(TotalOf(call(root, "POST", "Patient/$match", match)), 2);
  // Links are the registry's: a clinician can neither send new ones nor change them.
  HttpResult linked =
      call(doctor, "POST", "Patient",
           R"({"resourceType":"Patient","managingOrganization":{"reference":)"
           R"("Organization/hosp-a"},"link":[{"other":{"reference":"Patient/reg-b"},)"
           R"("type":"seealso"}]})");
  EXPECT_EQ(linked.status, 422) << linked.body;
  json::Value relinked = a;
  relinked.Find("link")->items()[0].Set("type", json::Value::String("seealso"));
  EXPECT_EQ(call(doctor, "PUT", "Patient/" + a_id, json::Write(relinked)).status, 422);
  json::Value unchanged = a;
  unchanged.Set("gender", json::Value::String("female"));
  EXPECT_EQ(call(doctor, "PUT", "Patient/" + a_id, json::Write(unchanged)).status, 200);
  // Linking is for the registry's operators.
  std::string unlink = R"({"resourceType":"Parameters","parameter":[{"name":"source-patient",)"
                       R"("valueReference":{"reference":"Patient/)" +
                       a_id + R"("}}]})";
  EXPECT_EQ(call(doctor, "POST", "Patient/$unlink", unlink).status, 403);
  EXPECT_EQ(call(Login("resident1"), "POST", "Patient/$unlink", unlink).status, 403);
  EXPECT_EQ(call(root, "POST", "Patient/$unlink", unlink).status, 200);
}

TEST_F(Access, AFamilyDoctorSeesContractedResidents) {
  std::string t = Login("gp-b");
  HttpResult r = Get(t, "Patient/p2");
  EXPECT_EQ(r.status, 200);
  RunMatrix("family doctor", t, {{"Patient/p1", 404}, {"Observation?subject=Patient/p1", 200, 0}});
}

TEST_F(Access, AnElderCareInstitutionSeesItsResidents) {
  std::string t = Login("carer");
  EXPECT_EQ(Get(t, "Patient/p3").status, 200);  // an episode of care at the care home
  int64_t of_p3 = TotalOf(Get(Login("root"), "Observation?subject=Patient/p3"));
  RunMatrix("elder care", t,
            {{"Patient/p1", 404},
             {"Observation", 200, of_p3},
             {"Observation?subject=Patient/p1", 200, 0}});
}

TEST_F(Access, ARegulatorCountsButReadsNoRecord) {
  std::string t = Login("inspector");
  int64_t all = TotalOf(Get(Login("root"), "Observation?_summary=count"));
  RunMatrix("regulator", t,
            {{"Observation?_summary=count", 200, all},
             {"Observation", 403},
             {"Patient/p1", 403},
             {"Patient/p1/$everything", 403}});
  EXPECT_EQ(Get(t, "AuditEvent?_count=5").status, 200);
  // A count may look through other resources (_has, chains) as counts do; one under 5 is
  // withheld, so that a count about one resident does not tell their diagnosis.
  HttpResult one = Get(t, "Patient?_has:Condition:subject:code:text=HIV&_summary=count");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.body.find("\"total\""), std::string::npos) << one.body;
  EXPECT_NE(one.body.find("suppressed"), std::string::npos) << one.body;
  EXPECT_EQ(
      TotalOf(Get(Login("root"), "Patient?_has:Condition:subject:code:text=HIV&_summary=count")),
      1);
  EXPECT_EQ(TotalOf(Get(t, "Patient?_has:Condition:subject:code:text=nothing-such&_summary=count")),
            0);
  EXPECT_EQ(Get(t, "Patient?_has:Condition:subject:code:text=HIV").status, 403);
}

// p4 is in hospital B's care (an encounter and a family-doctor contract); p4's consents decide
// what hospital A, hospital B and the insurer see.
TEST_F(Access, AResidentsConsentDecidesWhoElseSeesTheirRecord) {
  std::string a = Login("doctor-a"), b = Login("gp-b"), insurer = Login("insurer-x");
  std::string p4 = Login("resident4");
  ASSERT_EQ(Get(a, "Patient/p4").status, 404);
  ASSERT_EQ(Get(b, "Patient/p4").status, 200);
  ASSERT_EQ(Get(insurer, "Claim/cl4").status, 404);
  auto consent = [&](const std::string& type, const std::string& actor) {
    std::string body =
        R"({"resourceType":"Consent","policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},"status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},)"
        R"("category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/p4"},)"
        R"("provision":{"type":")" +
        type + R"(")" +
        (actor.empty() ? ""
                       : R"(,"actor":[{"role":{"text":"recipient"},"reference":{"reference":")" +
                             actor + R"("}}])") +
        "}}";
    HttpResult r = HttpCall("127.0.0.1", Port(), "POST", "/fhir/Consent", Bearer(p4), body);
    EXPECT_EQ(r.status, 201) << r.body;
    auto created = json::Parse(r.body);
    return created.ok() ? std::string(created->GetString("id")) : std::string();
  };
  // A permit brings hospital A and the insurer in.
  consent("permit", "Organization/hosp-a");
  consent("permit", "Organization/ins-x");
  EXPECT_EQ(Get(a, "Patient/p4").status, 200);
  EXPECT_EQ(Get(insurer, "Claim/cl4").status, 200);
  EXPECT_EQ(TotalOf(Get(insurer, "Claim?patient=Patient/p4")), 1);
  EXPECT_EQ(Get(insurer, "Observation?subject=Patient/p4").status, 403);  // not its scopes
  // A denial shuts hospital B out, despite its encounter and contract.
  std::string deny = consent("deny", "Organization/hosp-b");
  RunMatrix(
      "denied", b,
      {{"Patient/p4", 404}, {"Encounter?subject=Patient/p4", 200, 0}, {"Patient?_id=p4", 200, 0}});
  // Withdrawn, it no longer counts.
  HttpResult withdrawn =
      HttpCall("127.0.0.1", Port(), "DELETE", "/fhir/Consent/" + deny, Bearer(p4), "");
  EXPECT_EQ(withdrawn.status, 204) << withdrawn.body;
  EXPECT_EQ(Get(b, "Patient/p4").status, 200);
  // A denial to everyone outweighs the permits too.
  consent("deny", "");
  EXPECT_EQ(Get(a, "Patient/p4").status, 404);
  EXPECT_EQ(Get(insurer, "Claim/cl4").status, 404);
  EXPECT_EQ(Get(p4, "Patient/p4").status, 200);  // the resident always sees their own
}

// Sensitive categories (meta.security HIV, PSY, …): hidden from an institution unless recorded
// in its own encounter or the resident consented to it seeing that category.
TEST_F(Access, SensitiveCategoriesNeedTheirOwnConsent) {
  std::string a = Login("doctor-a"), p1 = Login("resident1");
  EXPECT_EQ(Get(a, "Condition/psy1").status, 200);  // diagnosed in hospital A's encounter
  EXPECT_EQ(Get(a, "Condition/hiv1").status, 404);  // recorded elsewhere
  EXPECT_EQ(TotalOf(Get(a, "Condition?subject=Patient/p1")), 1);
  EXPECT_EQ(TotalOf(Get(a, "Patient/p1/Condition")), 1);
  EXPECT_EQ(Get(a, "Patient/p1/$everything").body.find("HIV disease"), std::string::npos);
  EXPECT_EQ(TotalOf(Get(p1, "Condition?subject=Patient/p1")), 2);  // the resident sees both
  HttpResult consent = HttpCall(
      "127.0.0.1", Port(), "POST", "/fhir/Consent", Bearer(p1),
      R"({"resourceType":"Consent","policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},"status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},)"
      R"("category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/p1"},)"
      R"("provision":{"type":"permit","actor":[{"role":{"text":"recipient"},"reference":{"reference":"Organization/hosp-a"}}],)"
      R"("securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]}})");
  ASSERT_EQ(consent.status, 201) << consent.body;
  EXPECT_EQ(Get(a, "Condition/hiv1").status, 200);
  EXPECT_EQ(TotalOf(Get(a, "Condition?subject=Patient/p1")), 2);
  // A permit for one category is not a permit for the whole record of another resident.
  EXPECT_EQ(Get(a, "Patient/p2").status, 404);
}

// In an emergency a clinician opens a record outside its care by stating why: the access is
// granted, flagged in the audit trail, and reported to the resident.
TEST_F(Access, BreakGlassIsGrantedFlaggedAndReported) {
  std::string a = Login("doctor-a");
  ASSERT_EQ(Get(a, "Patient/p2").status, 404);
  auto glass = Bearer(a);
  glass.emplace_back("X-Break-Glass", "unconscious in the emergency department");
  HttpResult opened = HttpCall("127.0.0.1", Port(), "GET", "/fhir/Patient/p2", glass, "");
  EXPECT_EQ(opened.status, 200) << opened.body;
  auto no_reason = Bearer(a);
  no_reason.emplace_back("X-Break-Glass", "x");
  EXPECT_EQ(HttpCall("127.0.0.1", Port(), "GET", "/fhir/Patient/p2", no_reason, "").status, 400);
  auto insurer = Bearer(Login("insurer-x"));
  insurer.emplace_back("X-Break-Glass", "we would like to see it");
  EXPECT_EQ(HttpCall("127.0.0.1", Port(), "GET", "/fhir/Claim/cl4", insurer, "").status, 403);
  // The regulator finds it among the break-glass accesses.
  HttpResult flagged = Get(Login("inspector"), "AuditEvent?patient=Patient/p2&_count=100");
  EXPECT_NE(flagged.body.find("\"BTG\""), std::string::npos);
  EXPECT_NE(flagged.body.find("unconscious in the emergency department"), std::string::npos);
  // A reason in Chinese comes percent-encoded (a header carries only Latin-1) and is recorded
  // as written.
  auto chinese = Bearer(a);
  chinese.emplace_back("X-Break-Glass", "%E6%80%A5%E8%AF%8A%E6%8A%A2%E6%95%91");  // 急诊抢救
  EXPECT_EQ(HttpCall("127.0.0.1", Port(), "GET", "/fhir/Patient/p2", chinese, "").status, 200);
  EXPECT_NE(
      Get(Login("inspector"), "AuditEvent?patient=Patient/p2&_count=100").body.find("急诊抢救"),
      std::string::npos);
  // No account of p2's exists here; the notice is in p2's record for when there is one.
  HttpResult notices = Get(Login("root"), "Communication?subject=Patient/p2");
  EXPECT_EQ(TotalOf(notices), 2) << notices.body;
  EXPECT_NE(notices.body.find("break-glass"), std::string::npos);
}

TEST_F(Access, ScopeParametersNarrowWhatATokenReaches) {
  std::string t = Login("resident1", "patient/Observation.rs?category=laboratory");
  RunMatrix("lab-only", t,
            {{"Observation", 200, 1},
             {"Observation/o1", 200},
             {"Observation/o1v", 404},
             {"Patient/p1", 403}});
}

TEST_F(Access, ASystemClientAuthenticatesWithASignedAssertion) {
  std::string aud = "http://127.0.0.1:" + std::to_string(Port()) + "/auth/token";
  // The server's issuer is its bind address; the port differs per test run.
  std::string a1 = ClientAssertion(*key_, "his-a", aud, "jti-1");
  TokenReply t = SystemToken(Port(), a1, "system/*.rs");
  ASSERT_EQ(t.status, 200) << t.body;
  int64_t of_p1 = TotalOf(Get(Login("root"), "Observation?subject=Patient/p1"));
  RunMatrix("system", t.access_token,
            {{"Patient/p1", 200}, {"Patient/p2", 404}, {"Observation?_count=50", 200, of_p1}});
  // The same assertion again is a replay.
  EXPECT_EQ(SystemToken(Port(), a1).status, 401);
  // An assertion for another audience, one too long-lived, and one signed by another key.
  EXPECT_EQ(SystemToken(Port(), ClientAssertion(*key_, "his-a", "https://elsewhere/token", "jti-2"))
                .status,
            401);
  EXPECT_EQ(SystemToken(Port(), ClientAssertion(*key_, "his-a", aud, "jti-3", 3600)).status, 401);
  auth::Key other = auth::Key::GenerateEs384();
  EXPECT_EQ(SystemToken(Port(), ClientAssertion(other, "his-a", aud, "jti-4")).status, 401);
  // RS384, and a key registered as a JWK Set.
  ASSERT_EQ(rsa_key_->algorithm(), "RS384");
  TokenReply rsa = SystemToken(Port(), ClientAssertion(*rsa_key_, "his-rsa", aud, "jti-5"));
  EXPECT_EQ(rsa.status, 200) << rsa.body;
  EXPECT_EQ(Get(rsa.access_token, "Patient/p1").status, 200);
  TokenReply jwks = SystemToken(Port(), ClientAssertion(*key_, "his-jwks", aud, "jti-6"));
  EXPECT_EQ(jwks.status, 200) << jwks.body;

  // A bulk export holds what the client may see, and only it may fetch the job.
  auto bearer = Bearer(t.access_token);
  ExportRun run = RunExport(Port(), "/fhir/$export?_type=Patient,Observation", 120, bearer);
  ASSERT_EQ(run.final.status, 200) << run.kick_off.body << run.final.body;
  auto files = DownloadOutputs(Port(), run.manifest, bearer);
  EXPECT_FALSE(files["Patient"].empty());
  for (const auto& [type, lines] : files)
    for (const std::string& line : lines) EXPECT_EQ(line.find(kSecret), std::string::npos) << line;
  EXPECT_EQ(
      HttpCall("127.0.0.1", Port(), "GET", run.status_path, Bearer(Login("resident1")), "").status,
      404);
}

// Regulators export residents' records de-identified: no names, identifiers or contact
// details, birth years only, pseudonymous ids that still link a resident's records.
TEST_F(Access, ARegulatorsExportIsDeidentified) {
  auto bearer = Bearer(Login("inspector"));
  ExportRun run = RunExport(Port(), "/fhir/$export?_type=Patient,Observation", 120, bearer);
  ASSERT_EQ(run.final.status, 200) << run.kick_off.body << run.final.body;
  auto files = DownloadOutputs(Port(), run.manifest, bearer);
  std::set<std::string> patients;
  for (const std::string& line : files["Patient"]) {
    auto p = json::Parse(line);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->Find("name"), nullptr) << line;
    EXPECT_EQ(p->Find("identifier"), nullptr) << line;
    EXPECT_TRUE(StartsWith(p->GetString("id"), "anon-")) << line;
    EXPECT_EQ(line.find(kSecret), std::string::npos) << line;
    EXPECT_EQ(line.find("11010519491231002X"), std::string::npos) << line;
    patients.insert(std::string(p->GetString("id")));
  }
  EXPECT_GE(patients.size(), 5u);
  ASSERT_FALSE(files["Observation"].empty());
  for (const std::string& line : files["Observation"]) {
    auto o = json::Parse(line);
    ASSERT_TRUE(o.ok());
    std::string subject(o->Find("subject")->GetString("reference"));
    // Every Observation's subject is one of the exported, pseudonymous Patients.
    EXPECT_TRUE(patients.count(subject.substr(subject.find('/') + 1))) << line;
  }
  // The pseudonyms are this export's own: the next one's differ.
  ExportRun again = RunExport(Port(), "/fhir/$export?_type=Patient", 120, bearer);
  ASSERT_EQ(again.final.status, 200);
  auto second = DownloadOutputs(Port(), again.manifest, bearer);
  ASSERT_FALSE(second["Patient"].empty());
  EXPECT_EQ(patients.count(std::string(json::Parse(second["Patient"][0])->GetString("id"))), 0u);
}

TEST_F(Access, TokensAreCheckedOnEveryRequest) {
  EXPECT_EQ(HttpCall("127.0.0.1", Port(), "GET", "/fhir/Patient/p1", {}, "").status, 401);
  HttpResult metadata = HttpCall("127.0.0.1", Port(), "GET", "/fhir/metadata", {}, "");
  EXPECT_EQ(metadata.status, 200);
  EXPECT_NE(metadata.body.find("SMART-on-FHIR"), std::string::npos);
  EXPECT_NE(metadata.body.find("/auth/token\""), std::string::npos);
  std::string t = Login("resident1");
  // A token whose claims were changed no longer verifies.
  size_t dot = t.find('.');
  std::string forged = t.substr(0, dot + 1) + "eyJzdWIiOiJ1c2VyL3Jvb3QiLCJyb2xlIjoiYWRtaW4ifQ" +
                       t.substr(t.find('.', dot + 1));
  HttpResult f = Get(forged, "Patient/p2");
  EXPECT_EQ(f.status, 401);
  EXPECT_EQ(f.body.find(kSecret), std::string::npos);
  EXPECT_EQ(Get("not-a-token", "Patient/p1").status, 401);
  HttpResult smart =
      HttpCall("127.0.0.1", Port(), "GET", "/fhir/.well-known/smart-configuration", {}, "");
  EXPECT_EQ(smart.status, 200);
  EXPECT_NE(smart.body.find("\"token_endpoint\""), std::string::npos);
}

TEST_F(Access, RefreshTokensRotate) {
  TokenReply first = LoginToken(Port(), "resident1", kPassword, kApp, kRedirect);
  ASSERT_EQ(first.status, 200) << first.body;
  TokenReply second = RefreshToken(Port(), first.refresh_token, kApp);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(Get(second.access_token, "Patient/p1").status, 200);
  EXPECT_EQ(RefreshToken(Port(), first.refresh_token, kApp).status, 400);  // used once
}

TEST_F(Access, RepeatedWrongPasswordsLockTheAccount) {
  CommandOutput o = RunKangyun(
      KANGYUN_BINARY,
      std::string("user add --username victim --role resident --patient p1 --password ") +
          kPassword + " --db " + *store_);
  ASSERT_EQ(o.exit_code, 0) << o.text;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(LoginToken(Port(), "victim", "wrong-password-1", kApp, kRedirect).status, 401);
  TokenReply locked = LoginToken(Port(), "victim", kPassword, kApp, kRedirect);
  EXPECT_EQ(locked.status, 401);
  EXPECT_NE(locked.body.find("locked"), std::string::npos) << locked.body;
}

TEST_F(Access, ResidentsListWhoAccessedTheirRecord) {
  std::string doctor = Login("doctor-a");
  ASSERT_EQ(Get(doctor, "Patient/p1").status, 200);
  std::string t = Login("resident1");
  HttpResult audit = Get(t, "AuditEvent?patient=Patient/p1&_count=200");
  ASSERT_EQ(audit.status, 200);
  EXPECT_NE(audit.body.find("user/doctor-a"), std::string::npos);
  EXPECT_EQ(audit.body.find(kSecret), std::string::npos);
  // Another resident's trail is not theirs to see: it is empty to them, its records missing.
  ASSERT_EQ(Get(Login("root"), "Patient/p2").status, 200);
  EXPECT_EQ(TotalOf(Get(t, "AuditEvent?patient=Patient/p2")), 0);
  HttpResult of_p2 =
      Get(Login("root"), "AuditEvent?patient=Patient/p2&subtype=read&_sort=-date&_count=1");
  ASSERT_GE(TotalOf(of_p2), 1) << of_p2.body;
  std::string id(
      json::Parse(of_p2.body)->Find("entry")->items()[0].Find("resource")->GetString("id"));
  EXPECT_EQ(Get(t, "AuditEvent/" + id).status, 404);
  EXPECT_EQ(Get(Login("root"), "AuditEvent/" + id).status, 200);
  // A record about both shows the resident theirs, not the other's.
  HttpResult both = Get(t, "AuditEvent?patient=Patient/p1&subtype=transaction");
  ASSERT_GE(TotalOf(both), 1) << both.body;
  EXPECT_NE(both.body.find("Patient/p1"), std::string::npos);
  EXPECT_EQ(both.body.find("Patient/p2"), std::string::npos) << both.body;
  // And the chain of every event so far is whole.
  CommandOutput v = RunKangyun(KANGYUN_BINARY, "audit verify --db " + *store_);
  EXPECT_EQ(v.exit_code, 0) << v.text;
  EXPECT_NE(v.text.find("intact"), std::string::npos) << v.text;
}

}  // namespace
}  // namespace kangyun::testing

namespace kangyun::testing {
namespace {

// Access tokens expire, and one server's tokens are not another's (its issuer and audience).
TEST(Tokens, ExpireAndBelongToTheirServer) {
  std::string dir = Scratch() + "-tokens";
  fs::create_directories(dir);
  std::string store = TestStore(dir + "/tokens.db");
  ASSERT_EQ(
      RunKangyun(KANGYUN_BINARY, std::string("user add --username u1 --role admin --password ") +
                                     kPassword + " --db " + store)
          .exit_code,
      0);
  ASSERT_EQ(RunKangyun(KANGYUN_BINARY, std::string("client add --id ") + kApp +
                                           " --role clinician --organization o --redirect-uri " +
                                           kRedirect + " --db " + store)
                .exit_code,
            0);
  std::string token;
  {
    // Long enough that the first use is within it on a busy machine (the suite runs two
    // tests at a time beside PostgreSQL).
    ServerProcess server(KANGYUN_BINARY, store, {"--auth", "--access-token-seconds", "3"});
    ASSERT_TRUE(server.ok());
    token = LoginToken(server.port(), "u1", kPassword, kApp, kRedirect).access_token;
    ASSERT_FALSE(token.empty());
    EXPECT_EQ(
        HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient", Bearer(token), "").status,
        200);
    std::this_thread::sleep_for(std::chrono::milliseconds(4100));
    HttpResult expired =
        HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient", Bearer(token), "");
    EXPECT_EQ(expired.status, 401);
    EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
    token = LoginToken(server.port(), "u1", kPassword, kApp, kRedirect).access_token;
  }
  // The same store (and signing key) served under another name refuses the first one's tokens.
  ServerProcess other(KANGYUN_BINARY, store, {"--auth", "--issuer", "https://other.example.cn"});
  ASSERT_TRUE(other.ok());
  HttpResult foreign =
      HttpCall("127.0.0.1", other.port(), "GET", "/fhir/Patient", Bearer(token), "");
  EXPECT_EQ(foreign.status, 401);
  EXPECT_NE(foreign.body.find("another issuer"), std::string::npos) << foreign.body;
  fs::remove_all(dir);
}

// The audit trail is append-only and chained: `kangyun audit verify` finds a record changed,
// removed or cut off the end behind the server's back, straight in the database.
TEST(AuditChain, TamperingIsDetected) {
  std::string dir = Scratch() + "-chain";
  fs::create_directories(dir);
  auto serve = [&](const std::string& store, const std::vector<std::string>& paths) {
    ServerProcess server(KANGYUN_BINARY, store);
    ASSERT_TRUE(server.ok());
    ASSERT_EQ(HttpCall("127.0.0.1", server.port(), "POST", "/fhir",
                       {{"Content-Type", "application/fhir+json"}}, kCity)
                  .status,
              200);
    for (const std::string& path : paths)
      ASSERT_EQ(HttpCall("127.0.0.1", server.port(), "GET", path, {}, "").status, 200) << path;
  };
  auto verify = [](const std::string& store) {
    return RunKangyun(KANGYUN_BINARY, "audit verify --db " + store);
  };
  std::string store = TestStore(dir + "/chain.db");
  serve(store, {"/fhir/Patient/p1", "/fhir/Observation?subject=Patient/p2",
                "/fhir/Patient/p2/$everything"});
  CommandOutput whole = verify(store);
  ASSERT_EQ(whole.exit_code, 0) << whole.text;
  EXPECT_NE(whole.text.find("4 audit events"), std::string::npos) << whole.text;

  // An intruder rewrites whose record was read in the second record.
  RunSql(store, "UPDATE audit.log SET body = replace(body, 'p1', 'p3') WHERE seq = 2",
         "UPDATE audit.log SET body = replace(body, 'p1', 'p3') WHERE seq = 2");
  CommandOutput changed = verify(store);
  EXPECT_EQ(changed.exit_code, 1) << changed.text;
  EXPECT_NE(changed.text.find("TAMPERED"), std::string::npos) << changed.text;
  EXPECT_NE(changed.text.find("altered"), std::string::npos) << changed.text;

  // Who acted is stored once per agent: rewriting the agent breaks the chain too.
  std::string store2 = TestStore(dir + "/chain2.db");
  serve(store2, {"/fhir/Patient/p1"});
  ASSERT_EQ(verify(store2).exit_code, 0);
  RunSql(store2, "UPDATE audit.agent SET text = replace(text, 'anonymous', 'nobody')",
         "UPDATE audit.agent SET text = replace(text, 'anonymous', 'nobody')");
  CommandOutput agent = verify(store2);
  EXPECT_EQ(agent.exit_code, 1) << agent.text;
  EXPECT_NE(agent.text.find("altered"), std::string::npos) << agent.text;

  // A record removed from the middle of its batch.
  std::string store3 = TestStore(dir + "/chain3.db");
  serve(store3, {"/fhir/Patient/p1", "/fhir/Patient/p2"});
  ASSERT_EQ(verify(store3).exit_code, 0);
  RunSql(store3, "DELETE FROM audit.log WHERE seq = 2", "DELETE FROM audit.log WHERE seq = 2");
  CommandOutput removed = verify(store3);
  EXPECT_EQ(removed.exit_code, 1) << removed.text;
  EXPECT_NE(removed.text.find("missing"), std::string::npos) << removed.text;

  // The last batch cut off the end, seal and all, is found out by the chain's head.
  std::string store4 = TestStore(dir + "/chain4.db");
  serve(store4, {"/fhir/Patient?_count=1", "/fhir/Patient?_count=1"});
  ASSERT_EQ(verify(store4).exit_code, 0);
  const char* cut_sql =
      "DELETE FROM audit.log WHERE seq >= (SELECT max(first_seq) FROM audit.seal); "
      "DELETE FROM audit.seal WHERE last_seq = (SELECT max(last_seq) FROM audit.seal)";
  RunSql(store4, cut_sql, cut_sql);
  CommandOutput cut = verify(store4);
  EXPECT_EQ(cut.exit_code, 1) << cut.text;
  EXPECT_NE(cut.text.find("head"), std::string::npos) << cut.text;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kangyun::testing
