// The audit trail: records appended to the store's audit log (store/store.h: AuditRow) in one
// hash chain, after the records of every process serving it (appends are serialised by the
// store). Request threads encode their records (audit/audit_codec.h: a shared agent and a
// short body) and hand them to one writer thread, which appends whatever has queued
// meanwhile in one transaction and seals the batch with one hash over it and the chain before
// (group commit). A request that changed data waits until its record is committed; a read
// does not, so reads are not held to the pace of commits (docs/security.md).
//
// While the store cannot be reached (a database restart, a failover), a batch that fails is
// answered with the error, so that nobody hangs, and its records of answers that went out
// (or of data that changed before the store went away) are kept and tried again until they are
// written: at most kMaxQueued of them, in their order. A batch whose commit went unanswered
// may have committed; it is not written twice when the chain's head shows that it did.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "audit/audit_record.h"
#include "base/env.h"
#include "base/status.h"
#include "store/store.h"

namespace kangyun::audit {

class AuditTrail {
 public:
  AuditTrail(store::Store& store, Clock& clock);
  ~AuditTrail();

  // Appends r to the chain. `durable`: returns once it is committed (or with the error that
  // stopped it); otherwise returns at once and the record is committed with the next batch,
  // in a few milliseconds, unless more than kMaxQueued wait already (then it waits too).
  Status Record(AuditRecord r, bool durable = true);
  // Appends records together and returns once all are committed and on disk (one commit for
  // all, unless there are more than a batch holds), or with the error that stopped one.
  Status RecordAll(std::vector<AuditRecord> records);
  static constexpr size_t kMaxQueued = 10000;
  // Returns once every record handed in before is committed: whoever reads the trail sees
  // what was done before they asked.
  Status Flush();
  // How long the records of reads wait for others to share their commit when nothing waits
  // on them: the most a crash can lose of them beyond the batch being committed.
  static constexpr int kPaceMillis = 10;
  // Commits what is queued and stops the writer; later records are refused.
  void Stop();

 private:
  struct Pending {
    store::AuditAgent agent;
    store::AuditRow row;
    bool durable = false;  // someone waits for it to be on disk
    // Kept when its batch fails for want of the store: everything but the records of
    // requests that failed outright (outcome 8), which a store that is down makes by the
    // thousand and which record nothing that happened.
    bool kept_on_failure = true;
    bool committed = false;  // on the chain (a batch before found to have committed it)
    bool done = false;
    Status status;
  };
  // Whether a thread waits for what is queued (a durable record, a flush). REQUIRES: mu_.
  bool Awaited() const { return awaited_ > 0; }
  using Batch = std::deque<std::shared_ptr<Pending>>;
  std::shared_ptr<Pending> Prepare(AuditRecord r, bool durable);
  static constexpr size_t kMaxBatch = 5000;
  void Run();
  // Appends the batch's records in one transaction. On failure, their rows are back in the
  // batch, as they were.
  Status Append(Batch& batch);
  // After a batch failed: its records to be tried again, at the front of the queue, and a
  // pause before the next try unless somebody waits. REQUIRES: mu_.
  void KeepForRetry(Batch& batch, const Status& failure);
  // The id of an agent in the log: known, found by probing from its key, or new (then added
  // to `added`). REQUIRES: inside the writer's transaction.
  Result<int64_t> AgentId(store::AuditAppend& append, const store::AuditAgent& agent,
                          std::vector<store::AuditAgent>* added);

  store::Store& store_;
  Clock& clock_;
  std::mutex mu_;
  std::condition_variable wake_, finished_;
  Batch queue_;
  bool stop_ = false;
  int awaited_ = 0;          // threads waiting for queued records to commit
  uint64_t queued_ = 0;      // records handed in so far
  uint64_t finished_n_ = 0;  // records committed (or failed) so far
  // Retries wait until then while nobody waits on them; guarded by mu_.
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds retry_pause_{0};
  // The seal of the last batch whose commit failed, and how many records it held: the
  // writer's alone.
  std::optional<store::AuditSeal> unanswered_;
  size_t unanswered_size_ = 0;
  // Agents' ids by text, as committed; the writer thread's alone.
  std::unordered_map<std::string, int64_t> agent_ids_;
  std::thread writer_;
};

// The chain's head: its last sequence number and hash.
struct ChainHead {
  int64_t sequence = 0;
  std::string hash;
};

struct VerifyReport {
  int64_t events = 0;
  int archives_unchecked = 0;         // archived months not read (no archive folder given)
  std::vector<std::string> problems;  // empty when the chain is whole
  ChainHead head;
};

// Walks every sealed batch of the log in order and checks that its rows are there, in
// sequence, unchanged (the seal's hash), that each seal follows the one before, and that
// the stored head is the last seal (nothing cut off the end, nothing appended unsealed).
// Archived months (audit/audit_archive.h) are checked from their files in `archive_dir`;
// without it, the chain is checked from where the last archive ended.
Result<VerifyReport> VerifyChain(store::Store& store, const std::string& archive_dir = "");

}  // namespace kangyun::audit
