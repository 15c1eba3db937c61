// The audit trail's retention on the server store (the embedded store's: tests/unit).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/postgres/postgres_store.h"
#include "tests/support/audit_archive_flow.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

TEST(AuditArchiveOnPostgres, MonthsMoveToFilesAndTheChainIsVerifiedAcrossThem) {
  auto store =
      store::OpenPostgresStore(FreshPostgresDatabase("kt_archive_" + std::to_string(getpid())));
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto dir = std::filesystem::temp_directory_path() / ("ky-pg-archive-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  CheckAuditArchiving(**store, dir.string());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kangyun::testing
