// The embedded store's backup is taken while the server serves and writes go on; the copy is a
// consistent moment (every write acknowledged before it began is there, no transaction is
// half there); a restore puts it back, and is refused while the store is open.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "json/json.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

namespace fs = std::filesystem;

TEST(SqliteBackup, ACopyTakenWhileServingIsConsistentAndRestores) {
  fs::path dir = fs::temp_directory_path() / ("kangyun-backup-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string live = (dir / "live.db").string(), copy = (dir / "copy.db").string();
  std::mutex mu;
  std::set<std::string> acknowledged;
  std::set<std::string> before_backup;  // acknowledged before the backup started
  {
    ServerProcess server(KANGYUN_BINARY, "sqlite:" + live);
    ASSERT_TRUE(server.ok());
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < 3; ++w) {
      writers.emplace_back([&, w] {
        for (int n = 0; !stop; ++n) {
          std::string tag = "w" + std::to_string(w) + "-" + std::to_string(n) + ".";
          // A Patient and its Observation in one transaction: both or neither in any copy.
          HttpResult r = HttpCall("127.0.0.1", server.port(), "POST", "/fhir", kJson,
                                  PatientWithObservationBundle("urn:b", tag));
          if (r.status == 200) {
            std::lock_guard lock(mu);
            acknowledged.insert(tag);
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    {
      std::lock_guard lock(mu);
      before_backup = acknowledged;
    }
    CommandOutput b = RunKangyun(KANGYUN_BINARY, "backup --db sqlite:" + live + " --out " + copy);
    EXPECT_EQ(b.exit_code, 0) << b.text;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
    for (auto& t : writers) t.join();
    // The server kept serving through the backup.
    EXPECT_EQ(SearchTotal(server.port(), "Patient?_summary=count"),
              static_cast<int64_t>(acknowledged.size()));

    // While the store is open, a restore over it is refused; a backup never overwrites.
    CommandOutput busy =
        RunKangyun(KANGYUN_BINARY, "restore --from " + copy + " --db sqlite:" + live);
    EXPECT_EQ(busy.exit_code, 1);
    EXPECT_NE(busy.text.find("is open"), std::string::npos) << busy.text;
    CommandOutput again =
        RunKangyun(KANGYUN_BINARY, "backup --db sqlite:" + live + " --out " + copy);
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.text.find("exists"), std::string::npos) << again.text;
  }
  ASSERT_GT(before_backup.size(), 5u);
  ASSERT_GT(acknowledged.size(), before_backup.size()) << "no write overlapped the backup";

  // Restored over the live store (stopped now): the moment of the copy comes back.
  CommandOutput r = RunKangyun(KANGYUN_BINARY, "restore --from " + copy + " --db sqlite:" + live);
  ASSERT_EQ(r.exit_code, 0) << r.text;
  ServerProcess restored(KANGYUN_BINARY, "sqlite:" + live);
  ASSERT_TRUE(restored.ok());
  int64_t patients = SearchTotal(restored.port(), "Patient?_summary=count");
  EXPECT_EQ(patients, SearchTotal(restored.port(), "Observation?_summary=count"))
      << "a transaction is half in the backup";
  EXPECT_GE(patients, static_cast<int64_t>(before_backup.size()));
  EXPECT_LT(patients, static_cast<int64_t>(acknowledged.size()));
  for (const std::string& tag : before_backup)
    EXPECT_EQ(SearchTotal(restored.port(), "Patient?identifier=urn:b|" + tag), 1) << tag;
  restored.Terminate();

  CommandOutput bad = RunKangyun(
      KANGYUN_BINARY, "restore --from " + (dir / "none.db").string() + " --db sqlite:" + live);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(RunKangyun(KANGYUN_BINARY, "backup --db postgresql://x/y --out z").exit_code, 2);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kangyun::testing
