// Bulk Data $export (https://hl7.org/fhir/uv/bulkdata/): a generated city exported and loaded
// into an empty server gives the same resources; the kick-off parameters narrow the output;
// bad kick-offs are 400s naming the parameter; cancelled jobs and their files go.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "base/strings.h"
#include "json/json.h"
#include "tests/support/bulk_export_client.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

namespace fs = std::filesystem;

std::string ExportFolder(const std::string& name) { return ScratchFolder("kangyun-export", name); }

// A resource without the two meta elements a server sets on every write.
json::Value WithoutVersionMeta(json::Value v) {
  if (json::Value* meta = v.Find("meta")) {
    meta->Erase("versionId");
    meta->Erase("lastUpdated");
  }
  return v;
}

// One server holding a small generated city, shared by the tests of this file.
class BulkExport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(ExportFolder("city"));
    CommandOutput g =
        RunKangyun(KANGYUN_BINARY, "generate --residents 40 --seed 11 --out " + *dir_ + "/city");
    ASSERT_EQ(g.exit_code, 0) << g.text;
    server_ = new ServerProcess(KANGYUN_BINARY, *dir_ + "/source.db");
    ASSERT_TRUE(server_->ok());
    CommandOutput l = RunKangyun(KANGYUN_BINARY,
                                 "load --url http://127.0.0.1:" + std::to_string(server_->port()) +
                                     "/fhir " + *dir_ + "/city");
    ASSERT_EQ(l.exit_code, 0) << l.text;
  }
  static void TearDownTestSuite() {
    delete server_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  static int Port() { return server_->port(); }

  static std::string* dir_;
  static ServerProcess* server_;
};
std::string* BulkExport::dir_ = nullptr;
ServerProcess* BulkExport::server_ = nullptr;

TEST_F(BulkExport, ASystemExportLoadedIntoAnEmptyServerGivesTheSameResources) {
  ExportRun run = RunExport(Port(), "/fhir/$export");
  ASSERT_EQ(run.kick_off.status, 202) << run.kick_off.body;
  ASSERT_EQ(run.final.status, 200) << run.final.body << run.final.error;
  for (const std::string& p : run.progress) EXPECT_FALSE(p.empty());
  EXPECT_EQ(run.final.headers["content-type"], "application/json");
  EXPECT_FALSE(run.manifest.GetString("transactionTime").empty());
  EXPECT_NE(run.manifest.GetString("request").find("$export"), std::string::npos);

  // The files as the manifest lists them, one folder of NDJSON as `kangyun load` reads.
  auto files = DownloadOutputs(Port(), run.manifest);
  ASSERT_GT(files.size(), 15u);
  std::string out = *dir_ + "/exported";
  fs::create_directories(out);
  for (const json::Value& o : run.manifest.Find("output")->items()) {
    std::string type(o.GetString("type"));
    const auto& lines = files[type];
    EXPECT_EQ(static_cast<int64_t>(lines.size()), std::stoll(o.Find("count")->str())) << type;
    EXPECT_EQ(static_cast<int64_t>(lines.size()), SearchTotal(Port(), type + "?_summary=count"))
        << type;
    std::ofstream f(out + "/" + type + ".ndjson");
    for (const std::string& line : lines) f << line << "\n";
  }

  ServerProcess empty(KANGYUN_BINARY, *dir_ + "/copy.db");
  ASSERT_TRUE(empty.ok());
  CommandOutput l =
      RunKangyun(KANGYUN_BINARY,
                 "load --url http://127.0.0.1:" + std::to_string(empty.port()) + "/fhir " + out);
  ASSERT_EQ(l.exit_code, 0) << l.text;
  for (const auto& [type, lines] : files) {
    for (const std::string& line : lines) {
      auto exported = json::Parse(line);
      ASSERT_TRUE(exported.ok()) << line;
      std::string id(exported->GetString("id"));
      HttpResult copy =
          HttpCall("127.0.0.1", empty.port(), "GET", "/fhir/" + type + "/" + id, {}, "");
      ASSERT_EQ(copy.status, 200) << type << "/" << id;
      auto reloaded = json::Parse(copy.body);
      ASSERT_TRUE(reloaded.ok());
      EXPECT_TRUE(WithoutVersionMeta(*reloaded) == WithoutVersionMeta(*exported))
          << type << "/" << id;
    }
  }
}

TEST_F(BulkExport, TypeSinceAndTypeFilterNarrowTheOutput) {
  ExportRun typed = RunExport(Port(), "/fhir/$export?_type=Patient,Condition");
  ASSERT_EQ(typed.final.status, 200) << typed.final.body;
  std::set<std::string> types;
  for (const json::Value& o : typed.manifest.Find("output")->items())
    types.insert(std::string(o.GetString("type")));
  EXPECT_EQ(types, (std::set<std::string>{"Condition", "Patient"}));

  // Only what changed since: one Patient updated after the cut.
  HttpResult before = HttpCall("127.0.0.1", Port(), "GET", "/fhir/Patient/pat-3", {}, "");
  ASSERT_EQ(before.status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ExportRun probe = RunExport(Port(), "/fhir/$export?_type=Organization");
  std::string cut(probe.manifest.GetString("transactionTime"));
  ASSERT_FALSE(cut.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto patient = json::Parse(before.body);
  patient->Set("active", json::Value::Bool(true));
  ASSERT_EQ(
      HttpCall("127.0.0.1", Port(), "PUT", "/fhir/Patient/pat-3", kJson, json::Write(*patient))
          .status,
      200);
  ExportRun since = RunExport(Port(), "/fhir/$export?_since=" + cut);
  ASSERT_EQ(since.final.status, 200) << since.final.body;
  auto changed = DownloadOutputs(Port(), since.manifest);
  ASSERT_EQ(changed.size(), 1u);
  ASSERT_EQ(changed["Patient"].size(), 1u);
  EXPECT_NE(changed["Patient"][0].find("\"id\":\"pat-3\""), std::string::npos);

  // _typeFilter: the union of its searches (the comma starts a second query): the vital
  // signs and one laboratory result.
  HttpResult lab = HttpCall("127.0.0.1", Port(), "GET",
                            "/fhir/Observation?category=laboratory&_count=1", {}, "");
  auto lab_bundle = json::Parse(lab.body);
  ASSERT_TRUE(lab_bundle.ok() && lab_bundle->Find("entry")) << lab.body;
  std::string lab_id(lab_bundle->Find("entry")->items()[0].Find("resource")->GetString("id"));
  ExportRun filtered = RunExport(
      Port(), "/fhir/$export?_type=Observation&_typeFilter=" +
                  PercentEncode("Observation?category=vital-signs,Observation?_id=" + lab_id));
  ASSERT_EQ(filtered.final.status, 200) << filtered.final.body;
  auto observations = DownloadOutputs(Port(), filtered.manifest)["Observation"];
  int64_t vital_signs = SearchTotal(Port(), "Observation?category=vital-signs&_summary=count");
  EXPECT_GT(vital_signs, 0);
  EXPECT_EQ(static_cast<int64_t>(observations.size()), vital_signs + 1);
  std::set<std::string> exported_ids;
  for (const std::string& line : observations)
    exported_ids.insert(std::string(json::Parse(line)->GetString("id")));
  EXPECT_TRUE(exported_ids.count(lab_id));
}

TEST_F(BulkExport, PatientAndGroupExportsHoldOnlyTheirResidentsRecords) {
  ExportRun patients =
      RunExport(Port(), "/fhir/Patient/$export?_type=Patient,Encounter,Practitioner");
  EXPECT_EQ(patients.kick_off.status, 400) << "Practitioner is not in the Patient compartment";
  patients = RunExport(Port(), "/fhir/Patient/$export?_type=Patient,Encounter");
  ASSERT_EQ(patients.final.status, 200) << patients.final.body;
  auto all = DownloadOutputs(Port(), patients.manifest);
  EXPECT_EQ(static_cast<int64_t>(all["Patient"].size()),
            SearchTotal(Port(), "Patient?_summary=count"));
  EXPECT_EQ(static_cast<int64_t>(all["Encounter"].size()),
            SearchTotal(Port(), "Encounter?_summary=count"));

  ASSERT_EQ(HttpCall("127.0.0.1", Port(), "PUT", "/fhir/Group/two", kJson,
                     R"({"resourceType":"Group","id":"two","type":"person","actual":true,)"
                     R"("member":[{"entity":{"reference":"Patient/pat-1"}},)"
                     R"({"entity":{"reference":"Patient/pat-2"}},)"
                     R"({"entity":{"reference":"Patient/pat-4"},"inactive":true}]})")
                .status,
            201);
  ExportRun group = RunExport(Port(), "/fhir/Group/two/$export");
  ASSERT_EQ(group.final.status, 200) << group.final.body;
  auto records = DownloadOutputs(Port(), group.manifest);
  std::set<std::string> ids;
  for (const std::string& line : records["Patient"])
    ids.insert(std::string(json::Parse(line)->GetString("id")));
  EXPECT_EQ(ids, (std::set<std::string>{"pat-1", "pat-2"}));
  for (std::string type : {"Encounter", "Observation", "Condition"}) {
    int64_t expected = 0;
    for (const std::string& id : ids)
      expected += SearchTotal(Port(), "Patient/" + id + "/" + type + "?_summary=count");
    EXPECT_EQ(static_cast<int64_t>(records[type].size()), expected) << type;
  }
  EXPECT_EQ(RunExport(Port(), "/fhir/Group/nobody/$export").kick_off.status, 404);
  // A Group without Patient members exports nothing (not everything).
  ASSERT_EQ(HttpCall("127.0.0.1", Port(), "PUT", "/fhir/Group/empty", kJson,
                     R"({"resourceType":"Group","id":"empty","type":"person","actual":true})")
                .status,
            201);
  ExportRun empty = RunExport(Port(), "/fhir/Group/empty/$export");
  ASSERT_EQ(empty.final.status, 200) << empty.final.body;
  EXPECT_TRUE(empty.manifest.Find("output")->items().empty()) << empty.final.body;
}

TEST_F(BulkExport, BadKickOffsAreRefusedNamingTheParameter) {
  HttpResult no_prefer = HttpCall("127.0.0.1", Port(), "GET", "/fhir/$export", {}, "");
  EXPECT_EQ(no_prefer.status, 400);
  EXPECT_NE(no_prefer.body.find("respond-async"), std::string::npos);
  for (const auto& [query, param] : std::vector<std::pair<std::string, std::string>>{
           {"_type=Nonsense", "_type"},
           {"_since=yesterday", "_since"},
           {"_outputFormat=text/csv", "_outputFormat"},
           {"_typeFilter=Observation", "_typeFilter"},
           {"_typeFilter=Observation%3Fnot-a-parameter%3D1", "_typeFilter"},
           {"_type=Patient&_typeFilter=Observation%3Fstatus%3Dfinal", "_typeFilter"},
           {"_elements=id", "_elements"},
           {"frobnicate=1", "frobnicate"}}) {
    ExportRun run = RunExport(Port(), "/fhir/$export?" + query);
    EXPECT_EQ(run.kick_off.status, 400) << query << " " << run.kick_off.body;
    EXPECT_NE(run.kick_off.body.find("\"expression\":[\"" + param + "\"]"), std::string::npos)
        << query << " " << run.kick_off.body;
  }
  EXPECT_EQ(
      HttpCall("127.0.0.1", Port(), "GET", "/fhir/$export-poll-status?_jobId=none", {}, "").status,
      404);
  EXPECT_EQ(HttpCall("127.0.0.1", Port(), "PUT", "/fhir/$export", kJson, "{}").status, 405);
}

TEST_F(BulkExport, ACancelledJobAndItsFilesAreGone) {
  ExportRun run = RunExport(Port(), "/fhir/$export?_type=Patient");
  ASSERT_EQ(run.final.status, 200);
  std::string file =
      PathFromFhir(std::string(run.manifest.Find("output")->items()[0].GetString("url")));
  EXPECT_EQ(HttpCall("127.0.0.1", Port(), "GET", file, {}, "").status, 200);
  // A name the manifest does not list is never looked up on disk.
  std::string job_dir = file.substr(0, file.rfind('/'));
  EXPECT_EQ(HttpCall("127.0.0.1", Port(), "GET", job_dir + "/..%2F..%2Fsource.db", {}, "").status,
            404);
  EXPECT_EQ(HttpCall("127.0.0.1", Port(), "DELETE", run.status_path, {}, "").status, 202);
  EXPECT_EQ(HttpCall("127.0.0.1", Port(), "GET", run.status_path, {}, "").status, 404);
  EXPECT_EQ(HttpCall("127.0.0.1", Port(), "GET", file, {}, "").status, 404);
  EXPECT_EQ(HttpCall("127.0.0.1", Port(), "DELETE", run.status_path, {}, "").status, 404);
}

TEST_F(BulkExport, APostKickOffTakesAParametersResource) {
  HttpResult r = HttpCall(
      "127.0.0.1", Port(), "POST", "/fhir/$export",
      {{"Content-Type", "application/fhir+json"}, {"Prefer", "respond-async"}},
      R"({"resourceType":"Parameters","parameter":[{"name":"_type","valueString":"Organization"}]})");
  ASSERT_EQ(r.status, 202) << r.body;
  ExportRun run;
  run.status_path = PathFromFhir(r.headers["content-location"]);
  run = PollExport(Port(), run);
  ASSERT_EQ(run.final.status, 200);
  auto files = DownloadOutputs(Port(), run.manifest);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(static_cast<int64_t>(files["Organization"].size()),
            SearchTotal(Port(), "Organization?_summary=count"));
}

// An export runs on the job runner: one whose server was killed mid-way runs again, from the
// beginning and as its requester, once a server on the database is back, and completes.
TEST(BulkExportRestart, AnExportWhoseServerWasKilledCompletesWhenTheServerIsBack) {
  std::string dir = ExportFolder("restart");
  CommandOutput g =
      RunKangyun(KANGYUN_BINARY, "generate --residents 600 --seed 5 --out " + dir + "/city");
  ASSERT_EQ(g.exit_code, 0) << g.text;
  std::string db = TestStore(dir + "/export.db");
  CommandOutput l = RunKangyun(KANGYUN_BINARY, "load --db " + db + " " + dir + "/city");
  ASSERT_EQ(l.exit_code, 0) << l.text;
  auto server = std::make_unique<ServerProcess>(KANGYUN_BINARY, db);
  ASSERT_TRUE(server->ok());
  HttpResult kick =
      HttpCall("127.0.0.1", server->port(), "GET", "/fhir/$export",
               {{"Accept", "application/fhir+json"}, {"Prefer", "respond-async"}}, "");
  ASSERT_EQ(kick.status, 202) << kick.body;
  server->Kill9();  // at once: the export is queued, or part-way
  server = std::make_unique<ServerProcess>(KANGYUN_BINARY, db);
  ASSERT_TRUE(server->ok());
  ExportRun run;
  run.kick_off = kick;
  run.status_path = PathFromFhir(kick.headers["content-location"]);
  run = PollExport(server->port(), std::move(run), 120);
  ASSERT_EQ(run.final.status, 200) << run.final.body << run.final.error;
  auto files = DownloadOutputs(server->port(), run.manifest);
  ASSERT_GT(files["Patient"].size(), 500u);
  for (const auto& [type, lines] : files)
    EXPECT_EQ(static_cast<int64_t>(lines.size()),
              SearchTotal(server->port(), type + "?_summary=count"))
        << type;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kangyun::testing
