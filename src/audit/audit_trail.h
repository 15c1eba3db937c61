// The audit trail: AuditEvent resources appended to the store in one hash chain, after the
// events of every process serving it (writes are serialised by the store). Request threads
// prepare their records (JSON and index rows, in parallel) and hand them to one writer thread,
// which commits whatever has queued meanwhile in one transaction (group commit). A request
// that changed data waits until its record is committed; a read does not wait, so reads are
// not held to the pace of commits (docs/security.md).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "audit/audit_record.h"
#include "base/env.h"
#include "base/status.h"
#include "search/index_extractor.h"
#include "store/store.h"

namespace kangyun::audit {

class AuditTrail {
 public:
  AuditTrail(store::Store& store, const search::IndexExtractor& extractor, Clock& clock,
             IdSource& ids);
  ~AuditTrail();

  // Appends r to the chain. `durable`: returns once it is committed (or with the error that
  // stopped it); otherwise returns at once and the record is committed with the next batch,
  // in a few milliseconds, unless more than kMaxQueued wait already (then it waits too).
  Status Record(AuditRecord r, bool durable = true);
  static constexpr size_t kMaxQueued = 10000;
  // Commits what is queued and stops the writer; later records are refused.
  void Stop();

 private:
  // An event as the caller's thread prepares it (the costly part, done in parallel): its JSON
  // without the chain's link, and its index rows, which do not depend on the link.
  struct Pending {
    json::Value event;
    store::IndexRows index;
    bool done = false;
    Status status;
  };
  void Run();
  Status Append(std::deque<std::shared_ptr<Pending>>& batch);

  store::Store& store_;
  const search::IndexExtractor& extractor_;
  Clock& clock_;
  IdSource& ids_;
  std::mutex mu_;
  std::condition_variable wake_, finished_;
  std::deque<std::shared_ptr<Pending>> queue_;
  bool stop_ = false;
  std::thread writer_;
};

// The chain's head record: its last sequence number and hash ("audit-chain" / "head").
struct ChainHead {
  int64_t sequence = 0;
  std::string hash;
};

struct VerifyReport {
  int64_t events = 0;
  std::vector<std::string> problems;  // empty when the chain is whole
  ChainHead head;
};

// Walks every stored AuditEvent in chain order and checks each link, the sequence numbers
// (none missing) and the stored head (no event cut off the end).
Result<VerifyReport> VerifyChain(store::Store& store);

}  // namespace kangyun::audit
