// A load into an empty PostgreSQL database sets the search tables' lookup indexes aside and
// builds them at its end; one into a database that holds resources leaves them; indexes a
// killed load left aside are built by the next process to open the database, unless a load
// still runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include "store/postgres/pg_connection.h"
#include "store/postgres/postgres_store.h"
#include "tests/support/http_client.h"
#include "tests/support/store_writes.h"

namespace kangyun::testing {
namespace {

class BulkLoadIndexes : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = FreshPostgresDatabase("kt_bulk_" + std::to_string(getpid()));
    store_ = Open();
  }
  std::unique_ptr<store::Store> Open() {
    auto opened = store::OpenPostgresStore(db_);
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }
  // Whether the index by code of token rows is there.
  bool LookupIndexExists() {
    auto conn = store::PgConnection::Open(db_);
    if (!conn.ok()) return false;
    auto r = (*conn)->Query("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_token_lookup'");
    return r.ok() && r->Int(0, 0) == 1;
  }
  void WritePatient(store::Store& s, const std::string& id) {
    auto txn = s.BeginWrite();
    ASSERT_TRUE(txn.ok());
    store::ResourceWrite w =
        FirstVersion("Patient", id, R"({"resourceType":"Patient","id":")" + id + R"("})");
    w.index.tokens.push_back({"identifier", "urn:test", id, ""});
    ASSERT_TRUE((*txn)->Write(w).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  std::string db_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(BulkLoadIndexes, AreSetAsideForALoadIntoAnEmptyDatabaseAndBuiltAtItsEnd) {
  ASSERT_TRUE(LookupIndexExists());
  auto begun = store_->BeginBulkLoad();
  ASSERT_TRUE(begun.ok() && *begun) << begun.status().message();
  EXPECT_FALSE(LookupIndexExists());
  WritePatient(*store_, "a");
  ASSERT_TRUE(store_->EndBulkLoad().ok());
  EXPECT_TRUE(LookupIndexExists());
  // Now the database holds a resource: the next load leaves the indexes where they are.
  begun = store_->BeginBulkLoad();
  ASSERT_TRUE(begun.ok() && *begun);
  EXPECT_TRUE(LookupIndexExists());
  ASSERT_TRUE(store_->EndBulkLoad().ok());
}

TEST_F(BulkLoadIndexes, AKilledLoadsIndexesAreBuiltByTheNextProcessToOpenTheDatabase) {
  auto begun = store_->BeginBulkLoad();
  ASSERT_TRUE(begun.ok() && *begun);
  WritePatient(*store_, "a");
  // Another process opening the database while the load runs leaves its indexes aside.
  ASSERT_NE(Open(), nullptr);
  EXPECT_FALSE(LookupIndexExists());
  store_.reset();  // the load dies without EndBulkLoad; its connection and lock go with it
  auto next = Open();
  ASSERT_NE(next, nullptr);
  EXPECT_TRUE(LookupIndexExists());
}

TEST_F(BulkLoadIndexes, ASecondLoadAtTheSameTimeLoadsAlongsideAndLeavesTheBuildingToTheFirst) {
  auto begun = store_->BeginBulkLoad();
  ASSERT_TRUE(begun.ok() && *begun);
  auto other = Open();
  ASSERT_NE(other, nullptr);
  auto second = other->BeginBulkLoad();  // does not wait for the first to end
  ASSERT_TRUE(second.ok() && *second);
  WritePatient(*other, "b");
  ASSERT_TRUE(other->EndBulkLoad().ok());
  EXPECT_FALSE(LookupIndexExists());
  ASSERT_TRUE(store_->EndBulkLoad().ok());
  EXPECT_TRUE(LookupIndexExists());
}

}  // namespace
}  // namespace kangyun::testing
