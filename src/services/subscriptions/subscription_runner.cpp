#include "services/subscriptions/subscription_runner.h"

#include <algorithm>

#include "api/access_policy.h"
#include "base/log.h"
#include "json/json.h"
#include "search/version_match.h"
#include "services/subscriptions/notification.h"
#include "services/subscriptions/outbound_queue.h"

namespace kangyun::services::subscriptions {
namespace {

using json::Value;

// How long the loop sleeps when nothing woke it: the longest a change committed by another
// process waits before it is matched.
constexpr auto kPoll = std::chrono::milliseconds(200);
// The shortest time between two rounds of matching.
constexpr auto kRoundSpacing = std::chrono::milliseconds(5);
// How often delivery states are recorded (a process that dies repeats at most this much).
constexpr auto kFlushEvery = std::chrono::milliseconds(250);

bool Delivers(const SubscriptionSpec& spec) { return spec.status == "active"; }

}  // namespace

SubscriptionRunner::SubscriptionRunner(api::Engine& engine, RunnerOptions options)
    : engine_(engine), options_(std::move(options)) {}

SubscriptionRunner::~SubscriptionRunner() { StopSenders(); }

void SubscriptionRunner::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

Status SubscriptionRunner::Load() {
  KY_ASSIGN_OR_RETURN(auto read, engine_.store.BeginRead());
  KY_ASSIGN_OR_RETURN(auto recorded, ReadFeedPosition(*read));
  // The first start on a database reads the feed from its beginning (only for Subscriptions
  // until one is found): one made before this process came up hears of what followed it.
  position_ = recorded.value_or(store::ChangePosition{});
  persisted_ = recorded;
  persisted_at_ = std::chrono::steady_clock::now();
  // Subscriptions made after the position join when the feed reaches them, not before.
  std::set<std::string> later;
  for (store::ChangePosition at = position_;;) {
    KY_ASSIGN_OR_RETURN(auto made, read->Changes(at, 1000, "Subscription"));
    for (const store::Change& c : made)
      if (c.version.version == 1) later.insert(c.version.id);
    if (made.size() < 1000) break;
    at = made.back().position;
  }
  store::Query all;
  all.types = {"Subscription"};
  KY_ASSIGN_OR_RETURN(std::vector<int64_t> rids, read->Search(all, 1'000'000));
  KY_ASSIGN_OR_RETURN(std::vector<store::StoredResource> rows, read->ReadRows(rids));
  std::map<std::string, std::shared_ptr<const Known>> known;
  std::map<std::string, Pending> pending;
  for (const store::StoredResource& row : rows) {
    if (later.count(row.id)) continue;
    KY_ASSIGN_OR_RETURN(Value resource, json::Parse(row.body));
    auto spec = ReadSubscription(engine_, resource);
    if (!spec.ok()) {
      Log(LogLevel::kWarning,
          "Subscription/" + row.id + " is not served: " + spec.status().message());
      continue;
    }
    if (spec->status != "active") continue;
    KY_ASSIGN_OR_RETURN(auto subscriber, ReadSubscriber(*read, row.id));
    auto k = std::make_shared<Known>();
    k->spec = std::move(*spec);
    if (subscriber) k->subscriber = std::move(*subscriber);
    Pending p;
    KY_ASSIGN_OR_RETURN(p.count, EventCount(*read, row.id));
    KY_ASSIGN_OR_RETURN(p.delivery, ReadDelivery(*read, row.id));
    pending[row.id] = std::move(p);
    known[row.id] = std::move(k);
  }
  std::lock_guard lock(mu_);
  known_ = std::move(known);
  pending_ = std::move(pending);
  return Status::Ok();
}

Result<std::vector<std::string>> SubscriptionRunner::Matching(
    store::ReadTransaction& txn, const store::Change& c,
    std::map<std::string, std::unique_ptr<api::AccessPolicy>>* access) {
  std::vector<std::string> out;
  const store::StoredResource& v = c.version;
  std::vector<std::shared_ptr<const Known>> interested;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, k] : known_)
      for (const EventRule& rule : k->spec.rules)
        if (rule.type == v.type) {
          interested.push_back(k);
          break;
        }
  }
  if (interested.empty()) return out;
  // A deletion is tested as the version it ends.
  std::optional<store::StoredResource> tested;
  if (v.deleted) {
    if (v.version > 1) {
      KY_ASSIGN_OR_RETURN(tested, txn.ReadVersion(v.type, v.id, v.version - 1));
    }
    if (!tested || tested->deleted) return out;
  } else {
    tested = v;
  }
  KY_ASSIGN_OR_RETURN(Value resource, json::Parse(tested->body));
  // Only the index rows the criteria test: evaluating every parameter of the type would cost
  // as much again as the write's own indexing.
  std::set<std::string> params;
  bool compartments = false;
  for (const auto& k : interested)
    for (const EventRule& rule : k->spec.rules)
      if (rule.type == v.type)
        for (const store::Query& q : rule.queries)
          for (const auto& clause : q.clauses)
            for (const store::Condition& c : clause) {
              if (c.kind == store::Condition::Kind::kCompartment) compartments = true;
              if (!c.param.empty()) params.insert(c.param);
            }
  store::IndexRows rows;
  for (const std::string& p : params)
    if (auto def = engine_.params.Find(v.type, p))
      engine_.extractor.ExtractParam(*def, resource, &rows);
  if (compartments) rows.patient_compartments = engine_.extractor.PatientCompartments(resource);
  store::StoredResource as_current = *tested;
  as_current.deleted = false;
  bool created = !v.deleted && v.version == 1;
  if (!v.deleted && v.version > 1) {
    KY_ASSIGN_OR_RETURN(auto before, txn.ReadVersion(v.type, v.id, v.version - 1));
    created = before && before->deleted;
  }
  for (const auto& k : interested) {
    const SubscriptionSpec& spec = k->spec;
    if (spec.end_micros && v.last_updated > spec.end_micros) continue;
    bool matched = false;
    for (const EventRule& rule : spec.rules) {
      if (rule.type != v.type) continue;
      bool interaction = v.deleted ? rule.del : created ? rule.create : rule.update;
      if (!interaction) continue;
      if (std::all_of(rule.queries.begin(), rule.queries.end(), [&](const store::Query& q) {
            return search::Matches(q, as_current, rows);
          })) {
        matched = true;
        break;
      }
    }
    if (!matched) continue;
    // Only what the subscriber may read: the change's resource as it is now (a deletion, only
    // for a subscriber who sees every resource of the type).
    if (k->subscriber.principal) {
      auto& policy = (*access)[spec.id];
      if (!policy)
        policy = std::make_unique<api::AccessPolicy>(
            engine_, std::make_shared<const auth::Principal>(*k->subscriber.principal));
      if (!policy->Allow(v.type, auth::kRead).ok()) continue;
      if (v.deleted) {
        if (!policy->SeesAllOf({v.type})) continue;
      } else {
        KY_ASSIGN_OR_RETURN(bool sees, policy->CanSee(txn, v.type, v.id, auth::kRead));
        if (!sees) continue;
      }
    }
    out.push_back(spec.id);
  }
  return out;
}

Status SubscriptionRunner::SkipTo(const store::ChangePosition& head) {
  position_ = head;
  // Recorded now and then: a process that takes over from an older position matches again
  // what made no event, which makes none again.
  auto now = std::chrono::steady_clock::now();
  if (now - persisted_at_ < std::chrono::seconds(1)) return Status::Ok();
  KY_ASSIGN_OR_RETURN(auto write, engine_.store.BeginWrite());
  KY_ASSIGN_OR_RETURN(auto recorded, ReadFeedPosition(*write));
  if (recorded != persisted_) return Load();
  KY_RETURN_IF_ERROR(WriteFeedPosition(*write, position_));
  KY_RETURN_IF_ERROR(write->Commit());
  persisted_ = position_;
  persisted_at_ = now;
  return Status::Ok();
}

Result<bool> SubscriptionRunner::MatchBatch() {
  KY_ASSIGN_OR_RETURN(auto read, engine_.store.BeginRead());
  bool none;
  {
    std::lock_guard lock(mu_);
    none = known_.empty();
  }
  std::vector<store::Change> changes;
  if (none) {
    // With no subscription, only a new one matters: the rest of the feed is passed over
    // without reading it.
    KY_ASSIGN_OR_RETURN(store::ChangePosition head, read->ChangeHead());
    KY_ASSIGN_OR_RETURN(changes, read->Changes(position_, options_.batch, "Subscription"));
    if (changes.empty()) {
      if (head > position_) KY_RETURN_IF_ERROR(SkipTo(head));
      return false;
    }
  } else {
    KY_ASSIGN_OR_RETURN(changes, read->Changes(position_, options_.batch, ""));
  }
  if (changes.empty()) return false;
  std::map<std::string, std::vector<Event>> events;
  // Subscription changes found in this batch, applied once it commits.
  std::vector<std::pair<std::string, std::shared_ptr<const Known>>> subscription_changes;
  std::set<std::string> reactivated;
  std::map<std::string, std::unique_ptr<api::AccessPolicy>> access;
  for (const store::Change& c : changes) {
    if (c.version.type == "Subscription") {
      std::shared_ptr<Known> k;
      if (!c.version.deleted) {
        KY_ASSIGN_OR_RETURN(Value resource, json::Parse(c.version.body));
        auto spec = ReadSubscription(engine_, resource);
        if (spec.ok() && spec->status == "active") {
          k = std::make_shared<Known>();
          k->spec = std::move(*spec);
          KY_ASSIGN_OR_RETURN(auto subscriber, ReadSubscriber(*read, c.version.id));
          if (subscriber) k->subscriber = std::move(*subscriber);
        }
      }
      // It applies to the changes after it in this batch too.
      std::lock_guard lock(mu_);
      bool was_active = known_.count(c.version.id) > 0;
      if (k && !was_active) reactivated.insert(c.version.id);
      if (k)
        known_[c.version.id] = k;
      else
        known_.erase(c.version.id);
      subscription_changes.emplace_back(c.version.id, k);
      continue;
    }
    KY_ASSIGN_OR_RETURN(std::vector<std::string> subs, Matching(*read, c, &access));
    for (const std::string& id : subs) {
      Event e;
      e.type = c.version.type;
      e.id = c.version.id;
      e.version = c.version.version;
      e.deleted = c.version.deleted;
      e.at = c.version.last_updated;
      events[id].push_back(std::move(e));
    }
  }
  read.reset();
  if (events.empty() && subscription_changes.empty()) {
    // Nothing to record but the position, which may lag: changes matched again after a
    // restart are events of no one again.
    KY_RETURN_IF_ERROR(SkipTo(changes.back().position));
    return true;
  }

  KY_ASSIGN_OR_RETURN(auto write, engine_.store.BeginWrite());
  // Another process that held the job before this one may have gone on (its lease ran out
  // while it still worked): then start again from where it is.
  KY_ASSIGN_OR_RETURN(auto recorded, ReadFeedPosition(*write));
  if (recorded != persisted_) {
    Log(LogLevel::kWarning, "subscriptions: the feed moved on elsewhere; reloading");
    KY_RETURN_IF_ERROR(Load());
    return true;
  }
  std::map<std::string, int64_t> counts;
  for (auto& [id, list] : events) {
    KY_ASSIGN_OR_RETURN(int64_t n, EventCount(*write, id));
    for (Event& e : list) {
      e.number = ++n;
      KY_RETURN_IF_ERROR(AppendEvent(*write, id, e));
    }
    KY_RETURN_IF_ERROR(WriteEventCount(*write, id, n));
    counts[id] = n;
  }
  KY_RETURN_IF_ERROR(WriteFeedPosition(*write, changes.back().position));
  KY_RETURN_IF_ERROR(write->Commit());
  position_ = changes.back().position;
  persisted_ = position_;
  persisted_at_ = std::chrono::steady_clock::now();

  std::lock_guard lock(mu_);
  for (const auto& [id, k] : subscription_changes) {
    if (!k || pending_.count(id)) continue;
    // New to this process: what the store says (a new subscription has nothing yet).
    auto txn = engine_.store.BeginRead();
    if (!txn.ok()) return txn.status();
    Pending p;
    KY_ASSIGN_OR_RETURN(p.count, EventCount(**txn, id));
    KY_ASSIGN_OR_RETURN(p.delivery, ReadDelivery(**txn, id));
    pending_[id] = p;
  }
  // A subscription made active again (after an error) starts its retry window afresh.
  for (const std::string& id : reactivated) {
    DeliveryState& d = pending_[id].delivery;
    d.failing_since = d.attempts = d.next_attempt = 0;
    dirty_.insert(id);
  }
  for (const auto& [id, n] : counts)
    if (pending_.count(id)) pending_[id].count = std::max(pending_[id].count, n);
  return true;
}

Status SubscriptionRunner::FlushDeliveries() {
  std::map<std::string, DeliveryState> states;
  {
    std::lock_guard lock(mu_);
    for (const std::string& id : dirty_)
      if (auto it = pending_.find(id); it != pending_.end()) states[id] = it->second.delivery;
    dirty_.clear();
  }
  if (states.empty()) return Status::Ok();
  Status written = [&]() -> Status {
    KY_ASSIGN_OR_RETURN(auto write, engine_.store.BeginWrite());
    for (const auto& [id, d] : states) KY_RETURN_IF_ERROR(WriteDelivery(*write, id, d));
    return write->Commit();
  }();
  if (!written.ok()) {
    std::lock_guard lock(mu_);
    for (const auto& [id, d] : states) dirty_.insert(id);  // next time
  }
  return written;
}

void SubscriptionRunner::Schedule() {
  std::lock_guard lock(mu_);
  int64_t now = engine_.clock.NowMicros();
  for (auto& [id, p] : pending_) {
    auto k = known_.find(id);
    if (k == known_.end() || !Delivers(k->second->spec) || in_flight_.count(id)) continue;
    if (p.delivery.next_attempt > now) continue;
    bool events = p.count > p.delivery.delivered;
    int64_t heartbeat = k->second->spec.heartbeat_seconds * 1'000'000;
    bool beat = heartbeat > 0 && now - p.delivery.last_sent >= heartbeat;
    if (!events && !beat) continue;
    in_flight_.insert(id);
    queue_.push_back(id);
  }
  if (!queue_.empty()) work_.notify_all();
}

void SubscriptionRunner::StartSenders() {
  std::lock_guard lock(mu_);
  stopping_ = false;
  for (int i = 0; i < options_.senders; ++i) {
    senders_.emplace_back([this] {
      std::unique_lock lock(mu_);
      while (true) {
        work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        std::string id = queue_.front();
        queue_.pop_front();
        lock.unlock();
        Send(id);
        lock.lock();
        in_flight_.erase(id);
        woken_ = true;  // it may have more to send
        wake_.notify_all();
      }
    });
  }
}

void SubscriptionRunner::StopSenders() {
  std::vector<std::thread> senders;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    senders.swap(senders_);
    queue_.clear();
  }
  work_.notify_all();
  for (std::thread& t : senders) t.join();
  std::lock_guard lock(mu_);
  in_flight_.clear();
}

void SubscriptionRunner::Send(const std::string& id) {
  std::shared_ptr<const Known> known;
  {
    std::lock_guard lock(mu_);
    auto it = known_.find(id);
    if (it == known_.end()) return;
    known = it->second;
  }
  Status s = Deliver(*known);
  static ThrottledLog log(LogLevel::kWarning);
  if (!s.ok()) log("subscription " + id + ": " + s.message());
}

Status SubscriptionRunner::Deliver(const Known& known) {
  const SubscriptionSpec& spec = known.spec;
  int64_t count;
  DeliveryState d;
  {
    std::lock_guard lock(mu_);
    const Pending& p = pending_[spec.id];
    count = p.count;
    d = p.delivery;
  }
  std::vector<NotifiedEvent> notified;
  {
    KY_ASSIGN_OR_RETURN(auto read, engine_.store.BeginRead());
    KY_ASSIGN_OR_RETURN(std::vector<Event> events,
                        EventsAfter(*read, spec.id, d.delivered, spec.max_count));
    for (Event& e : events) {
      NotifiedEvent n{std::move(e), std::nullopt};
      // Read for the audit record too, whatever the payload shows.
      if (spec.content != Content::kEmpty && !n.event.deleted) {
        KY_ASSIGN_OR_RETURN(n.version,
                            read->ReadVersion(n.event.type, n.event.id, n.event.version));
      }
      notified.push_back(std::move(n));
    }
  }
  int64_t now = engine_.clock.NowMicros();
  NotificationStatus status;
  status.base_url = known.subscriber.base_url;
  status.subscription_id = spec.id;
  status.topic = spec.topic;
  status.status = spec.status;
  status.type = notified.empty() ? "heartbeat" : "event-notification";
  status.events_since_start = count;
  Value bundle = NotificationBundle(status, notified, spec.content, engine_.ids.NewId(), now);
  http::OutboundUrl url;
  http::OutboundResult answer;
  if (spec.channel == Channel::kMessage) {
    // The queue is the endpoint: once the message is stored, it is delivered.
    Status queued = [&]() -> Status {
      KY_ASSIGN_OR_RETURN(auto write, engine_.store.BeginWrite());
      KY_RETURN_IF_ERROR(Enqueue(*write, spec.endpoint, spec.id, json::Write(bundle)).status());
      return write->Commit();
    }();
    if (queued.ok())
      answer.status = 200;
    else
      answer.error = "the outbound queue could not be written: " + queued.message();
  } else if (!http::ParseOutboundUrl(spec.endpoint, &url)) {
    answer.error = "the endpoint is not an http(s) URL";
  } else {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/fhir+json"}};
    headers.insert(headers.end(), spec.headers.begin(), spec.headers.end());
    answer = http::OutboundCall(url, "POST", headers, json::Write(bundle), options_.outbound);
  }
  bool ok = answer.status >= 200 && answer.status < 300;
  now = engine_.clock.NowMicros();

  bool gave_up = false;
  if (ok) {
    if (!notified.empty()) d.delivered = std::max(d.delivered, notified.back().event.number);
    d.failing_since = d.attempts = d.next_attempt = 0;
    d.last_error.clear();
    d.last_sent = now;
  } else {
    d.last_error =
        answer.status ? "the endpoint answered " + std::to_string(answer.status) : answer.error;
    if (!d.failing_since) d.failing_since = now;
    ++d.attempts;
    int64_t pause = options_.first_pause_micros;
    for (int64_t i = 1; i < d.attempts && pause < options_.longest_pause_micros; ++i) pause *= 2;
    d.next_attempt = now + std::min(pause, options_.longest_pause_micros);
    gave_up = now - d.failing_since >= options_.retry_micros;
  }
  {
    // Recorded in the store with the others every round of the loop: a process that dies
    // before then leaves the last notifications to be sent again (at least once).
    std::lock_guard lock(mu_);
    pending_[spec.id].delivery = d;
    dirty_.insert(spec.id);
  }
  if (gave_up) {
    KY_ASSIGN_OR_RETURN(auto write, api::BeginWrite(engine_));
    KY_RETURN_IF_ERROR(WriteDelivery(*write, spec.id, d));
    // Nothing is dropped: the events stay for $events, and the subscription says why it stopped.
    KY_ASSIGN_OR_RETURN(auto current, write->ReadCurrent("Subscription", spec.id));
    if (current && !current->deleted) {
      KY_ASSIGN_OR_RETURN(Value resource, json::Parse(current->body));
      if (resource.GetString("status") == "active") {
        resource.Set("status", Value::String("error"));
        resource.Set("error",
                     Value::String("通知无法送达 Notifications could not be delivered since " +
                                   FormatInstant(d.failing_since) + ": " + d.last_error));
        KY_RETURN_IF_ERROR(api::WriteVersion(engine_, *write, std::move(resource), spec.id, current,
                                             "PUT", /*by_registry=*/true)
                               .status());
      }
    }
    KY_RETURN_IF_ERROR(write->Commit());
  }
  if (ok && !notified.empty() && engine_.audit && known.subscriber.principal) {
    // Residents' data left the platform for the subscriber: on record like a read.
    const auth::Principal& p = *known.subscriber.principal;
    audit::AuditRecord record;
    record.subtype = "read";
    record.action = 'R';
    record.recorded = now;
    record.who_subject = p.subject;
    record.who_display = p.display;
    record.who_reference = p.Reference();
    record.role = auth::RoleName(p.role);
    record.organization = p.organization;
    record.client_id = p.client_id;
    record.query = "POST " + spec.endpoint + " (Subscription/" + spec.id + ")";
    std::set<std::string> patients;
    for (const NotifiedEvent& n : notified) {
      record.resources.push_back(n.event.type + "/" + n.event.id);
      if (n.version)
        if (auto r = json::Parse(n.version->body); r.ok())
          for (std::string& id : engine_.extractor.PatientCompartments(*r)) patients.insert(id);
    }
    record.patients.assign(patients.begin(), patients.end());
    (void)engine_.audit->Record(std::move(record));
  }
  if (gave_up) Log(LogLevel::kWarning, "Subscription/" + spec.id + " is in error: " + d.last_error);
  return Status::Ok();
}

Status SubscriptionRunner::Run(api::JobContext& ctx) {
  Status loaded = Load();
  if (!loaded.ok()) return Status(StatusCode::kUnavailable, loaded.message());
  StartSenders();
  auto last_flush = std::chrono::steady_clock::now();
  while (!ctx.Stopping()) {
    auto round = std::chrono::steady_clock::now();
    auto more = MatchBatch();
    if (!more.ok()) {
      static ThrottledLog log(LogLevel::kWarning);
      log("subscriptions: " + more.status().message());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    Schedule();
    if (round - last_flush >= kFlushEvery) {
      last_flush = round;
      if (Status flushed = FlushDeliveries(); !flushed.ok()) {
        static ThrottledLog log(LogLevel::kWarning);
        log("subscriptions: " + flushed.message());
      }
    }
    // Rounds are spaced, so that under a stream of writes each matches several changes in one
    // transaction rather than adding a transaction to every write.
    std::unique_lock lock(mu_);
    if (*more) {
      wake_.wait_until(lock, round + kRoundSpacing, [this] { return stopping_; });
    } else {
      wake_.wait_for(lock, kPoll, [this] { return woken_; });
      if (woken_) wake_.wait_until(lock, round + kRoundSpacing, [this] { return stopping_; });
    }
    woken_ = false;
  }
  StopSenders();
  (void)FlushDeliveries();
  return Status(StatusCode::kUnavailable, "stopping");
}

}  // namespace kangyun::services::subscriptions
