// Concurrent writers share commits (group commit): one writer's rollback never takes another's
// acknowledged write with it, and every acknowledged write is there afterwards.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

TEST(GroupCommit, RollbacksOfSomeWritersKeepTheOthersWrites) {
  auto dir = std::filesystem::temp_directory_path() / ("kangyun-group-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  ServerProcess server(KANGYUN_BINARY, (dir / "g.db").string());
  ASSERT_TRUE(server.ok());
  ASSERT_EQ(HttpCall("127.0.0.1", server.port(), "PUT", "/fhir/Patient/shared", kJson,
                     R"({"resourceType":"Patient","id":"shared","active":true})")
                .status,
            201);
  std::mutex mu;
  std::set<std::string> created;
  std::atomic<int> refused{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      for (int n = 0; n < 40; ++n) {
        std::string id = "g" + std::to_string(w) + "-" + std::to_string(n);
        HttpResult ok = HttpCall("127.0.0.1", server.port(), "PUT", "/fhir/Patient/" + id, kJson,
                                 R"({"resourceType":"Patient","id":")" + id + R"("})");
        if (ok.status == 201) {
          std::lock_guard lock(mu);
          created.insert(id);
        }
        // Always refused: a stale If-Match, and a transaction whose second entry is invalid.
        HttpResult stale =
            HttpCall("127.0.0.1", server.port(), "PUT", "/fhir/Patient/shared",
                     {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"999\""}},
                     R"({"resourceType":"Patient","id":"shared","active":false})");
        HttpResult bad_tx = HttpCall(
            "127.0.0.1", server.port(), "POST", "/fhir", kJson,
            R"({"resourceType":"Bundle","type":"transaction","entry":[)"
            R"({"resource":{"resourceType":"Patient","id":"tx-)" +
                id + R"("},"request":{"method":"PUT","url":"Patient/tx-)" + id +
                R"("}},)"
                R"({"resource":{"resourceType":"Patient","gender":"x"},"request":{"method":"POST","url":"Patient"}}]})");
        if (stale.status == 412 && bad_tx.status == 422) ++refused;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(created.size(), 320u);
  EXPECT_EQ(refused.load(), 320);
  for (const std::string& id : created) {
    EXPECT_EQ(HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient/" + id, {}, "").status,
              200)
        << id;
    EXPECT_EQ(HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient/tx-" + id, {}, "").status,
              404)
        << "half of a failed transaction was kept: tx-" << id;
  }
  HttpResult shared = HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient/shared", {}, "");
  EXPECT_NE(shared.body.find("\"versionId\":\"1\""), std::string::npos) << shared.body;
  EXPECT_NE(shared.body.find("\"active\":true"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kangyun::testing
