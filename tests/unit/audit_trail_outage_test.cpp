// The audit trail while its store cannot be reached (a database restart, a failover): those
// who wait get the error at once, the records of what was answered are written once the store
// is back, and a batch whose commit went unanswered is not written twice.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "audit/audit_trail.h"
#include "store/sqlite/sqlite_store.h"

namespace kangyun {
namespace {

using store::AuditAgent;
using store::AuditRow;
using store::AuditSeal;

Status Unreachable() { return Status(StatusCode::kUnavailable, "the store is unreachable"); }

// An append that commits, and then, when told, answers as if the connection had dropped
// before the answer came.
class UnansweredAppend : public store::AuditAppend {
 public:
  UnansweredAppend(std::unique_ptr<store::AuditAppend> inner, std::atomic<bool>* lose_answer)
      : inner_(std::move(inner)), lose_answer_(lose_answer) {}
  Result<std::optional<AuditSeal>> Head() override { return inner_->Head(); }
  Result<std::vector<AuditAgent>> Agents(const std::vector<int64_t>& ids) override {
    return inner_->Agents(ids);
  }
  Status Append(const std::vector<AuditAgent>& agents, const std::vector<AuditRow>& rows,
                const AuditSeal& seal) override {
    return inner_->Append(agents, rows, seal);
  }
  Status Archive(const store::AuditArchive& archive) override { return inner_->Archive(archive); }
  Status Commit() override {
    KY_RETURN_IF_ERROR(inner_->Commit());
    return lose_answer_->exchange(false) ? Unreachable() : Status::Ok();
  }

 private:
  std::unique_ptr<store::AuditAppend> inner_;
  std::atomic<bool>* lose_answer_;
};

// The embedded store, with its audit log behind a switch: `down` refuses every append as an
// unreachable server would; `lose_answer` makes the next commit happen but fail to answer.
class SwitchedStore : public store::Store {
 public:
  explicit SwitchedStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> down{false};
  std::atomic<bool> lose_answer{false};

  Result<std::unique_ptr<store::AuditAppend>> BeginAuditAppend(bool durable) override {
    if (down) return Unreachable();
    KY_ASSIGN_OR_RETURN(auto append, inner_->BeginAuditAppend(durable));
    return std::unique_ptr<store::AuditAppend>(
        std::make_unique<UnansweredAppend>(std::move(append), &lose_answer));
  }
  Result<std::unique_ptr<store::ReadTransaction>> BeginRead() override {
    return inner_->BeginRead();
  }
  Result<std::unique_ptr<store::WriteTransaction>> BeginWrite() override {
    return inner_->BeginWrite();
  }
  Status SaveResultSet(const std::string& id, std::vector<int64_t> rids,
                       int64_t expires_at) override {
    return inner_->SaveResultSet(id, std::move(rids), expires_at);
  }
  Result<std::optional<std::vector<int64_t>>> ReadResultSet(const std::string& id, int64_t offset,
                                                            int64_t count, int64_t now) override {
    return inner_->ReadResultSet(id, offset, count, now);
  }
  Status PutJob(const store::JobRecord& job) override { return inner_->PutJob(job); }
  Result<std::optional<store::JobRecord>> GetJob(const std::string& id) override {
    return inner_->GetJob(id);
  }
  Status DeleteJob(const std::string& id) override { return inner_->DeleteJob(id); }
  Result<std::vector<store::JobRecord>> ListJobs() override { return inner_->ListJobs(); }
  Status AddScheduledJob(const store::ScheduledJob& job) override {
    return inner_->AddScheduledJob(job);
  }
  Result<std::optional<store::ScheduledJob>> ClaimScheduledJob(
      const std::vector<std::string>& kinds, const std::string& owner, int64_t now,
      int64_t lease_until) override {
    return inner_->ClaimScheduledJob(kinds, owner, now, lease_until);
  }
  Result<bool> UpdateScheduledJob(const store::ScheduledJob& job) override {
    return inner_->UpdateScheduledJob(job);
  }
  Result<bool> CancelScheduledJob(const std::string& id, int64_t now) override {
    return inner_->CancelScheduledJob(id, now);
  }
  Result<std::optional<store::ScheduledJob>> GetScheduledJob(const std::string& id) override {
    return inner_->GetScheduledJob(id);
  }
  Result<std::vector<store::ScheduledJob>> ListScheduledJobs(const std::string& kind,
                                                             int64_t limit) override {
    return inner_->ListScheduledJobs(kind, limit);
  }
  Result<bool> BeginBulkLoad() override { return inner_->BeginBulkLoad(); }
  Status EndBulkLoad() override { return inner_->EndBulkLoad(); }
  Result<std::vector<store::StoredResource>> ScanCurrent(const std::vector<std::string>& types,
                                                         int64_t after_rid,
                                                         int64_t count) override {
    return inner_->ScanCurrent(types, after_rid, count);
  }

 private:
  std::unique_ptr<store::Store> inner_;
};

class AuditTrailOutage : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ky-outage-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto inner = store::OpenSqliteStore((dir_ / "t.db").string());
    ASSERT_TRUE(inner.ok()) << inner.status().message();
    store_ = std::make_unique<SwitchedStore>(std::move(inner).value());
    trail_ = std::make_unique<audit::AuditTrail>(*store_, *clock_);
  }
  void TearDown() override {
    trail_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static audit::AuditRecord Read(const std::string& patient, int outcome = 0) {
    audit::AuditRecord r;
    r.subtype = "read";
    r.action = 'R';
    r.outcome = outcome;
    r.who_subject = "user/outage";
    r.patients = {patient};
    r.resources = {"Patient/" + patient};
    return r;
  }

  // The events on the chain, once it is checked whole.
  int64_t EventsOnAWholeChain() {
    auto report = audit::VerifyChain(*store_);
    EXPECT_TRUE(report.ok()) << report.status().message();
    if (!report.ok()) return -1;
    EXPECT_TRUE(report->problems.empty()) << report->problems.front();
    return report->events;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Clock> clock_ = SystemClock();
  std::unique_ptr<SwitchedStore> store_;
  std::unique_ptr<audit::AuditTrail> trail_;
};

TEST_F(AuditTrailOutage, RecordsOfAnswersGivenAreWrittenOnceTheStoreIsBack) {
  store_->down = true;
  // Three reads answered (their records queued, nobody waits), one that failed outright.
  for (const char* p : {"a", "b", "c"}) ASSERT_TRUE(trail_->Record(Read(p), false).ok());
  ASSERT_TRUE(trail_->Record(Read("failed", 8), false).ok());
  // A write's record is waited for: its request learns at once that it could not be made.
  EXPECT_EQ(trail_->Record(Read("d"), true).code(), StatusCode::kUnavailable);

  store_->down = false;
  // The next record waited for goes with those kept from before, in one batch after them.
  ASSERT_TRUE(trail_->Record(Read("e"), true).ok());
  EXPECT_EQ(EventsOnAWholeChain(), 5);  // a, b, c, d, e; not the failed one
}

TEST_F(AuditTrailOutage, ABatchWhoseCommitWentUnansweredIsNotWrittenTwice) {
  store_->lose_answer = true;
  EXPECT_EQ(trail_->Record(Read("a"), true).code(), StatusCode::kUnavailable);
  ASSERT_TRUE(trail_->Record(Read("b"), true).ok());
  EXPECT_EQ(EventsOnAWholeChain(), 2);
}

TEST_F(AuditTrailOutage, ABatchThatFailedBeforeItsCommitIsWrittenWhenTheStoreIsBack) {
  // The commit's answer is lost while the store stays down: the next tries cannot even
  // begin; once it is back, what did commit is not written again, and the rest is.
  store_->lose_answer = true;
  EXPECT_EQ(trail_->Record(Read("a"), true).code(), StatusCode::kUnavailable);
  store_->down = true;
  EXPECT_EQ(trail_->Record(Read("b"), true).code(), StatusCode::kUnavailable);
  store_->down = false;
  ASSERT_TRUE(trail_->Record(Read("c"), true).ok());
  EXPECT_EQ(EventsOnAWholeChain(), 3);
}

}  // namespace
}  // namespace kangyun
