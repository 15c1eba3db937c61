// A generated city goes into the store through `kangyun load`, by the bulk path and through
// the API, and the server then answers for every resource of it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "json/json.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

namespace fs = std::filesystem;

using Output = CommandOutput;

std::string LoadFolder(const std::string& name) { return ScratchFolder("kangyun-load", name); }

// Lines per type of a generated folder.
std::map<std::string, int64_t> CountLines(const std::string& dir) {
  std::map<std::string, int64_t> counts;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".ndjson") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) ++counts[entry.path().stem().string()];
  }
  return counts;
}

const std::string& City() {
  static const std::string dir = [] {
    std::string d = LoadFolder("city") + "/city";
    Output o = RunKangyun(KANGYUN_BINARY, "generate --residents 120 --seed 5 --out " + d);
    EXPECT_EQ(o.exit_code, 0) << o.text;
    return d;
  }();
  return dir;
}

void ExpectEveryTypeServed(int port, const std::map<std::string, int64_t>& lines) {
  ASSERT_GT(lines.size(), 15u);
  for (const auto& [type, count] : lines)
    EXPECT_EQ(SearchTotal(port, type + "?_summary=count"), count) << type;
}

TEST(CityLoad, BulkPathStoresEveryResourceSearchableAsTheApiWouldIndexIt) {
  std::string db = LoadFolder("bulk") + "/city.db";
  Output o = RunKangyun(KANGYUN_BINARY, "load --db " + TestStore(db) + " " + City());
  ASSERT_EQ(o.exit_code, 0) << o.text;
  EXPECT_NE(o.text.find("0 refused"), std::string::npos) << o.text;
  // The platform's own content, stored when the store opened, does not stop the bulk path.
  EXPECT_NE(o.text.find("bulk path"), std::string::npos) << o.text;
  auto lines = CountLines(City());
  ServerProcess server(KANGYUN_BINARY, db);
  ASSERT_TRUE(server.ok());
  ExpectEveryTypeServed(server.port(), lines);

  // The index rows are the API's: identifier, reference, chain and date searches find them.
  HttpResult patient = HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient/pat-1", {}, "");
  ASSERT_EQ(patient.status, 200);
  auto p = json::Parse(patient.body);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Find("meta")->GetString("versionId"), "1");
  std::string citizen_id;
  for (const json::Value& ident : p->Find("identifier")->items())
    if (ident.GetString("system") == "urn:oid:2.16.156.10011.1.3")
      citizen_id = std::string(ident.GetString("value"));
  ASSERT_FALSE(citizen_id.empty());
  EXPECT_EQ(
      SearchTotal(server.port(), "Patient?identifier=urn:oid:2.16.156.10011.1.3|" + citizen_id), 1);
  int64_t encounters = 0;
  std::ifstream in(City() + "/Encounter.ndjson");
  for (std::string line; std::getline(in, line);)
    encounters += line.find("\"Patient/pat-1\"") != std::string::npos;
  EXPECT_EQ(SearchTotal(server.port(), "Encounter?subject=Patient/pat-1"), encounters);
  EXPECT_EQ(
      SearchTotal(server.port(),
                  "Encounter?subject:Patient.identifier=urn:oid:2.16.156.10011.1.3|" + citizen_id),
      encounters);
  EXPECT_EQ(SearchTotal(server.port(), "Observation?date=ge2025-07-01&date=lt2026-07-02"),
            lines["Observation"]);
  server.Terminate();

  // Loading again makes new versions, not duplicates.
  o = RunKangyun(KANGYUN_BINARY, "load --db " + TestStore(db) + " " + City());
  ASSERT_EQ(o.exit_code, 0) << o.text;
  ServerProcess again(KANGYUN_BINARY, db);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(SearchTotal(again.port(), "Patient?_summary=count"), lines["Patient"]);
  HttpResult v2 = HttpCall("127.0.0.1", again.port(), "GET", "/fhir/Patient/pat-1", {}, "");
  EXPECT_NE(v2.body.find("\"versionId\":\"2\""), std::string::npos) << v2.body.substr(0, 300);
}

TEST(CityLoad, ThroughTheApiAsTransactionBundles) {
  std::string db = LoadFolder("api") + "/city.db";
  ServerProcess server(KANGYUN_BINARY, db);
  ASSERT_TRUE(server.ok());
  Output o =
      RunKangyun(KANGYUN_BINARY, "load --url http://127.0.0.1:" + std::to_string(server.port()) +
                                     "/fhir " + City() + " --connections 3 --bundle-size 50");
  ASSERT_EQ(o.exit_code, 0) << o.text;
  EXPECT_NE(o.text.find("0 refused"), std::string::npos) << o.text;
  ExpectEveryTypeServed(server.port(), CountLines(City()));
}

TEST(CityLoad, RefusedLinesAreNamedAndTheRestIsLoaded) {
  std::string dir = LoadFolder("bad");
  {
    std::ofstream out(dir + "/Patient.ndjson");
    out << R"({"resourceType":"Patient","id":"good-1","gender":"female"})"
        << "\n";
    out << R"({"resourceType":"Patient","id":"bad-json",)"
        << "\n";
    out << R"({"resourceType":"Patient","id":"bad-gender","gender":17})"
        << "\n";
    out << R"({"resourceType":"Patient","gender":"male"})"
        << "\n";
    out << R"({"resourceType":"Patient","id":"good-2"})"
        << "\n";
  }
  std::string db = dir + "/x.db";
  Output o = RunKangyun(KANGYUN_BINARY, "load --db " + TestStore(db) + " " + dir);
  EXPECT_EQ(o.exit_code, 1) << o.text;
  EXPECT_NE(o.text.find("Patient.ndjson:2:"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("Patient.ndjson:3:"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("Patient.gender"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("Patient.ndjson:4:"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("loaded 2 resources"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("3 refused"), std::string::npos) << o.text;
  ServerProcess server(KANGYUN_BINARY, db);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(SearchTotal(server.port(), "Patient?_summary=count"), 2);

  Output usage = RunKangyun(KANGYUN_BINARY, "load " + dir);
  EXPECT_EQ(usage.exit_code, 2);
  Output empty =
      RunKangyun(KANGYUN_BINARY, "load --db " + TestStore(db) + " " + LoadFolder("empty"));
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.text.find("no .ndjson files"), std::string::npos) << empty.text;
}

TEST(CityLoad, AnIdTwiceInOneLoadIsIndexedAsItsLastVersion) {
  std::string dir = LoadFolder("twice");
  {
    std::ofstream out(dir + "/Patient.ndjson");
    out << R"({"resourceType":"Patient","id":"twice","gender":"female","name":[{"family":"Li"}]})"
        << "\n";
    out << R"({"resourceType":"Patient","id":"twice","gender":"male","name":[{"family":"Wang"}]})"
        << "\n";
  }
  std::string db = dir + "/x.db";
  Output o = RunKangyun(KANGYUN_BINARY, "load --db " + TestStore(db) + " " + dir);
  ASSERT_EQ(o.exit_code, 0) << o.text;
  ServerProcess server(KANGYUN_BINARY, db);
  ASSERT_TRUE(server.ok());
  // One batch, one transaction: the second version's index rows replace the first's.
  EXPECT_EQ(SearchTotal(server.port(), "Patient?family=Wang&gender=male"), 1);
  EXPECT_EQ(SearchTotal(server.port(), "Patient?family=Li"), 0);
  EXPECT_EQ(SearchTotal(server.port(), "Patient?gender=female"), 0);
  HttpResult r = HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient/twice", {}, "");
  EXPECT_NE(r.body.find("\"versionId\":\"2\""), std::string::npos) << r.body;
}

// A second load of resources the store holds already adds their next versions, indexed anew,
// beside new resources in the same batch.
TEST(CityLoad, LoadingAgainAddsVersionsOfStoredResources) {
  std::string first = LoadFolder("again-1"), second = LoadFolder("again-2");
  {
    std::ofstream out(first + "/Patient.ndjson");
    out << R"({"resourceType":"Patient","id":"again","name":[{"family":"Li"}]})"
        << "\n";
  }
  {
    std::ofstream out(second + "/Patient.ndjson");
    out << R"({"resourceType":"Patient","id":"again","name":[{"family":"Wang"}]})"
        << "\n";
    out << R"({"resourceType":"Patient","id":"new-one","name":[{"family":"Wang"}]})"
        << "\n";
  }
  std::string db = first + "/x.db";
  ASSERT_EQ(RunKangyun(KANGYUN_BINARY, "load --db " + TestStore(db) + " " + first).exit_code, 0);
  Output o = RunKangyun(KANGYUN_BINARY, "load --db " + TestStore(db) + " " + second);
  ASSERT_EQ(o.exit_code, 0) << o.text;
  ServerProcess server(KANGYUN_BINARY, db);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(SearchTotal(server.port(), "Patient?family=Wang"), 2);
  EXPECT_EQ(SearchTotal(server.port(), "Patient?family=Li"), 0);
  HttpResult r = HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient/again", {}, "");
  EXPECT_NE(r.body.find("\"versionId\":\"2\""), std::string::npos) << r.body;
  r = HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient/again/_history", {}, "");
  EXPECT_NE(r.body.find("\"total\":2"), std::string::npos) << r.body;
}

TEST(CityGenerate, RefusesBadOptionsWithAClearMessage) {
  std::string out = LoadFolder("options") + "/city";
  Output none = RunKangyun(KANGYUN_BINARY, "generate --residents 0 --out " + out);
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.text.find("--residents must be at least 1"), std::string::npos) << none.text;
  Output date =
      RunKangyun(KANGYUN_BINARY, "generate --residents 5 --as-of 2026-13-45 --out " + out);
  EXPECT_NE(date.exit_code, 0);
  EXPECT_NE(date.text.find("--as-of must be a date"), std::string::npos) << date.text;
  Output share = RunKangyun(KANGYUN_BINARY, "generate --residents 5 --duplicates 1.5 --out " + out);
  EXPECT_NE(share.exit_code, 0);
  EXPECT_NE(share.text.find("--duplicates"), std::string::npos) << share.text;
  Output unknown = RunKangyun(KANGYUN_BINARY, "generate --residents 5 --colour red --out " + out);
  EXPECT_EQ(unknown.exit_code, 2);
  Output ok = RunKangyun(KANGYUN_BINARY, "generate --residents 5 --seed 3 --out " + out);
  EXPECT_EQ(ok.exit_code, 0) << ok.text;
  EXPECT_TRUE(fs::exists(out + "/Patient.ndjson"));
}

}  // namespace
}  // namespace kangyun::testing
