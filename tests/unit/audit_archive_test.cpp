// The audit trail's retention on the embedded store (the server store's: tests/postgres).
#include "audit/audit_archive.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/sqlite/sqlite_store.h"
#include "tests/support/audit_archive_flow.h"

namespace kangyun {
namespace {

TEST(AuditArchive, MonthsMoveToFilesAndTheChainIsVerifiedAcrossThem) {
  auto dir = std::filesystem::temp_directory_path() / ("ky-archive-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "archive");
  {
    auto store = store::OpenSqliteStore((dir / "t.db").string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    testing::CheckAuditArchiving(**store, (dir / "archive").string());
  }
  std::filesystem::remove_all(dir);
}

TEST(AuditArchive, MonthsAreThoseOfChinaStandardTime) {
  // 2026-09-30T23:59:59+08:00 is September; one second later, October.
  constexpr int64_t kLastSecond = 1790783999LL * 1'000'000;
  EXPECT_EQ(audit::MonthOf(kLastSecond), "2026-09");
  EXPECT_EQ(audit::MonthOf(kLastSecond + 1'000'000), "2026-10");
  EXPECT_EQ(audit::StartOfNextMonth(kLastSecond), kLastSecond + 1'000'000);
  EXPECT_EQ(audit::StartOfMonth(kLastSecond + 1'000'000), kLastSecond + 1'000'000);
  EXPECT_EQ(audit::MonthOf(audit::StartOfMonth(kLastSecond)), "2026-09");
  EXPECT_EQ(audit::MonthOf(audit::StartOfMonth(kLastSecond) - 1), "2026-08");
}

}  // namespace
}  // namespace kangyun
