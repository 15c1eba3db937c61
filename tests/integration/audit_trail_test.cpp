// The audit trail as its readers see it: AuditEvent resources built from the audit log,
// searched by the parameters audits use, paged through however many records match, and never
// written, changed or given a history.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "json/json.h"
#include "tests/support/audit_archive_flow.h"
#include "tests/support/bulk_export_client.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

// The ids of a searchset's AuditEvents, in order.
std::vector<std::string> Ids(const HttpResult& r) {
  std::vector<std::string> out;
  auto b = json::Parse(r.body);
  if (!b.ok()) return out;
  if (const json::Value* entries = b->Find("entry"))
    for (const json::Value& e : entries->items())
      if (const json::Value* res = e.Find("resource");
          res && res->GetString("resourceType") == "AuditEvent")
        out.emplace_back(res->GetString("id"));
  return out;
}

std::string NextLink(const HttpResult& r) {
  auto b = json::Parse(r.body);
  if (!b.ok() || !b->Find("link")) return "";
  for (const json::Value& l : b->Find("link")->items())
    if (l.GetString("relation") == "next") return std::string(l.GetString("url"));
  return "";
}

class AuditTrail : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ScratchFolder("audit", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    server_ = std::make_unique<ServerProcess>(KANGYUN_BINARY, dir_ + "/a.db");
    ASSERT_TRUE(server_->ok());
  }
  HttpResult Call(const std::string& method, const std::string& path,
                  const std::string& body = "") {
    return HttpCall("127.0.0.1", server_->port(), method, "/fhir/" + path,
                    body.empty() ? std::vector<std::pair<std::string, std::string>>{} : kJson,
                    body);
  }
  std::string dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(AuditTrail, EveryParameterFindsWhatItNames) {
  ASSERT_EQ(Call("PUT", "Patient/p1", R"({"resourceType":"Patient","id":"p1"})").status, 201);
  ASSERT_EQ(Call("GET", "Patient/p1").status, 200);
  ASSERT_EQ(Call("GET", "Patient/nobody").status, 404);
  ASSERT_EQ(Call("GET", "Observation?code=none").status, 200);

  // The read is on record the moment it was answered: the trail is read after what came
  // before it.
  HttpResult reads = Call("GET", "AuditEvent?patient=Patient/p1&action=R");
  ASSERT_EQ(reads.status, 200) << reads.body;
  EXPECT_EQ(TotalOf(reads), 1) << reads.body;
  EXPECT_NE(reads.body.find("\"subtype\":[{\"system\":\"http://hl7.org/fhir/restful-interaction\","
                            "\"code\":\"read\"}]"),
            std::string::npos)
      << reads.body;
  // Each search of the trail is on record too (as a search): the searches below count
  // records of other interactions.
  EXPECT_EQ(TotalOf(Call("GET", "AuditEvent?patient=p1&subtype=update")), 1);
  EXPECT_EQ(TotalOf(Call("GET", "AuditEvent?outcome=4")), 1);  // the read of nobody
  EXPECT_EQ(TotalOf(Call("GET", "AuditEvent?entity=Patient/p1&subtype=update,read")), 2);
  EXPECT_EQ(TotalOf(Call("GET",
                         "AuditEvent?subtype=http://hl7.org/fhir/restful-interaction|"
                         "read&outcome=0,8")),
            1);
  EXPECT_EQ(TotalOf(Call("GET", "AuditEvent?subtype=http://dicom.nema.org/x|read")), 0);
  EXPECT_EQ(TotalOf(Call("GET", "AuditEvent?altid=anonymous&type=rest&action=R")), 2);
  EXPECT_EQ(TotalOf(Call("GET", "AuditEvent?altid=someone-else")), 0);
  EXPECT_EQ(TotalOf(Call("GET", "AuditEvent?date=ge2020-01-01&date=lt2100&action=R")), 2);
  EXPECT_EQ(TotalOf(Call("GET", "AuditEvent?date=lt2020")), 0);
  // The search of Observations showed no resident's record; every read named one.
  EXPECT_EQ(TotalOf(Call("GET", "AuditEvent?patient:missing=true&entity=Patient/p1")), 0);
  EXPECT_EQ(TotalOf(Call("GET", "AuditEvent?patient:missing=false&action=R")), 2);
  HttpResult no_patient = Call("GET", "AuditEvent?patient:missing=true&_count=1");
  ASSERT_EQ(Ids(no_patient).size(), 1u);
  EXPECT_NE(no_patient.body.find("GET Observation?code=none"), std::string::npos)
      << no_patient.body;

  // One by id, as the search gave it.
  std::vector<std::string> ids = Ids(Call("GET", "AuditEvent?outcome=4"));
  ASSERT_EQ(ids.size(), 1u);
  HttpResult one = Call("GET", "AuditEvent/" + ids[0]);
  ASSERT_EQ(one.status, 200);
  EXPECT_NE(one.body.find("Patient/nobody"), std::string::npos) << one.body;
  EXPECT_EQ(Call("GET", "AuditEvent/" + ids[0] + "/_history/1").status, 200);
  EXPECT_EQ(Call("GET", "AuditEvent/" + ids[0] + "/_history/2").status, 404);
  EXPECT_EQ(TotalOf(Call("GET", "AuditEvent?_id=" + ids[0])), 1);
  EXPECT_EQ(Call("GET", "AuditEvent/999999").status, 404);
  EXPECT_EQ(Call("GET", "AuditEvent/not-a-number").status, 404);
}

TEST_F(AuditTrail, NoRecordIsWrittenChangedOrGivenAHistory) {
  ASSERT_EQ(Call("GET", "Patient/p1").status, 404);
  std::vector<std::string> ids = Ids(Call("GET", "AuditEvent"));
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(Call("POST", "AuditEvent", R"({"resourceType":"AuditEvent"})").status, 403);
  EXPECT_EQ(Call("PUT", "AuditEvent/" + ids[0],
                 R"({"resourceType":"AuditEvent","id":")" + ids[0] + R"("})")
                .status,
            403);
  EXPECT_EQ(Call("DELETE", "AuditEvent/" + ids[0]).status, 403);
  HttpResult history = Call("GET", "AuditEvent/" + ids[0] + "/_history");
  EXPECT_EQ(history.status, 400);
  EXPECT_NE(history.body.find("no history"), std::string::npos) << history.body;
  EXPECT_EQ(Call("GET", "AuditEvent/_history").status, 400);
}

TEST_F(AuditTrail, BadSearchesAreRefusedNamingTheParameter) {
  HttpResult unknown = HttpCall("127.0.0.1", server_->port(), "GET", "/fhir/AuditEvent?policy=x",
                                {{"Prefer", "handling=strict"}}, "");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("policy"), std::string::npos) << unknown.body;
  // Lenient (the default): ignored, and the Bundle says so.
  HttpResult lenient = Call("GET", "AuditEvent?policy=x");
  EXPECT_EQ(lenient.status, 200);
  EXPECT_NE(lenient.body.find("ignored: policy"), std::string::npos) << lenient.body;
  for (const char* bad : {"date=tomorrow", "date=ne2020", "patient=a,b", "_sort=outcome",
                          "_cursor=x", "outcome:exact=4", "patient:missing=maybe"}) {
    HttpResult r = Call("GET", std::string("AuditEvent?") + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos) << bad;
  }
}

// Keyset paging: every page follows the last record of the one before, so the pages hold
// every match once, in order, however many there are.
TEST_F(AuditTrail, PagesHoldEveryMatchOnceInOrder) {
  for (int i = 0; i < 23; ++i) ASSERT_EQ(Call("GET", "Patient/p" + std::to_string(i)).status, 404);
  HttpResult first = Call("GET", "AuditEvent?action=R&_count=5");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(TotalOf(first), 23);
  std::vector<std::string> all = Ids(first);
  std::string next = NextLink(first);
  int pages = 1;
  while (!next.empty() && pages < 20) {
    size_t fhir = next.find("/fhir/");
    ASSERT_NE(fhir, std::string::npos) << next;
    HttpResult page = HttpCall("127.0.0.1", server_->port(), "GET", next.substr(fhir), {}, "");
    ASSERT_EQ(page.status, 200) << page.body;
    for (const std::string& id : Ids(page)) all.push_back(id);
    next = NextLink(page);
    ++pages;
  }
  EXPECT_EQ(pages, 5);
  ASSERT_EQ(all.size(), 23u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 23u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(std::stoll(all[i - 1]), std::stoll(all[i]));
  // Newest first.
  std::vector<std::string> newest = Ids(Call("GET", "AuditEvent?action=R&_sort=-date&_count=3"));
  ASSERT_EQ(newest.size(), 3u);
  EXPECT_EQ(newest[0], all.back());
  EXPECT_GT(std::stoll(newest[0]), std::stoll(newest[1]));
  // A count asks for no records.
  HttpResult count = Call("GET", "AuditEvent?action=R&_summary=count");
  EXPECT_EQ(TotalOf(count), 23);
  EXPECT_TRUE(Ids(count).empty());
}

// The audit trail is exported from its log by name, at system level, with `_since`; not in a
// Patient or Group export (one resident's is searched by patient).
TEST_F(AuditTrail, IsExportedWholeByName) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Call("GET", "Patient/e" + std::to_string(i)).status, 404);
  ExportRun run = RunExport(server_->port(), "/fhir/$export?_type=AuditEvent");
  ASSERT_EQ(run.final.status, 200) << run.final.body;
  auto files = DownloadOutputs(server_->port(), run.manifest);
  ASSERT_EQ(files.count("AuditEvent"), 1u) << json::Write(run.manifest);
  const auto& lines = files["AuditEvent"];
  EXPECT_GE(lines.size(), 5u);
  int reads = 0;
  for (const std::string& line : lines) {
    auto event = json::Parse(line);
    ASSERT_TRUE(event.ok()) << line;
    EXPECT_EQ(event->GetString("resourceType"), "AuditEvent");
    EXPECT_FALSE(event->GetString("id").empty());
    if (line.find("Patient/e") != std::string::npos) ++reads;
  }
  EXPECT_EQ(reads, 5);
  // Records from a time on: none from the future.
  ExportRun later =
      RunExport(server_->port(), "/fhir/$export?_type=AuditEvent&_since=2100-01-01T00:00:00Z");
  ASSERT_EQ(later.final.status, 200) << later.final.body;
  EXPECT_EQ(DownloadOutputs(server_->port(), later.manifest).count("AuditEvent"), 0u);
  // Not part of a Patient export.
  ExportRun patient = RunExport(server_->port(), "/fhir/Patient/$export?_type=AuditEvent");
  EXPECT_EQ(patient.kick_off.status, 400) << patient.kick_off.body;
  EXPECT_NE(patient.kick_off.body.find("system level"), std::string::npos) << patient.kick_off.body;
}

}  // namespace
}  // namespace kangyun::testing

namespace kangyun::testing {
namespace {

// Months moved out by `kangyun audit archive` stay searchable by resident: a server given the
// archive folder finds a resident's archived records, in order and paged, and reads one by
// id; the store keeps none of their rows, and the chain verifies across the files.
TEST(AuditArchive, AResidentsArchivedRecordsAreFoundByAuditEventSearch) {
  std::string dir = ScratchFolder("audit-archive");
  std::string db = TestStore(dir + "/a.db"), archive = dir + "/archive";
  std::filesystem::create_directories(archive);
  RecordOldReads(db, 40);  // 15 September to 24 October 2026
  CommandOutput archived = RunKangyun(
      KANGYUN_BINARY, "audit archive --db " + db + " --dir " + archive + " --keep-months 0");
  ASSERT_EQ(archived.exit_code, 0) << archived.text;
  EXPECT_NE(archived.text.find("archived 2026-09: records 1 to 16"), std::string::npos)
      << archived.text;
  EXPECT_NE(archived.text.find("archived 2026-10: records 17 to 40"), std::string::npos);
  CommandOutput verified =
      RunKangyun(KANGYUN_BINARY, "audit verify --db " + db + " --archive " + archive);
  EXPECT_EQ(verified.exit_code, 0) << verified.text;
  EXPECT_NE(verified.text.find("40 audit events"), std::string::npos) << verified.text;

  // Patient/p1 was read on days 1, 6, 11, ..., 36: records 2, 7, 12, ..., 37.
  const std::string old = "AuditEvent?patient=p1&date=lt2026-11-01";
  {
    ServerProcess server(KANGYUN_BINARY, db, {"--audit-archive", archive});
    ASSERT_TRUE(server.ok());
    auto get = [&](const std::string& path) {
      return HttpCall("127.0.0.1", server.port(), "GET", path, {}, "");
    };
    HttpResult first = get("/fhir/" + old + "&_count=3");
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(TotalOf(first), 8);
    std::vector<std::string> all = Ids(first);
    for (std::string next = NextLink(first); !next.empty();) {
      HttpResult page = get(next.substr(next.find("/fhir/")));
      ASSERT_EQ(page.status, 200) << page.body;
      for (const std::string& id : Ids(page)) all.push_back(id);
      next = NextLink(page);
    }
    EXPECT_EQ(all, (std::vector<std::string>{"2", "7", "12", "17", "22", "27", "32", "37"}));
    std::vector<std::string> newest = Ids(get("/fhir/" + old + "&_sort=-date&_count=2"));
    EXPECT_EQ(newest, (std::vector<std::string>{"37", "32"}));
    HttpResult one = get("/fhir/AuditEvent/12");
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_NE(one.body.find("Patient/p1"), std::string::npos) << one.body;
  }
  // Without the folder the server has none of them: they left the store.
  ServerProcess server(KANGYUN_BINARY, db);
  ASSERT_TRUE(server.ok());
  HttpResult none = HttpCall("127.0.0.1", server.port(), "GET", "/fhir/" + old, {}, "");
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(TotalOf(none), 0);
}

}  // namespace
}  // namespace kangyun::testing
