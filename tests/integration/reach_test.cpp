// No write by a non-administrator widens anyone's reach (issue 13, docs/security.md "The reach
// model"): every role × every resource that grants reach × create, update, patch, delete and
// transaction, each cell followed by every user's reach, which must not have grown; and one
// regression test for each finding of the attack on the demo that issue 13 reports.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "json/json.h"
#include "tests/support/auth_client.h"
#include "tests/support/bulk_export_client.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

constexpr const char* kResidentId = "11010519491231002X";  // the resident's own ID number

// Hospital A cares for p-in; hospital B for p-out, through every kind of grant; p-res is the
// resident who logs in.
const char* kCity = R"({"resourceType":"Bundle","type":"transaction","entry":[
 {"request":{"method":"PUT","url":"Organization/hosp-a"},"resource":{"resourceType":"Organization","id":"hosp-a","name":"A"}},
 {"request":{"method":"PUT","url":"Organization/hosp-b"},"resource":{"resourceType":"Organization","id":"hosp-b","name":"B"}},
 {"request":{"method":"PUT","url":"Practitioner/prac-b"},"resource":{"resourceType":"Practitioner","id":"prac-b","name":[{"text":"B doctor"}]}},
 {"request":{"method":"PUT","url":"Patient/p-res"},"resource":{"resourceType":"Patient","id":"p-res","name":[{"text":"居民"}],
   "identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"11010519491231002X"}]}},
 {"request":{"method":"PUT","url":"Patient/p-in"},"resource":{"resourceType":"Patient","id":"p-in","name":[{"text":"甲"}]}},
 {"request":{"method":"PUT","url":"Encounter/e-in"},"resource":{"resourceType":"Encounter","id":"e-in","status":"finished",
   "class":{"code":"AMB"},"subject":{"reference":"Patient/p-in"},"serviceProvider":{"reference":"Organization/hosp-a"}}},
 {"request":{"method":"PUT","url":"EpisodeOfCare/eoc-in"},"resource":{"resourceType":"EpisodeOfCare","id":"eoc-in","status":"active",
   "patient":{"reference":"Patient/p-in"},"managingOrganization":{"reference":"Organization/hosp-a"}}},
 {"request":{"method":"PUT","url":"Contract/c-in"},"resource":{"resourceType":"Contract","id":"c-in","status":"executed",
   "subject":[{"reference":"Patient/p-in"}],"authority":[{"reference":"Organization/hosp-a"}]}},
 {"request":{"method":"PUT","url":"Patient/p-out"},"resource":{"resourceType":"Patient","id":"p-out","name":[{"text":"乙"}],
   "managingOrganization":{"reference":"Organization/hosp-b"}}},
 {"request":{"method":"PUT","url":"Encounter/e-out"},"resource":{"resourceType":"Encounter","id":"e-out","status":"finished",
   "class":{"code":"AMB"},"subject":{"reference":"Patient/p-out"},"serviceProvider":{"reference":"Organization/hosp-b"}}},
 {"request":{"method":"PUT","url":"EpisodeOfCare/eoc-out"},"resource":{"resourceType":"EpisodeOfCare","id":"eoc-out","status":"active",
   "patient":{"reference":"Patient/p-out"},"managingOrganization":{"reference":"Organization/hosp-b"}}},
 {"request":{"method":"PUT","url":"Contract/c-out"},"resource":{"resourceType":"Contract","id":"c-out","status":"executed",
   "subject":[{"reference":"Patient/p-out"}],"authority":[{"reference":"Organization/hosp-b"}]}},
 {"request":{"method":"PUT","url":"ServiceRequest/sr-out"},"resource":{"resourceType":"ServiceRequest","id":"sr-out","status":"active",
   "intent":"order","subject":{"reference":"Patient/p-out"},"performer":[{"reference":"Organization/hosp-b"}]}},
 {"request":{"method":"PUT","url":"Consent/k-out"},"resource":{"resourceType":"Consent","policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},"id":"k-out","status":"active",
   "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
   "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/p-out"},
   "provision":{"type":"permit","actor":[{"role":{"text":"recipient"},"reference":{"reference":"Organization/hosp-b"}}]}}},
 {"request":{"method":"PUT","url":"RelatedPerson/rp-out"},"resource":{"resourceType":"RelatedPerson","id":"rp-out",
   "patient":{"reference":"Patient/p-out"},"identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"110105194912310046"}],
   "relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"GUARD"}]}]}}
]})";

class Reach : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    dir_ = new std::string(ScratchFolder("kangyun-reach"));
    store_ = new std::string(TestStore(*dir_ + "/reach.db"));
    HttpResult city = PostThroughOpenServer(KANGYUN_BINARY, *store_, kCity);
    ASSERT_EQ(city.status, 200) << city.error << city.body;
    auto add = [](const std::string& args) {
      CommandOutput o = RunKangyun(KANGYUN_BINARY, args + " --db " + *store_);
      ASSERT_EQ(o.exit_code, 0) << args << ": " << o.text;
    };
    std::string pw = std::string(" --password ") + kPassword;
    add("user add --username resident --role resident --patient p-res" + pw);
    add("user add --username clinician-a --role clinician --organization hosp-a" + pw);
    add("user add --username gp-a --role family-doctor --organization hosp-a" + pw);
    add("user add --username carer-a --role elder-care --organization hosp-a" + pw);
    add("user add --username insurer-a --role insurer --organization hosp-a" + pw);
    add("user add --username regulator --role regulator" + pw);
    add("user add --username clinician-b --role clinician --organization hosp-b" + pw);
    add("user add --username root --role admin" + pw);
    add(std::string("client add --id ") + kApp +
        " --role clinician --organization hosp-a --redirect-uri " + kRedirect);
    server_ = new ServerProcess(KANGYUN_BINARY, *store_, {"--auth"});
    ASSERT_TRUE(server_->ok());
  }
  static void TearDownTestSuite() { delete server_; }

  static int Port() { return server_->port(); }
  static const std::string& Token(const std::string& user) {
    static std::map<std::string, std::string> tokens;
    auto it = tokens.find(user);
    if (it != tokens.end()) return it->second;
    TokenReply t = LoginToken(Port(), user, kPassword, kApp, kRedirect);
    EXPECT_EQ(t.status, 200) << user << ": " << t.body;
    return tokens[user] = t.access_token;
  }
  static HttpResult Call(const std::string& user, const std::string& method,
                         const std::string& path, const std::string& body = "",
                         const std::string& content_type = "application/fhir+json") {
    auto headers = Bearer(Token(user));
    if (!body.empty()) headers.emplace_back("Content-Type", content_type);
    return HttpCall("127.0.0.1", Port(), method, "/fhir/" + path, headers, body);
  }
  // The residents a user may read.
  static std::set<std::string> ReachOf(const std::string& user) {
    std::set<std::string> ids;
    HttpResult r = Call(user, "GET", "Patient?_count=200&_elements=id");
    if (r.status != 200) return ids;
    auto b = json::Parse(r.body);
    if (const json::Value* entries = b->Find("entry"))
      for (const json::Value& e : entries->items())
        ids.insert(std::string(e.Find("resource")->GetString("id")));
    return ids;
  }
  static std::map<std::string, std::set<std::string>> Everyone() {
    std::map<std::string, std::set<std::string>> out;
    for (const char* u :
         {"resident", "clinician-a", "gp-a", "carer-a", "insurer-a", "regulator", "clinician-b"})
      out[u] = ReachOf(u);
    return out;
  }
  static json::Value Stored(const std::string& ref) {
    return json::Parse(Call("root", "GET", ref).body).value();
  }

  static std::string* dir_;
  static std::string* store_;
  static ServerProcess* server_;
};
std::string* Reach::dir_ = nullptr;
std::string* Reach::store_ = nullptr;
ServerProcess* Reach::server_ = nullptr;

// A resource that grants reach, p-out's (owned by hospital B), and how a writer would aim it
// at itself: the element naming the grantee, as a JSON pointer and as the value to put there.
struct Grant {
  std::string ref;      // the stored grant of p-out
  std::string pointer;  // JSON Patch path of the grantee
  // The grantee value naming the writer (its institution; a person's ID number for a guardian).
  json::Value (*grantee)(const std::string& org);
};

json::Value OrgRef(const std::string& org) {
  json::Value v = json::Value::Object();
  v.Set("reference", json::Value::String("Organization/" + org));
  return v;
}
// The resident's own ID number; for "hosp-b", the guardian's who holds the grant now.
json::Value OwnId(const std::string& org) {
  return json::Value::String(org == "hosp-b" ? "110105194912310046" : kResidentId);
}

const std::vector<Grant>& Grants() {
  static const std::vector<Grant> kGrants = {
      {"Encounter/e-out", "/serviceProvider", OrgRef},
      {"EpisodeOfCare/eoc-out", "/managingOrganization", OrgRef},
      {"Contract/c-out", "/authority/0", OrgRef},
      {"ServiceRequest/sr-out", "/performer/0", OrgRef},
      {"Patient/p-out", "/managingOrganization", OrgRef},
      {"Consent/k-out", "/provision/actor/0/reference", OrgRef},
      {"RelatedPerson/rp-out", "/identifier/0/value", OwnId},
  };
  return kGrants;
}

// Sets the value at a JSON pointer of the simple form the grants use (/a/0/b).
void SetAt(json::Value* doc, const std::string& pointer, json::Value value) {
  std::vector<std::string> parts;
  for (size_t start = 1; start <= pointer.size();) {
    size_t slash = pointer.find('/', start);
    if (slash == std::string::npos) slash = pointer.size();
    parts.push_back(pointer.substr(start, slash - start));
    start = slash + 1;
  }
  json::Value* at = doc;
  for (size_t k = 0; k + 1 < parts.size(); ++k)
    at = std::isdigit(static_cast<unsigned char>(parts[k][0]))
             ? &at->items()[static_cast<size_t>(std::stoi(parts[k]))]
             : at->Find(parts[k]);
  const std::string& last = parts.back();
  if (std::isdigit(static_cast<unsigned char>(last[0])))
    at->items()[static_cast<size_t>(std::stoi(last))] = std::move(value);
  else
    at->Set(last, std::move(value));
}

// The writer's attempts on one grant: each one a request that, if it were accepted, would give
// the writer's institution (or the resident) p-out's record, or take hospital B's away.
struct Attempt {
  std::string name, method, path, body, content_type = "application/fhir+json";
};

std::vector<Attempt> AttemptsOn(const Grant& g, const json::Value& stored, const std::string& org) {
  std::string type = g.ref.substr(0, g.ref.find('/'));
  json::Value aimed = stored;
  SetAt(&aimed, g.pointer, g.grantee(org));
  json::Value fresh = aimed;
  fresh.Erase("id");
  fresh.Erase("meta");
  json::Value patch_value = g.grantee(org);
  std::string patch = R"([{"op":"replace","path":")" + g.pointer + R"(","value":)" +
                      json::Write(patch_value) + "}]";
  std::vector<Attempt> out = {
      {"update", "PUT", g.ref, json::Write(aimed)},
      {"patch", "PATCH", g.ref, patch, "application/json-patch+json"},
      {"delete", "DELETE", g.ref, ""},
      {"conditional update", "PUT", type + "?_id=" + g.ref.substr(type.size() + 1),
       json::Write(aimed)},
      {"conditional delete", "DELETE", type + "?_id=" + g.ref.substr(type.size() + 1), ""},
      {"transaction", "POST", "",
       R"({"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PUT","url":")" +
           g.ref + R"("},"resource":)" + json::Write(aimed) + "}]}"},
  };
  // A new Patient is a registration, not a grant over an existing resident.
  if (type != "Patient") out.insert(out.begin(), {"create", "POST", type, json::Write(fresh)});
  return out;
}

// Handing a resident one reaches to another institution is refused too, but for a referral,
// which names its performer by nature.
TEST_F(Reach, AnInstitutionGrantsOnlyItselfButForAReferral) {
  auto before = Everyone();
  const std::vector<std::pair<std::string, std::string>> to_b = {
      {"Encounter",
       R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p-in"},"serviceProvider":{"reference":"Organization/hosp-b"}})"},
      {"EpisodeOfCare",
       R"({"resourceType":"EpisodeOfCare","status":"active","patient":{"reference":"Patient/p-in"},"managingOrganization":{"reference":"Organization/hosp-b"}})"},
      {"Contract",
       R"({"resourceType":"Contract","status":"executed","subject":[{"reference":"Patient/p-in"}],"authority":[{"reference":"Organization/hosp-b"}]})"},
  };
  for (const auto& [type, body] : to_b) {
    HttpResult r = Call("clinician-a", "POST", type, body);
    EXPECT_EQ(r.status, 403) << type << ": " << r.body;
    EXPECT_NE(r.body.find("add Organization/hosp-b"), std::string::npos) << r.body;
  }
  // Re-assigning the record p-in's institution manages is the same.
  json::Value p = Stored("Patient/p-in");
  p.Set("managingOrganization", OrgRef("hosp-b"));
  EXPECT_EQ(Call("clinician-a", "PUT", "Patient/p-in", json::Write(p)).status, 403);
  EXPECT_EQ(Everyone(), before);
  // A referral to hospital B brings B into p-in's care.
  HttpResult referral = Call(
      "clinician-a", "POST", "ServiceRequest",
      R"({"resourceType":"ServiceRequest","status":"active","intent":"order","subject":{"reference":"Patient/p-in"},"performer":[{"reference":"Organization/hosp-b"}]})");
  ASSERT_EQ(referral.status, 201) << referral.body;
  EXPECT_EQ(ReachOf("clinician-b"), (std::set<std::string>{"p-in", "p-out"}));
  std::string id(json::Parse(referral.body)->GetString("id"));
  EXPECT_EQ(Call("root", "DELETE", "ServiceRequest/" + id).status, 204);
  EXPECT_EQ(Everyone(), before);
  // Its own grants over its own patients it keeps.
  HttpResult own = Call(
      "clinician-a", "POST", "Encounter",
      R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p-in"},"serviceProvider":{"reference":"Organization/hosp-a"}})");
  EXPECT_EQ(own.status, 201) << own.body;
}

// A batch's writes share one commit, each inside a savepoint: an entry refused after it wrote
// (the review of a grant comes after the write) is undone alone, the others are kept, and a
// read after them sees them.
TEST_F(Reach, ABatchEntryRefusedAfterWritingIsUndoneAlone) {
  auto before = Everyone();
  std::string batch = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"batch-kept-1"},"subject":{"reference":"Patient/p-in"}},"request":{"method":"POST","url":"Observation"}},
    {"resource":{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p-in"},"serviceProvider":{"reference":"Organization/hosp-b"}},"request":{"method":"POST","url":"Encounter"}},
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"batch-kept-2"},"subject":{"reference":"Patient/p-in"}},"request":{"method":"POST","url":"Observation"}},
    {"request":{"method":"GET","url":"Observation?code:text=batch-kept"}}]})";
  auto headers = Bearer(Token("clinician-a"));
  headers.emplace_back("Content-Type", "application/fhir+json");
  HttpResult r = HttpCall("127.0.0.1", Port(), "POST", "/fhir", headers, batch);
  ASSERT_EQ(r.status, 200) << r.body;
  auto b = json::Parse(r.body);
  ASSERT_TRUE(b.ok());
  const auto& entries = b->Find("entry")->items();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].Find("response")->GetString("status"), "201 Created");
  EXPECT_EQ(entries[1].Find("response")->GetString("status"), "403") << r.body;
  EXPECT_EQ(entries[2].Find("response")->GetString("status"), "201 Created");
  HttpResult read;
  read.status = 200;
  read.body = json::Write(*entries[3].Find("resource"));
  EXPECT_EQ(TotalOf(read), 2) << read.body;
  EXPECT_EQ(Everyone(), before);
  HttpResult encounters =
      Call("root", "GET", "Encounter?service-provider=Organization/hosp-b&subject=Patient/p-in");
  EXPECT_EQ(TotalOf(encounters), 0) << encounters.body;
  // Each entry is on record.
  HttpResult kept = Call("root", "GET", "AuditEvent?patient=p-in&outcome=0&subtype=create");
  EXPECT_GE(TotalOf(kept), 2) << kept.body;
  HttpResult refused = Call("root", "GET", "AuditEvent?patient=p-in&outcome=4&subtype=create");
  EXPECT_GE(TotalOf(refused), 1) << refused.body;
  EXPECT_NE(refused.body.find("HTTP 403"), std::string::npos) << refused.body;
}

// A break-glass request opens a record for itself, not for good: it writes no grant.
TEST_F(Reach, BreakGlassWritesNoGrant) {
  auto glass = Bearer(Token("clinician-a"));
  glass.emplace_back("X-Break-Glass", "unconscious in the emergency department");
  glass.emplace_back("Content-Type", "application/fhir+json");
  HttpResult grant = HttpCall(
      "127.0.0.1", Port(), "POST", "/fhir/Contract", glass,
      R"({"resourceType":"Contract","status":"executed","subject":[{"reference":"Patient/p-out"}],"authority":[{"reference":"Organization/hosp-a"}]})");
  EXPECT_EQ(grant.status, 403) << grant.body;
  HttpResult encounter = HttpCall(
      "127.0.0.1", Port(), "POST", "/fhir/Encounter", glass,
      R"({"resourceType":"Encounter","status":"in-progress","class":{"code":"EMER"},"subject":{"reference":"Patient/p-out"},"serviceProvider":{"reference":"Organization/hosp-a"}})");
  EXPECT_EQ(encounter.status, 403) << encounter.body;
  // The care it gives in the emergency it records.
  HttpResult note = HttpCall(
      "127.0.0.1", Port(), "POST", "/fhir/Observation", glass,
      R"({"resourceType":"Observation","status":"final","code":{"text":"GCS 7"},"subject":{"reference":"Patient/p-out"}})");
  EXPECT_EQ(note.status, 201) << note.body;
  EXPECT_EQ(Call("clinician-a", "GET", "Patient/p-out").status, 404);
}

// Finding 1: a clinician redefined the access rules with a SearchParameter.
TEST_F(Reach, SearchParametersCannotRedefineTheAccessRules) {
  std::string redefine =
      R"({"resourceType":"SearchParameter","url":"https://attacker.example/sp","name":"organization","status":"active",)"
      R"("description":"x","code":"organization","base":["Patient"],"type":"reference","expression":"'Organization/hosp-a'"})";
  HttpResult clinician = Call("clinician-a", "POST", "SearchParameter", redefine);
  EXPECT_EQ(clinician.status, 403) << clinician.body;
  // Not even an administrator replaces a built-in parameter: by code, or by url.
  HttpResult admin = Call("root", "POST", "SearchParameter", redefine);
  EXPECT_EQ(admin.status, 422) << admin.body;
  EXPECT_NE(admin.body.find("SearchParameter.code"), std::string::npos) << admin.body;
  std::string by_url =
      R"({"resourceType":"SearchParameter","url":"http://hl7.org/fhir/SearchParameter/Patient-organization","name":"x","status":"active",)"
      R"("description":"x","code":"my-organization","base":["Patient"],"type":"reference","expression":"Patient.managingOrganization"})";
  EXPECT_EQ(Call("root", "POST", "SearchParameter", by_url).status, 422);
  EXPECT_EQ(ReachOf("clinician-a"), (std::set<std::string>{"p-in"}));
  // New codes are an administrator's to add.
  std::string added =
      R"({"resourceType":"SearchParameter","url":"https://kangyun.cn/fhir/SearchParameter/test-nickname","name":"nickname","status":"active",)"
      R"("description":"x","code":"nickname","base":["Patient"],"type":"string","expression":"Patient.name.text"})";
  EXPECT_EQ(Call("root", "POST", "SearchParameter", added).status, 201);
}

// Finding 2: a clinician granted itself a resident with a Contract, took over another
// institution's and deleted a third's.
TEST_F(Reach, AContractGrantsNothingItsWriterDidNotReach) {
  HttpResult grab = Call(
      "clinician-a", "POST", "Contract",
      R"({"resourceType":"Contract","status":"executed","subject":[{"reference":"Patient/p-out"}],"authority":[{"reference":"Organization/hosp-a"}]})");
  EXPECT_EQ(grab.status, 403) << grab.body;
  EXPECT_EQ(Call("clinician-a", "GET", "Patient/p-out").status, 404);
  json::Value c = Stored("Contract/c-out");
  std::string version(c.Find("meta")->GetString("versionId"));
  c.Find("authority")->items()[0] = OrgRef("hosp-a");
  EXPECT_EQ(Call("gp-a", "PUT", "Contract/c-out", json::Write(c)).status, 405);
  EXPECT_EQ(
      Call("gp-a", "PATCH", "Contract/c-out",
           R"([{"op":"replace","path":"/authority/0/reference","value":"Organization/hosp-a"}])",
           "application/json-patch+json")
          .status,
      404);
  EXPECT_EQ(Call("gp-a", "DELETE", "Contract/c-out").status, 204);
  EXPECT_EQ(Stored("Contract/c-out").Find("meta")->GetString("versionId"), version);
  EXPECT_EQ(Call("gp-a", "GET", "Patient/p-out").status, 404);
}

// Finding 3: every role read every Contract.
TEST_F(Reach, ContractsAndConsentsAreReadByTheirPartiesOnly) {
  EXPECT_EQ(TotalOf(Call("clinician-a", "GET", "Contract?_summary=count")), 1);  // c-in
  EXPECT_EQ(TotalOf(Call("clinician-b", "GET", "Contract?_summary=count")), 1);  // c-out
  EXPECT_EQ(TotalOf(Call("resident", "GET", "Contract?_summary=count")), 0);
  EXPECT_EQ(Call("clinician-a", "GET", "Contract/c-out").status, 404);
  // Regulators search them (their scopes grant searches, not reads).
  EXPECT_EQ(TotalOf(Call("regulator", "GET", "Contract")), 2);
  // A Consent: the resident's and the institution's it names.
  EXPECT_EQ(Call("clinician-b", "GET", "Consent/k-out").status, 200);
  EXPECT_EQ(TotalOf(Call("clinician-a", "GET", "Consent?_summary=count")), 0);
  // A resident's export holds no one else's contracts.
  auto bearer = Bearer(Token("resident"));
  ExportRun run = RunExport(Port(), "/fhir/$export?_type=Contract", 120, bearer);
  ASSERT_EQ(run.final.status, 200) << run.kick_off.body << run.final.body;
  for (const auto& [type, lines] : DownloadOutputs(Port(), run.manifest, bearer))
    EXPECT_TRUE(lines.empty()) << type << ": " << lines.size() << " lines";
}

// Finding 4: clinicians changed the platform's reference data.
TEST_F(Reach, TheRegistriesAndDefinitionsAreWrittenByAdministrators) {
  json::Value org = Stored("Organization/hosp-b");
  org.Set("name", json::Value::String("renamed"));
  EXPECT_EQ(Call("clinician-a", "PUT", "Organization/hosp-b", json::Write(org)).status, 403);
  EXPECT_EQ(Call("clinician-a", "DELETE", "Organization/hosp-b").status, 403);
  EXPECT_EQ(Call("clinician-a", "DELETE", "Practitioner/prac-b").status, 403);
  const std::vector<std::pair<std::string, std::string>> posts = {
      {"Organization", R"({"resourceType":"Organization","name":"x"})"},
      {"Practitioner", R"({"resourceType":"Practitioner","name":[{"text":"x"}]})"},
      {"Location", R"({"resourceType":"Location","name":"x"})"},
      {"CodeSystem", R"({"resourceType":"CodeSystem","status":"active","content":"complete"})"},
      {"ValueSet", R"({"resourceType":"ValueSet","status":"active"})"},
      {"NamingSystem",
       R"({"resourceType":"NamingSystem","name":"x","status":"active","kind":"identifier","date":"2026-01-01","uniqueId":[{"type":"uri","value":"urn:x"}]})"},
  };
  for (const auto& [type, body] : posts) {
    HttpResult r = Call("clinician-a", "POST", type, body);
    EXPECT_EQ(r.status, 403) << type << ": " << r.body;
  }
  HttpResult cs = Call("clinician-a", "GET", "CodeSystem/service-type");
  ASSERT_EQ(cs.status, 200);
  EXPECT_EQ(Call("clinician-a", "PUT", "CodeSystem/service-type", cs.body).status, 403);
  EXPECT_EQ(Stored("Organization/hosp-b").GetString("name"), "B");
  EXPECT_EQ(Call("clinician-a", "GET", "Practitioner/prac-b").status, 200);
  // An administrator keeps them.
  EXPECT_EQ(
      Call("root", "PUT", "Organization/hosp-b", json::Write(Stored("Organization/hosp-b"))).status,
      200);
}

// Finding 5: every SearchParameter write started a re-index thread of its own.
TEST_F(Reach, ReindexingIsOneQueueForAdministrators) {
  EXPECT_EQ(Call("clinician-a", "POST", "$reindex?type=Patient").status, 403);
  EXPECT_EQ(Call("clinician-a", "GET", "$reindex").status, 403);
  int accepted = 0, refused = 0;
  std::string first;
  for (int i = 0; i < 40; ++i) {
    HttpResult r = Call("root", "POST", "$reindex");  // every type
    if (r.status == 202) {
      ++accepted;
      if (first.empty()) {
        std::string text(json::Parse(r.body)->Find("issue")->items()[0].GetString("diagnostics"));
        first = text.substr(std::string("Re-index job ").size());
        first = first.substr(0, first.find(' '));
      }
    } else {
      EXPECT_EQ(r.status, 429) << r.body;
      ++refused;
    }
  }
  EXPECT_EQ(accepted + refused, 40);
  EXPECT_GE(accepted, 1);
  HttpResult status = Call("root", "GET", "$reindex");
  ASSERT_EQ(status.status, 200);
  size_t running = 0;
  for (size_t at = status.body.find("\"running\""); at != std::string::npos;
       at = status.body.find("\"running\"", at + 1))
    ++running;
  EXPECT_LE(running, 1u) << status.body;
  // Cancelling: the queued ones go at once; the running one after its batch; a finished one
  // is a conflict.
  HttpResult jobs = Call("root", "GET", "$reindex");
  auto parsed = json::Parse(jobs.body).value();
  int cancelled = 0;
  for (const json::Value& job : parsed.Find("parameter")->items()) {
    std::string id(job.Find("part")->items()[0].GetString("valueString"));
    HttpResult c = Call("root", "DELETE", "$reindex?job=" + id);
    EXPECT_TRUE(c.status == 200 || c.status == 409) << c.body;
    if (c.status == 200) ++cancelled;
  }
  EXPECT_EQ(Call("root", "DELETE", "$reindex?job=no-such-job").status, 404);
  HttpResult after = Call("root", "GET", "$reindex");
  EXPECT_EQ(after.body.find("\"queued\""), std::string::npos) << after.body;
  // A running job ends at its next batch.
  for (int i = 0; i < 100 && after.body.find("\"running\"") != std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    after = Call("root", "GET", "$reindex");
  }
  EXPECT_EQ(after.body.find("\"running\""), std::string::npos) << after.body;
  if (cancelled > 0) {
    EXPECT_NE(after.body.find("\"cancelled\""), std::string::npos) << after.body;
  }
}

// Finding 6: the resident's access list missed the writes about them.
TEST_F(Reach, EveryWriteAboutAResidentIsInTheirAccessList) {
  HttpResult made = Call(
      "root", "POST", "Contract",
      R"({"resourceType":"Contract","status":"executed","subject":[{"reference":"Patient/p-res"}],"authority":[{"reference":"Organization/hosp-a"}]})");
  ASSERT_EQ(made.status, 201) << made.body;
  std::string id(json::Parse(made.body)->GetString("id"));
  auto minimal = Bearer(Token("root"));
  minimal.emplace_back("Prefer", "return=minimal");
  ASSERT_EQ(HttpCall("127.0.0.1", Port(), "DELETE", "/fhir/Contract/" + id, minimal, "").status,
            204);
  for (const char* action : {"C", "D"}) {
    HttpResult list =
        Call("resident", "GET", std::string("AuditEvent?patient=Patient/p-res&action=") + action);
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(TotalOf(list), 1) << action << ": " << list.body.substr(0, 2000);
    EXPECT_NE(list.body.find("Contract/" + id), std::string::npos) << list.body.substr(0, 2000);
  }
}

// Finding 7: a write to a hidden resource answered 403 where a missing one answered 201/204.
TEST_F(Reach, AHiddenResourceIsWrittenAsAMissingOne) {
  auto same = [](HttpResult hidden, HttpResult missing, const std::string& hidden_id,
                 const std::string& missing_id, const std::string& what) {
    EXPECT_EQ(hidden.status, missing.status) << what;
    std::string text = hidden.body;
    for (size_t at = text.find(hidden_id); at != std::string::npos; at = text.find(hidden_id))
      text.replace(at, hidden_id.size(), missing_id);
    EXPECT_EQ(text, missing.body) << what;
  };
  same(Call("clinician-a", "GET", "Patient/p-out"), Call("clinician-a", "GET", "Patient/p-nix"),
       "p-out", "p-nix", "read");
  same(Call("clinician-a", "PUT", "Patient/p-out",
            R"({"resourceType":"Patient","id":"p-out","name":[{"text":"x"}]})"),
       Call("clinician-a", "PUT", "Patient/p-nix",
            R"({"resourceType":"Patient","id":"p-nix","name":[{"text":"x"}]})"),
       "p-out", "p-nix", "update");
  same(Call("clinician-a", "PATCH", "Patient/p-out",
            R"([{"op":"add","path":"/active","value":true}])", "application/json-patch+json"),
       Call("clinician-a", "PATCH", "Patient/p-nix",
            R"([{"op":"add","path":"/active","value":true}])", "application/json-patch+json"),
       "p-out", "p-nix", "patch");
  same(Call("clinician-a", "DELETE", "Encounter/e-out"),
       Call("clinician-a", "DELETE", "Encounter/e-nix"), "e-out", "e-nix", "delete");
  EXPECT_EQ(Call("root", "GET", "Encounter/e-out").status, 200);  // still there
  // A conditional update that matches nothing visible may not pick a taken id either.
  HttpResult conditional = Call("clinician-a", "PUT", "Patient?name=nobody-at-all",
                                R"({"resourceType":"Patient","id":"p-out","name":[{"text":"x"}]})");
  EXPECT_EQ(conditional.status, 405) << conditional.body;
  // An administrator still creates with an id of their choosing.
  EXPECT_EQ(Call("root", "PUT", "Patient/p-chosen",
                 R"({"resourceType":"Patient","id":"p-chosen","name":[{"text":"x"}]})")
                .status,
            201);
}

// Finding 8: valid searches failed with 500 (SQLite's expression depth and parser stack).
TEST_F(Reach, DeepSearchesRun) {
  // Enough encounters that a list of their ids once nested past SQLite's expression depth.
  std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  for (int i = 0; i < 1100; ++i)
    bundle +=
        std::string(i ? "," : "") +
        R"({"request":{"method":"POST","url":"Encounter"},"resource":{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p-in"},"serviceProvider":{"reference":"Organization/hosp-a"}}})";
  bundle += "]}";
  ASSERT_EQ(Call("root", "POST", "", bundle).status, 200);
  for (const char* user : {"root", "clinician-a", "resident"}) {
    for (const char* q :
         {"Organization?_id=hosp-a&_revinclude=Encounter:service-provider&_count=5",
          "Organization?_id=hosp-a&_revinclude=Encounter:service-provider",
          "Practitioner?_count=1&_revinclude=Observation:performer",
          "Observation?encounter.subject.name=Huang",
          "Encounter?subject.organization.name=B&subject:Patient.name=x",
          "Patient?_has:Encounter:patient:_has:Observation:encounter:status=final",
          "Patient?_has:Observation:subject:_has:Provenance:target:agent=Practitioner/prac-b"}) {
      HttpResult r = Call(user, "GET", q);
      EXPECT_EQ(r.status, 200) << user << " " << q << ": " << r.body.substr(0, 300);
    }
  }
  HttpResult all = Call("clinician-a", "GET",
                        "Organization?_id=hosp-a&_revinclude=Encounter:service-provider&_count=5");
  EXPECT_GT(all.body.size(), 10000u);
}

// Finding 9: links followed whatever Host the client sent.
TEST_F(Reach, LinksUseTheServersOwnName) {
  auto headers = Bearer(Token("root"));
  headers.emplace_back("Host", "attacker.example");
  HttpResult r = HttpCall("127.0.0.1", Port(), "GET", "/fhir/Patient?_count=1", headers, "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("attacker.example"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("http://127.0.0.1:" + std::to_string(Port()) + "/fhir"), std::string::npos);
  HttpResult kick = HttpCall(
      "127.0.0.1", Port(), "GET", "/fhir/$export?_type=Organization",
      [&] {
        auto h = headers;
        h.emplace_back("Prefer", "respond-async");
        return h;
      }(),
      "");
  ASSERT_EQ(kick.status, 202) << kick.body;
  EXPECT_EQ(kick.headers.count("content-location")
                ? kick.headers.at("content-location").find("attacker.example")
                : std::string::npos,
            std::string::npos);
  // localhost names the server.
  auto local = Bearer(Token("root"));
  local.emplace_back("Host", "localhost:" + std::to_string(Port()));
  HttpResult l = HttpCall("127.0.0.1", Port(), "GET", "/fhir/Patient?_count=1", local, "");
  EXPECT_NE(l.body.find("http://localhost:" + std::to_string(Port())), std::string::npos);
}

// Finding 10: a replayed refresh token was refused, but the token family lived on.
TEST_F(Reach, ARefreshTokenReplayRevokesTheFamily) {
  TokenReply first = LoginToken(Port(), "resident", kPassword, kApp, kRedirect);
  ASSERT_EQ(first.status, 200) << first.body;
  TokenReply second = RefreshToken(Port(), first.refresh_token, kApp);
  ASSERT_EQ(second.status, 200) << second.body;
  TokenReply replay = RefreshToken(Port(), first.refresh_token, kApp);
  EXPECT_EQ(replay.status, 400);
  EXPECT_NE(replay.body.find("revoked"), std::string::npos) << replay.body;
  EXPECT_EQ(RefreshToken(Port(), second.refresh_token, kApp).status, 400);
  // Another login's family is untouched.
  TokenReply other = LoginToken(Port(), "resident", kPassword, kApp, kRedirect);
  EXPECT_EQ(RefreshToken(Port(), other.refresh_token, kApp).status, 200);
}

// Last: its administrator part writes the grants again (with their present grantees).
TEST_F(Reach, NoWriteByANonAdministratorWidensAnyonesReach) {
  const std::map<std::string, std::string> writers = {
      {"resident", "hosp-a"}, {"clinician-a", "hosp-a"}, {"gp-a", "hosp-a"},
      {"carer-a", "hosp-a"},  {"insurer-a", "hosp-a"},   {"regulator", "hosp-a"}};
  auto before = Everyone();
  ASSERT_EQ(before["clinician-a"], (std::set<std::string>{"p-in"}));
  ASSERT_EQ(before["clinician-b"], (std::set<std::string>{"p-out"}));
  ASSERT_EQ(before["resident"], (std::set<std::string>{"p-res"}));
  std::map<std::string, std::string> versions;
  for (const Grant& g : Grants())
    versions[g.ref] = std::string(Stored(g.ref).Find("meta")->GetString("versionId"));
  for (const auto& [writer, org] : writers) {
    for (const Grant& g : Grants()) {
      for (const Attempt& a : AttemptsOn(g, Stored(g.ref), org)) {
        std::string cell = writer + " " + a.name + " " + g.ref;
        HttpResult r = Call(writer, a.method, a.path, a.body, a.content_type);
        if (a.method == "DELETE") {
          // A delete of what one may not see answers as one of what does not exist.
          EXPECT_TRUE(r.status == 204 || r.status == 403) << cell << ": " << r.status << r.body;
        } else {
          EXPECT_GE(r.status, 400) << cell << ": " << r.body.substr(0, 300);
          EXPECT_LT(r.status, 500) << cell << ": " << r.body.substr(0, 300);
        }
        // Nobody reaches a resident they did not reach before, and nobody lost one either.
        EXPECT_EQ(Everyone(), before) << cell;
      }
      EXPECT_EQ(Stored(g.ref).Find("meta")->GetString("versionId"), versions[g.ref])
          << g.ref << " was changed by " << writer;
    }
  }
  // An administrator may write all of them (here with their present grantee, so that the
  // tests after this one find the city as it was).
  for (const Grant& g : Grants()) {
    for (const Attempt& a : AttemptsOn(g, Stored(g.ref), "hosp-b")) {
      if (a.method == "DELETE") continue;  // the others need the grant to exist
      HttpResult r = Call("root", a.method, a.path, a.body, a.content_type);
      EXPECT_LT(r.status, 300) << "root " << a.name << " " << g.ref << ": " << r.body;
    }
  }
  HttpResult made = Call("root", "POST", "Contract",
                         AttemptsOn(Grants()[2], Stored("Contract/c-out"), "hosp-b")[0].body);
  ASSERT_EQ(made.status, 201) << made.body;
  std::string id(json::Parse(made.body)->GetString("id"));
  EXPECT_EQ(Call("root", "DELETE", "Contract/" + id).status, 204);
  EXPECT_EQ(Call("root", "GET", "Contract/" + id).status, 410);
  EXPECT_EQ(Everyone(), before);
}

// Finding 1 again: a SearchParameter stored before built-in ones were protected (planted here
// straight in the database) is not used after a restart, so new records are indexed by the
// built-in parameter and no one's reach follows the planted one (which would have made every
// institution a resident names as general practitioner their managing organization).
TEST(StoredSearchParameters, OneThatRedefinesABuiltInIsNotUsed) {
  std::string dir = ScratchFolder("kangyun-reach", "stored");
  std::string store = TestStore(dir + "/stored.db");
  {
    ServerProcess open(KANGYUN_BINARY, store);
    ASSERT_TRUE(open.ok());
    auto json =
        std::vector<std::pair<std::string, std::string>>{{"Content-Type", "application/fhir+json"}};
    ASSERT_EQ(HttpCall("127.0.0.1", open.port(), "POST", "/fhir", json, kCity).status, 200);
    HttpResult sp = HttpCall(
        "127.0.0.1", open.port(), "POST", "/fhir/SearchParameter", json,
        R"({"resourceType":"SearchParameter","url":"https://kangyun.cn/fhir/SearchParameter/test-planted","name":"planted","status":"active",)"
        R"("description":"x","code":"planted","base":["Patient"],"type":"string","expression":"Patient.name.text"})");
    ASSERT_EQ(sp.status, 201) << sp.body;
  }
  const std::string replaced =
      R"sql(replace(replace(replace(X, '"code":"planted"', '"code":"organization"'), '"type":"string"', )sql"
      R"sql('"type":"reference"'), 'Patient.name.text', 'Patient.generalPractitioner'))sql";
  auto with = [&](const std::string& body) {
    std::string out = replaced;
    out.replace(out.find('X'), 1, body);
    return out;
  };
  RunSql(store, "UPDATE history SET body = " + with("body") + " WHERE type = 'SearchParameter'",
         "UPDATE history SET body = convert_to(" + with("convert_from(body, 'UTF8')") +
             ", 'UTF8') WHERE type = 'SearchParameter'");
  for (const std::string& args :
       {std::string("user add --username clinician-a --role clinician --organization hosp-a "
                    "--password ") +
            kPassword,
        std::string("user add --username root --role admin --password ") + kPassword,
        std::string("client add --id ") + kApp +
            " --role clinician --organization hosp-a --redirect-uri " + kRedirect})
    ASSERT_EQ(RunKangyun(KANGYUN_BINARY, args + " --db " + store).exit_code, 0) << args;
  ServerProcess server(KANGYUN_BINARY, store, {"--auth"});
  ASSERT_TRUE(server.ok());
  std::string root = LoginToken(server.port(), "root", kPassword, kApp, kRedirect).access_token;
  std::string clinician =
      LoginToken(server.port(), "clinician-a", kPassword, kApp, kRedirect).access_token;
  auto headers = Bearer(root);
  headers.emplace_back("Content-Type", "application/fhir+json");
  ASSERT_EQ(HttpCall("127.0.0.1", server.port(), "PUT", "/fhir/Patient/p-new", headers,
                     R"({"resourceType":"Patient","id":"p-new","name":[{"text":"new"}],)"
                     R"("generalPractitioner":[{"reference":"Organization/hosp-a"}]})")
                .status,
            201);
  HttpResult reach = HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient?_summary=count",
                              Bearer(clinician), "");
  EXPECT_EQ(TotalOf(reach), 1) << reach.body;  // p-in only
  EXPECT_EQ(
      HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient/p-new", Bearer(clinician), "")
          .status,
      404);
}

}  // namespace
}  // namespace kangyun::testing
