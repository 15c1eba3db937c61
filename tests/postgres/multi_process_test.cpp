// Several `kangyun serve` processes on one PostgreSQL database behave as one server: many
// clients, each request sent to a server picked at random, and afterwards every resource's
// history is checked: ids never collide, versions never fork, no update is lost, conditional
// creates create once, transactions are whole, and a paging link of one process works on
// another.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "json/json.h"
#include "tests/support/bulk_export_client.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

constexpr int kServers = 3, kClients = 12, kRounds = 25, kCounters = 4;

class MultiProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = FreshPostgresDatabase("kt_multi_" + std::to_string(getpid()));
    for (int s = 0; s < kServers; ++s) {
      servers_.push_back(std::make_unique<ServerProcess>(KANGYUN_BINARY, db_));
      ASSERT_TRUE(servers_.back()->ok()) << "server " << s;
    }
  }

  int Port(std::mt19937& rng) { return servers_[rng() % servers_.size()]->port(); }

  std::string db_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

json::Value ParseOk(const HttpResult& r) {
  auto v = json::Parse(r.body);
  EXPECT_TRUE(v.ok()) << r.status << " " << r.body.substr(0, 300);
  return v.ok() ? std::move(v).value() : json::Value::Object();
}

// A JSON number's value (-1 when absent).
int64_t Int(const json::Value* v) { return v && v->is_number() ? std::stoll(v->str()) : -1; }

std::string Counter(const std::string& id, int64_t value) {
  return R"({"resourceType":"Patient","id":")" + id + R"(","multipleBirthInteger":)" +
         std::to_string(value) + "}";
}

TEST_F(MultiProcess, ManyClientsOnSeveralServersActAsOneServer) {
  // Shared counters: every client increments them with read + If-Match update, on whichever
  // server. A lost update would leave a counter below the number of acknowledged increments.
  std::mt19937 setup_rng(7);
  for (int c = 0; c < kCounters; ++c)
    ASSERT_EQ(
        HttpCall("127.0.0.1", Port(setup_rng), "PUT", "/fhir/Patient/counter-" + std::to_string(c),
                 kJson, Counter("counter-" + std::to_string(c), 0))
            .status,
        201);

  std::mutex mu;
  std::multiset<std::string> created_ids;  // server-assigned ids of acknowledged creates
  std::map<std::string, int> increments;   // counter id -> acknowledged increments
  std::map<std::string, std::set<int64_t>> versions_acknowledged;
  std::vector<std::string> transactions;  // tags of acknowledged transaction Bundles
  std::atomic<int> failures{0};

  std::vector<std::thread> clients;
  for (int k = 0; k < kClients; ++k) {
    clients.emplace_back([&, k] {
      std::mt19937 rng(1000 + k);
      for (int n = 0; n < kRounds; ++n) {
        // A create: the id is the server's.
        HttpResult c = HttpCall("127.0.0.1", Port(rng), "POST", "/fhir/Observation", kJson,
                                R"({"resourceType":"Observation","status":"final",)"
                                R"("code":{"text":"multi"}})");
        if (c.status != 201) {
          ++failures;
        } else {
          std::lock_guard lock(mu);
          created_ids.insert(std::string(ParseOk(c).GetString("id")));
        }

        // An increment, retried on a version conflict (another process won the race).
        std::string counter = "counter-" + std::to_string(rng() % kCounters);
        for (int attempt = 0; attempt < 50; ++attempt) {
          HttpResult read =
              HttpCall("127.0.0.1", Port(rng), "GET", "/fhir/Patient/" + counter, {}, "");
          json::Value current = ParseOk(read);
          int64_t value = Int(current.Find("multipleBirthInteger"));
          std::string version(current.Find("meta")->GetString("versionId"));
          HttpResult put = HttpCall(
              "127.0.0.1", Port(rng), "PUT", "/fhir/Patient/" + counter,
              {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"" + version + "\""}},
              Counter(counter, value + 1));
          if (put.status == 412) continue;
          if (put.status != 200) {
            ++failures;
            break;
          }
          std::lock_guard lock(mu);
          ++increments[counter];
          versions_acknowledged[counter].insert(std::stoll(version) + 1);
          break;
        }

        // A conditional create of one identifier from every client: one resource results.
        std::string ident = "cond-" + std::to_string(n);
        HttpResult cond =
            HttpCall("127.0.0.1", Port(rng), "POST", "/fhir/Patient",
                     {{"Content-Type", "application/fhir+json"},
                      {"If-None-Exist", "identifier=urn:multi|" + ident}},
                     R"({"resourceType":"Patient","identifier":[{"system":"urn:multi","value":")" +
                         ident + R"("}]})");
        if (cond.status != 201 && cond.status != 200) ++failures;

        // A transaction of two resources that exist together or not at all.
        // (":text" matches a prefix: the tag ends with "." so that tx-1-1 does not match tx-1-10.)
        std::string tag = "tx-" + std::to_string(k) + "-" + std::to_string(n) + ".";
        HttpResult tx = HttpCall("127.0.0.1", Port(rng), "POST", "/fhir", kJson,
                                 PatientWithObservationBundle("urn:tx", tag));
        if (tx.status != 200) {
          ++failures;
        } else {
          std::lock_guard lock(mu);
          transactions.push_back(tag);
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);

  int port = servers_[0]->port();
  // Ids never collide: every acknowledged create has its own id, and each is readable.
  EXPECT_EQ(created_ids.size(), static_cast<size_t>(kClients * kRounds));
  EXPECT_EQ(std::set<std::string>(created_ids.begin(), created_ids.end()).size(),
            created_ids.size());
  for (const std::string& id : created_ids)
    EXPECT_EQ(HttpCall("127.0.0.1", port, "GET", "/fhir/Observation/" + id, {}, "").status, 200);

  // No update is lost and versions never fork: a counter's history is versions 1..n, one
  // each, version v holding the value v - 1.
  int total_increments = 0;
  for (int c = 0; c < kCounters; ++c) {
    std::string counter = "counter-" + std::to_string(c);
    total_increments += increments[counter];
    json::Value history = ParseOk(HttpCall(
        "127.0.0.1", port, "GET", "/fhir/Patient/" + counter + "/_history?_count=1000", {}, ""));
    std::set<int64_t> versions;
    for (const json::Value& e : history.Find("entry")->items()) {
      const json::Value* r = e.Find("resource");
      int64_t v = std::stoll(std::string(r->Find("meta")->GetString("versionId")));
      EXPECT_TRUE(versions.insert(v).second) << counter << " has version " << v << " twice";
      EXPECT_EQ(Int(r->Find("multipleBirthInteger")), v - 1) << counter << " version " << v;
    }
    EXPECT_EQ(versions.size(), static_cast<size_t>(increments[counter] + 1)) << counter;
    if (!versions.empty()) {
      EXPECT_EQ(*versions.begin(), 1);
      EXPECT_EQ(*versions.rbegin(), static_cast<int64_t>(versions.size()));
    }
    for (int64_t v : versions_acknowledged[counter]) EXPECT_TRUE(versions.count(v)) << v;
  }
  EXPECT_GT(total_increments, kClients * kRounds / 2);

  // Conditional creates: one Patient per identifier.
  for (int n = 0; n < kRounds; ++n) {
    json::Value found =
        ParseOk(HttpCall("127.0.0.1", port, "GET",
                         "/fhir/Patient?identifier=urn:multi|cond-" + std::to_string(n), {}, ""));
    EXPECT_EQ(Int(found.Find("total")), 1) << "cond-" << n;
  }

  // Transactions are whole: each tag has its Patient and its Observation.
  for (const std::string& tag : transactions) {
    json::Value p = ParseOk(
        HttpCall("127.0.0.1", port, "GET", "/fhir/Patient?identifier=urn:tx|" + tag, {}, ""));
    json::Value o =
        ParseOk(HttpCall("127.0.0.1", port, "GET", "/fhir/Observation?code:text=" + tag, {}, ""));
    EXPECT_EQ(Int(p.Find("total")), 1) << tag;
    EXPECT_EQ(Int(o.Find("total")), 1) << tag;
  }
}

TEST_F(MultiProcess, APagingLinkFromOneProcessWorksOnAnother) {
  for (int n = 0; n < 23; ++n)
    ASSERT_EQ(HttpCall("127.0.0.1", servers_[n % kServers]->port(), "PUT",
                       "/fhir/Patient/page-" + std::to_string(n), kJson,
                       R"({"resourceType":"Patient","id":"page-)" + std::to_string(n) +
                           R"(","active":true})")
                  .status,
              201);
  std::set<std::string> seen;
  std::string target = "/fhir/Patient?active=true&_count=5";
  for (int page = 0; !target.empty(); ++page) {
    ASSERT_LT(page, 10);
    // Each page from the next process in turn.
    int port = servers_[page % kServers]->port();
    json::Value bundle = ParseOk(HttpCall("127.0.0.1", port, "GET", target, {}, ""));
    for (const json::Value& e : bundle.Find("entry")->items())
      EXPECT_TRUE(seen.insert(std::string(e.Find("resource")->GetString("id"))).second);
    target.clear();
    for (const json::Value& link : bundle.Find("link")->items()) {
      if (link.GetString("relation") != "next") continue;
      std::string url(link.GetString("url"));
      target = url.substr(url.find("/fhir"));
    }
  }
  EXPECT_EQ(seen.size(), 23u);
}

TEST_F(MultiProcess, AnExportStartedOnOneProcessIsPolledAndFetchedOnAnother) {
  for (int n = 0; n < 7; ++n)
    ASSERT_EQ(HttpCall("127.0.0.1", servers_[0]->port(), "PUT",
                       "/fhir/Patient/export-" + std::to_string(n), kJson,
                       R"({"resourceType":"Patient","id":"export-)" + std::to_string(n) + R"("})")
                  .status,
              201);
  ExportRun run;
  run.kick_off = HttpCall("127.0.0.1", servers_[0]->port(), "GET", "/fhir/$export?_type=Patient",
                          {{"Prefer", "respond-async"}}, "");
  ASSERT_EQ(run.kick_off.status, 202) << run.kick_off.body;
  run.status_path = PathFromFhir(run.kick_off.headers["content-location"]);
  run = PollExport(servers_[1]->port(), run);
  ASSERT_EQ(run.final.status, 200) << run.final.body;
  auto files = DownloadOutputs(servers_[2]->port(), run.manifest);
  EXPECT_EQ(files["Patient"].size(), 7u);
  // Cancelled on a third process: gone for all of them.
  EXPECT_EQ(HttpCall("127.0.0.1", servers_[2]->port(), "DELETE", run.status_path, {}, "").status,
            202);
  EXPECT_EQ(HttpCall("127.0.0.1", servers_[0]->port(), "GET", run.status_path, {}, "").status, 404);
}

TEST_F(MultiProcess, ASearchParameterAddedOnOneProcessIndexesAndSearchesOnAll) {
  auto patient = [](const std::string& id, const std::string& code) {
    return R"({"resourceType":"Patient","id":")" + id +
           R"(","extension":[{"url":"http://kangyun.cn/fhir/StructureDefinition/ethnicity",)"
           R"("valueCoding":{"system":"http://kangyun.cn/fhir/CodeSystem/GB3304","code":")" +
           code + R"("}}]})";
  };
  ASSERT_EQ(HttpCall("127.0.0.1", servers_[1]->port(), "PUT", "/fhir/Patient/before", kJson,
                     patient("before", "01"))
                .status,
            201);
  ASSERT_EQ(
      HttpCall(
          "127.0.0.1", servers_[0]->port(), "POST", "/fhir/SearchParameter", kJson,
          R"({"resourceType":"SearchParameter","url":"http://kangyun.cn/fhir/SearchParameter/ethnicity",)"
          R"("name":"ethnicity","status":"active","description":"GB 3304 ethnicity","code":"ethnicity",)"
          R"("base":["Patient"],"type":"token","expression":"Patient.extension.where(url = 'http://kangyun.cn/fhir/StructureDefinition/ethnicity').value"})")
          .status,
      201);
  // Written through another process right after: indexed for the new parameter there too.
  ASSERT_EQ(HttpCall("127.0.0.1", servers_[1]->port(), "PUT", "/fhir/Patient/after", kJson,
                     patient("after", "01"))
                .status,
            201);
  // A third process searches by it: both, once it has looked (within a second) and the
  // re-index on the first process has passed the older one.
  std::string body;
  for (int attempt = 0; attempt < 50; ++attempt) {
    HttpResult r =
        HttpCall("127.0.0.1", servers_[2]->port(), "GET", "/fhir/Patient?ethnicity=01&_sort=_id",
                 {{"Prefer", "handling=strict"}}, "");
    body = r.body;
    if (r.status == 200 && Int(ParseOk(r).Find("total")) == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  json::Value found = ParseOk(HttpResult{200, {}, body, ""});
  ASSERT_EQ(Int(found.Find("total")), 2) << body;
  EXPECT_EQ(found.Find("entry")->items()[0].Find("resource")->GetString("id"), "after");
  EXPECT_EQ(found.Find("entry")->items()[1].Find("resource")->GetString("id"), "before");
}

}  // namespace
}  // namespace kangyun::testing
