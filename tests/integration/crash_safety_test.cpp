// Nothing acknowledged is lost: clients write while the server is killed with SIGKILL at a
// random moment; after a restart every acknowledged create and update is there, and no
// transaction is half applied.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "json/json.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

std::filesystem::path TempDir(const std::string& name) {
  auto dir =
      std::filesystem::temp_directory_path() / ("kangyun-" + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(CrashSafety, Kill9LosesNoAcknowledgedWrite) {
  auto dir = TempDir("crash");
  std::string db = (dir / "crash.db").string();
  std::mt19937 rng(42);
  std::map<std::string, int> acknowledged;  // id -> last acknowledged version
  std::vector<std::string> acked_transactions;
  std::mutex mu;
  for (int round = 0; round < 5; ++round) {
    ServerProcess server(KANGYUN_BINARY, db);
    ASSERT_TRUE(server.ok()) << "round " << round;
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        int n = 0;
        while (!stop) {
          std::string id =
              "r" + std::to_string(round) + "-w" + std::to_string(w) + "-" + std::to_string(n++);
          HttpResult r =
              HttpCall("127.0.0.1", server.port(), "PUT", "/fhir/Patient/" + id, kJson,
                       R"({"resourceType":"Patient","id":")" + id + R"(","active":true})", 5);
          if (r.status == 201) {
            std::lock_guard lock(mu);
            acknowledged[id] = 1;
          }
          // A transaction of two resources that must appear together or not at all.
          std::string tag = id + "-tx";
          HttpResult t = HttpCall("127.0.0.1", server.port(), "POST", "/fhir", kJson,
                                  PatientWithObservationBundle("urn:tx", tag), 5);
          if (t.status == 200) {
            std::lock_guard lock(mu);
            acked_transactions.push_back(tag);
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
    server.Kill9();
    stop = true;
    for (auto& t : writers) t.join();
  }
  ServerProcess server(KANGYUN_BINARY, db);
  ASSERT_TRUE(server.ok());
  ASSERT_GT(acknowledged.size(), 10u);
  for (const auto& [id, version] : acknowledged) {
    HttpResult r = HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient/" + id, {}, "");
    EXPECT_EQ(r.status, 200) << id << " was acknowledged but is gone";
  }
  // Every transaction is whole: each tag has its Patient and its Observation, or neither.
  HttpResult patients = HttpCall("127.0.0.1", server.port(), "GET",
                                 "/fhir/Patient?identifier=urn:tx|&_count=0", {}, "");
  HttpResult observations =
      HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Observation?_count=0", {}, "");
  auto p = json::Parse(patients.body);
  auto o = json::Parse(observations.body);
  ASSERT_TRUE(p.ok() && o.ok());
  EXPECT_EQ(p->Find("total")->str(), o->Find("total")->str());
  EXPECT_GE(std::stoi(p->Find("total")->str()), static_cast<int>(acked_transactions.size()));
  for (const std::string& tag : acked_transactions) {
    HttpResult r = HttpCall("127.0.0.1", server.port(), "GET",
                            "/fhir/Observation?code:text=" + tag + "&_count=0", {}, "");
    EXPECT_NE(r.body.find("\"total\":1"), std::string::npos) << tag;
  }
  // No acknowledged write lacks its audit record, and the chain the kills cut is whole.
  for (const auto& [id, version] : acknowledged) {
    HttpResult r =
        HttpCall("127.0.0.1", server.port(), "GET",
                 "/fhir/AuditEvent?patient=" + id + "&subtype=update&_summary=count", {}, "");
    EXPECT_GE(TotalOf(r), 1) << id << " was acknowledged but its audit record is gone";
  }
  server.Terminate();
  CommandOutput chain = RunKangyun(KANGYUN_BINARY, "audit verify --db sqlite:" + db);
  EXPECT_EQ(chain.exit_code, 0) << chain.text;
  std::filesystem::remove_all(dir);
}

TEST(Shutdown, SigtermStopsCleanlyAndDataSurvives) {
  auto dir = TempDir("term");
  std::string db = (dir / "t.db").string();
  {
    ServerProcess server(KANGYUN_BINARY, db);
    ASSERT_TRUE(server.ok());
    HttpResult r = HttpCall("127.0.0.1", server.port(), "PUT", "/fhir/Patient/t1", kJson,
                            R"({"resourceType":"Patient","id":"t1"})");
    ASSERT_EQ(r.status, 201);
    server.Terminate();
  }
  ServerProcess again(KANGYUN_BINARY, db);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(HttpCall("127.0.0.1", again.port(), "GET", "/fhir/Patient/t1", {}, "").status, 200);
  std::filesystem::remove_all(dir);
}

TEST(Examples, DemoBundleLoads) {
  auto dir = TempDir("demo");
  ServerProcess server(KANGYUN_BINARY, (dir / "d.db").string());
  ASSERT_TRUE(server.ok());
  std::ifstream in(std::string(KANGYUN_SOURCE_DIR) + "/examples/demo-bundle.json");
  std::stringstream ss;
  ss << in.rdbuf();
  HttpResult r = HttpCall("127.0.0.1", server.port(), "POST", "/fhir", kJson, ss.str());
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  HttpResult everything =
      HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient/wang-xm/$everything", {}, "");
  EXPECT_EQ(everything.status, 200);
  EXPECT_NE(everything.body.find("cond-wang-htn"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(SlowClients, AnAbandonedConnectionDoesNotBlockOthers) {
  auto dir = TempDir("slow");
  ServerProcess server(KANGYUN_BINARY, (dir / "s.db").string(),
                       {"--read-timeout", "2", "--threads", "2"});
  ASSERT_TRUE(server.ok());
  // Many connections that send half a request and then nothing.
  std::vector<std::thread> slow;
  for (int i = 0; i < 20; ++i)
    slow.emplace_back([&] {
      RawExchange("127.0.0.1", server.port(),
                  "POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{", 10);
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto start = std::chrono::steady_clock::now();
  HttpResult r = HttpCall("127.0.0.1", server.port(), "GET", "/fhir/metadata", {}, "", 10);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(elapsed, std::chrono::seconds(2)) << "a stalled client held up the server";
  for (auto& t : slow) t.join();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kangyun::testing
