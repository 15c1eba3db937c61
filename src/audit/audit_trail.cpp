#include "audit/audit_trail.h"

#include <map>

#include "audit/audit_event.h"
#include "auth/crypto.h"
#include "base/log.h"
#include "json/json.h"

namespace kangyun::audit {
namespace {

constexpr const char* kHeadKind = "audit-chain";
constexpr const char* kHeadKey = "head";

Result<ChainHead> ReadHead(store::ReadTransaction& txn) {
  ChainHead head;
  head.hash = kGenesisHash;
  KY_ASSIGN_OR_RETURN(auto text, txn.GetRecord(kHeadKind, kHeadKey));
  if (!text) return head;
  KY_ASSIGN_OR_RETURN(json::Value v, json::Parse(*text));
  head.sequence = std::atoll(std::string(v.GetString("sequence")).c_str());
  head.hash = v.GetString("hash");
  return head;
}

std::string HeadJson(const ChainHead& head) {
  json::Value v = json::Value::Object();
  v.Set("sequence", json::Value::String(std::to_string(head.sequence)));
  v.Set("hash", json::Value::String(head.hash));
  return json::Write(v);
}

}  // namespace

AuditTrail::AuditTrail(store::Store& store, const search::IndexExtractor& extractor, Clock& clock,
                       IdSource& ids)
    : store_(store), extractor_(extractor), clock_(clock), ids_(ids) {
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

// The parameters audit records are searched by (docs/security.md): by resident (patient, and
// the compartment), by who (agent, altid, address), by when, and by what and how it ended.
const std::vector<std::string>& AuditSearchParameters() {
  static const std::vector<std::string> kParams = {"date",    "patient", "agent",  "altid",
                                                   "address", "subtype", "action", "outcome"};
  return kParams;
}

Status AuditTrail::Record(AuditRecord r, bool durable) {
  auto p = std::make_shared<Pending>();
  if (r.recorded == 0) r.recorded = clock_.NowMicros();
  p->event = ToAuditEvent(r, 0, kGenesisHash);  // the link is set when chained
  p->index = extractor_.ExtractOnly(p->event, AuditSearchParameters());
  std::unique_lock lock(mu_);
  if (stop_) return Status(StatusCode::kUnavailable, "The audit trail is stopping");
  queue_.push_back(p);
  wake_.notify_one();
  if (!durable && queue_.size() < kMaxQueued) return Status::Ok();
  finished_.wait(lock, [&] { return p->done; });
  return p->status;
}

void AuditTrail::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    std::deque<std::shared_ptr<Pending>> batch;
    batch.swap(queue_);
    lock.unlock();
    Status st = Append(batch);
    if (!st.ok()) Log(LogLevel::kError, "audit trail: " + st.message());
    lock.lock();
    for (auto& p : batch) {
      p->done = true;
      p->status = st;
    }
    finished_.notify_all();
  }
}

Status AuditTrail::Append(std::deque<std::shared_ptr<Pending>>& batch) {
  KY_ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  KY_ASSIGN_OR_RETURN(ChainHead head, ReadHead(*txn));
  int64_t now = clock_.NowMicros();
  for (auto& p : batch) {
    json::Value& event = p->event;
    SetChainLink(&event, head.sequence + 1, head.hash);
    std::string id = ids_.NewId();
    store::ResourceWrite w;
    w.type = "AuditEvent";
    w.id = id;
    w.version = 1;
    w.last_updated = now;
    w.method = "POST";
    json::Value stamped = json::Value::Object();
    stamped.Set("resourceType", json::Value::String("AuditEvent"));
    stamped.Set("id", json::Value::String(id));
    for (auto& m : event.members())
      if (m.key != "resourceType") stamped.Set(m.key, std::move(m.value));
    // The hash covers the id and all the event says (its text without meta, ChainHash's
    // form); meta, the store's stamp, is appended to that same text.
    std::string text = json::Write(stamped);
    head.hash = auth::Sha256Hex(text);
    ++head.sequence;
    text.pop_back();
    text += R"(,"meta":{"versionId":"1","lastUpdated":")" + FormatInstant(now) + R"("}})";
    w.index = std::move(p->index);
    w.body = std::move(text);
    KY_RETURN_IF_ERROR(txn->Write(w).status());
  }
  KY_RETURN_IF_ERROR(txn->PutRecord(kHeadKind, kHeadKey, HeadJson(head)));
  return txn->Commit();
}

Result<VerifyReport> VerifyChain(store::Store& store) {
  VerifyReport report;
  KY_ASSIGN_OR_RETURN(auto txn, store.BeginRead());
  KY_ASSIGN_OR_RETURN(report.head, ReadHead(*txn));
  // Events in chain order: a process appends its batch under the store's write lock, so row
  // order is chain order; sort by sequence anyway, holding only what each link needs.
  struct Link {
    std::string id, previous, hash;
  };
  std::map<int64_t, Link> links;
  int64_t after = 0;
  for (;;) {
    KY_ASSIGN_OR_RETURN(auto rows, store.ScanCurrent({"AuditEvent"}, after, 1000));
    if (rows.empty()) break;
    for (const auto& row : rows) {
      after = row.rid;
      auto event = json::Parse(row.body);
      int64_t seq = 0;
      Link link;
      link.id = row.id;
      if (!event.ok() || !ChainLink(*event, &seq, &link.previous)) {
        report.problems.push_back("AuditEvent/" + row.id + " carries no chain link");
        continue;
      }
      if (row.version != 1)
        report.problems.push_back("AuditEvent/" + row.id + " was changed after it was recorded");
      link.hash = ChainHash(*event);
      if (!links.emplace(seq, std::move(link)).second)
        report.problems.push_back("sequence number " + std::to_string(seq) + " appears twice");
      ++report.events;
    }
  }
  std::string expected = kGenesisHash;
  int64_t next = 1;
  for (const auto& [seq, link] : links) {
    if (seq != next) {
      report.problems.push_back("events " + std::to_string(next) + " to " +
                                std::to_string(seq - 1) + " are missing");
      expected = link.previous;  // go on from here, to report every break
    } else if (link.previous != expected) {
      report.problems.push_back("AuditEvent/" + link.id + " (sequence " + std::to_string(seq) +
                                ") does not follow the event before it: that event, or this "
                                "one's link, was altered");
    }
    expected = link.hash;
    next = seq + 1;
  }
  if (next - 1 != report.head.sequence)
    report.problems.push_back("the chain's head says " + std::to_string(report.head.sequence) +
                              " events, the store holds events up to " + std::to_string(next - 1));
  else if (expected != report.head.hash)
    report.problems.push_back("the last event does not match the chain's head: it was altered");
  return report;
}

}  // namespace kangyun::audit
