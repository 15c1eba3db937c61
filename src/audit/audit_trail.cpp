#include "audit/audit_trail.h"

#include <algorithm>
#include <chrono>
#include <climits>

#include "audit/audit_archive.h"
#include "audit/audit_codec.h"
#include "audit/audit_event.h"
#include "base/log.h"

namespace kangyun::audit {

AuditTrail::AuditTrail(store::Store& store, Clock& clock) : store_(store), clock_(clock) {
  writer_ = std::thread([this] { Run(); });
}

AuditTrail::~AuditTrail() { Stop(); }

void AuditTrail::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::shared_ptr<AuditTrail::Pending> AuditTrail::Prepare(AuditRecord r, bool durable) {
  auto p = std::make_shared<Pending>();
  if (r.recorded == 0) r.recorded = clock_.NowMicros();
  p->agent = AgentOf(r);
  p->row.recorded = r.recorded;
  p->row.body = BodyOf(r);
  p->row.patients = std::move(r.patients);
  p->durable = durable;
  p->kept_on_failure = r.outcome < 8;
  return p;
}

Status AuditTrail::RecordAll(std::vector<AuditRecord> records) {
  std::vector<std::shared_ptr<Pending>> pending;
  for (AuditRecord& r : records) pending.push_back(Prepare(std::move(r), /*durable=*/true));
  std::unique_lock lock(mu_);
  if (stop_) return Status(StatusCode::kUnavailable, "The audit trail is stopping");
  for (const auto& p : pending) queue_.push_back(p);
  queued_ += pending.size();
  ++awaited_;
  wake_.notify_one();
  finished_.wait(lock, [&] {
    for (const auto& p : pending)
      if (!p->done) return false;
    return true;
  });
  --awaited_;
  for (const auto& p : pending)
    if (!p->status.ok()) return p->status;
  return Status::Ok();
}

Status AuditTrail::Record(AuditRecord r, bool durable) {
  auto p = Prepare(std::move(r), durable);
  std::unique_lock lock(mu_);
  if (stop_) return Status(StatusCode::kUnavailable, "The audit trail is stopping");
  queue_.push_back(p);
  ++queued_;
  if (!durable && queue_.size() < kMaxQueued) {
    // The writer is woken by the first record of a batch; the rest wait for the pace.
    if (queue_.size() == 1) wake_.notify_one();
    return Status::Ok();
  }
  ++awaited_;
  wake_.notify_one();
  finished_.wait(lock, [&] { return p->done; });
  --awaited_;
  return p->status;
}

Status AuditTrail::Flush() {
  std::unique_lock lock(mu_);
  uint64_t target = queued_;
  if (finished_n_ >= target) return Status::Ok();
  ++awaited_;
  wake_.notify_one();
  finished_.wait(lock, [&] { return finished_n_ >= target || (stop_ && queue_.empty()); });
  --awaited_;
  return Status::Ok();
}

void AuditTrail::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    // After a failure, the records kept wait for the store to come back, unless someone waits
    // (who then gets an answer at once, whatever it is).
    wake_.wait_until(lock, retry_at_, [&] { return stop_ || Awaited(); });
    // Records nobody waits for gather for up to kPaceMillis, so that reads share commits
    // (and their fsyncs) by the hundred instead of a few at a time.
    auto pace = std::chrono::steady_clock::now() + std::chrono::milliseconds(kPaceMillis);
    wake_.wait_until(lock, pace, [&] { return stop_ || Awaited() || queue_.size() >= kMaxBatch; });
    // One transaction appends at most kMaxBatch records, so that none grows without bound.
    Batch batch;
    if (queue_.size() <= kMaxBatch) {
      batch.swap(queue_);
    } else {
      auto end = queue_.begin() + static_cast<std::ptrdiff_t>(kMaxBatch);
      batch.assign(queue_.begin(), end);
      queue_.erase(queue_.begin(), end);
    }
    lock.unlock();
    Status st = Append(batch);
    lock.lock();
    if (st.ok()) {
      retry_pause_ = std::chrono::milliseconds(0);
    } else {
      static ThrottledLog failed(LogLevel::kError);
      failed("audit trail: " + st.message());
      if (st.code() == StatusCode::kUnavailable && !stop_) KeepForRetry(batch, st);
    }
    for (auto& p : batch) {
      p->done = true;
      p->status = st;
    }
    finished_n_ += batch.size();
    finished_.notify_all();
  }
}

void AuditTrail::KeepForRetry(Batch& batch, const Status& failure) {
  size_t room = kMaxQueued > queue_.size() ? kMaxQueued - queue_.size() : 0;
  Batch kept;
  size_t dropped = 0;
  for (auto& p : batch) {
    if (p->committed || !p->kept_on_failure) continue;
    if (kept.size() == room) {
      ++dropped;
      continue;
    }
    auto again = std::make_shared<Pending>();
    again->agent = std::move(p->agent);
    again->row = std::move(p->row);
    again->durable = p->durable;
    kept.push_back(std::move(again));
  }
  // What an unanswered commit held is now the front of the queue, less what did not fit.
  unanswered_size_ = std::min(unanswered_size_, kept.size());
  queue_.insert(queue_.begin(), kept.begin(), kept.end());
  queued_ += kept.size();
  if (dropped > 0)
    Log(LogLevel::kError, "audit trail: " + std::to_string(dropped) +
                              " records dropped: more than " + std::to_string(kMaxQueued) +
                              " wait for the store (" + failure.message() + ")");
  using std::chrono::milliseconds;
  retry_pause_ = std::clamp(retry_pause_ * 2, milliseconds(50), milliseconds(1000));
  retry_at_ = std::chrono::steady_clock::now() + retry_pause_;
}

Result<int64_t> AuditTrail::AgentId(store::AuditAppend& append, const store::AuditAgent& agent,
                                    std::vector<store::AuditAgent>* added) {
  if (auto it = agent_ids_.find(agent.text); it != agent_ids_.end()) return it->second;
  for (const store::AuditAgent& a : *added)
    if (a.text == agent.text) return a.id;
  // Ids are the agent's key, or the next free one after it when another agent took it.
  for (int64_t id = AgentKey(agent.text);; id = id == INT64_MAX ? 1 : id + 1) {
    bool taken = false;
    for (const store::AuditAgent& a : *added) taken = taken || a.id == id;
    if (taken) continue;
    KY_ASSIGN_OR_RETURN(auto found, append.Agents({id}));
    if (found.empty()) {
      store::AuditAgent a = agent;
      a.id = id;
      added->push_back(std::move(a));
      return id;
    }
    if (found[0].text == agent.text) {
      if (agent_ids_.size() > 100000) agent_ids_.clear();  // bounded; refilled as used
      agent_ids_.emplace(agent.text, id);
      return id;
    }
  }
}

Status AuditTrail::Append(Batch& batch) {
  bool durable = false;
  for (const auto& p : batch) durable = durable || p->durable;
  KY_ASSIGN_OR_RETURN(auto append, store_.BeginAuditAppend(durable));
  KY_ASSIGN_OR_RETURN(auto last, append->Head());
  // A batch whose commit went unanswered did commit if it is the chain's head: its records
  // kept for retry, first in this batch, are on the chain already.
  size_t from = 0;
  if (unanswered_ && last && last->last == unanswered_->last && last->hash == unanswered_->hash)
    from = std::min(unanswered_size_, batch.size());
  unanswered_.reset();
  for (size_t i = 0; i < from; ++i) batch[i]->committed = true;
  if (from == batch.size()) return Status::Ok();

  ChainHead head{last ? last->last : 0, last ? last->hash : kGenesisHash};
  std::vector<store::AuditAgent> added;
  std::vector<int64_t> agents;
  for (size_t i = from; i < batch.size(); ++i) {
    KY_ASSIGN_OR_RETURN(int64_t agent, AgentId(*append, batch[i]->agent, &added));
    agents.push_back(agent);
  }
  std::vector<store::AuditRow> rows;
  std::vector<const std::string*> texts;
  rows.reserve(agents.size());
  texts.reserve(agents.size());
  for (size_t i = from; i < batch.size(); ++i) {
    Pending& p = *batch[i];
    p.row.agent = agents[i - from];
    p.row.seq = head.sequence + 1 + static_cast<int64_t>(rows.size());
    rows.push_back(std::move(p.row));
    texts.push_back(&p.agent.text);
  }
  store::AuditSeal seal{head.sequence + 1, head.sequence + static_cast<int64_t>(rows.size()),
                        SealHash(head.hash, rows, texts)};
  Status st = append->Append(added, rows, seal);
  if (st.ok()) {
    st = append->Commit();
    if (!st.ok()) {
      // Lost with the connection, the COMMIT may or may not have been carried out.
      unanswered_size_ = 0;
      for (size_t i = from; i < batch.size(); ++i)
        unanswered_size_ += batch[i]->kept_on_failure ? 1 : 0;
      unanswered_ = seal;
    }
  }
  if (!st.ok()) {
    for (size_t i = from; i < batch.size(); ++i) batch[i]->row = std::move(rows[i - from]);
    return st;
  }
  for (auto& p : batch) p->committed = true;
  for (const store::AuditAgent& a : added) agent_ids_.emplace(a.text, a.id);
  return Status::Ok();
}

Result<VerifyReport> VerifyChain(store::Store& store, const std::string& archive_dir) {
  VerifyReport report;
  KY_ASSIGN_OR_RETURN(auto txn, store.BeginRead());
  KY_ASSIGN_OR_RETURN(auto head, txn->AuditHead());
  report.head = {head ? head->last : 0, head ? head->hash : kGenesisHash};
  std::unordered_map<int64_t, std::string> agents;  // text by id, fetched as rows need them
  std::string hash = kGenesisHash;
  int64_t last = 0;
  // The archived months first, each where the one before ended; the store's part goes on from
  // the last. Without their folder, the store's part starts from what the store recorded.
  KY_ASSIGN_OR_RETURN(auto archives, txn->AuditArchives());
  for (const store::AuditArchive& a : archives) {
    if (a.first != last + 1)
      report.problems.push_back("records " + std::to_string(last + 1) + " to " +
                                std::to_string(a.first - 1) + " are neither archived nor sealed");
    if (a.previous_hash != hash)
      report.problems.push_back("the archive of " + a.month +
                                " does not follow the chain before it");
    if (!archive_dir.empty()) {
      KY_ASSIGN_OR_RETURN(int64_t records, VerifyArchive(archive_dir, a, &report.problems));
      report.events += records;
    } else {
      ++report.archives_unchecked;
    }
    hash = a.last_hash;
    last = a.last;
  }
  for (;;) {
    KY_ASSIGN_OR_RETURN(auto seals, txn->AuditSeals(last, 1000));
    if (seals.empty()) break;
    for (const store::AuditSeal& seal : seals) {
      std::string span = std::to_string(seal.first) + " to " + std::to_string(seal.last);
      if (seal.first != last + 1)
        report.problems.push_back("records " + std::to_string(last + 1) + " to " +
                                  std::to_string(seal.first - 1) + " have no seal");
      store::AuditQuery q;
      q.after = seal.first - 1;
      q.limit = seal.last - seal.first + 1;
      KY_ASSIGN_OR_RETURN(auto rows, txn->AuditRows(q));
      std::vector<int64_t> unknown;
      for (const auto& r : rows)
        if (!agents.count(r.agent)) unknown.push_back(r.agent);
      if (!unknown.empty()) {
        KY_ASSIGN_OR_RETURN(auto found, txn->AuditAgents(unknown));
        for (auto& a : found) agents.emplace(a.id, std::move(a.text));
      }
      bool whole = static_cast<int64_t>(rows.size()) == q.limit;
      for (size_t i = 0; i < rows.size(); ++i)
        whole = whole && rows[i].seq == seal.first + static_cast<int64_t>(i);
      if (!whole)
        report.problems.push_back("records of the batch " + span + " are missing");
      else if (SealHash(hash, rows, agents) != seal.hash)
        report.problems.push_back("a record of the batch " + span +
                                  " (or its agent, or the batch before) was altered");
      report.events += static_cast<int64_t>(rows.size());
      hash = seal.hash;  // go on from here, to report every break
      last = seal.last;
    }
  }
  store::AuditQuery beyond;
  beyond.after = last;
  beyond.limit = 1;
  KY_ASSIGN_OR_RETURN(auto unsealed, txn->AuditRows(beyond));
  if (!unsealed.empty())
    report.problems.push_back("records from " + std::to_string(unsealed[0].seq) +
                              " on were added without a seal");
  if (last != report.head.sequence)
    report.problems.push_back("the chain's head says " + std::to_string(report.head.sequence) +
                              " records, the log is sealed up to " + std::to_string(last));
  else if (hash != report.head.hash)
    report.problems.push_back("the last batch does not match the chain's head: it was altered");
  return report;
}

}  // namespace kangyun::audit
