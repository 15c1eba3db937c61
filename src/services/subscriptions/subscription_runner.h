// What makes subscriptions happen: one background job (api/job_runner.h), held by one server
// process of a database at a time, that
// - reads the change feed (store.h: Changes) from where it last stopped, tests each change
//   against every active subscription, filters by what the subscription's maker may see, and
//   records the matches as numbered events together with the new feed position, in one
//   transaction (so every committed change is matched once, in commit order, whatever process
//   committed it and whichever died);
// - delivers each subscription's events in order on a pool of senders, one notification at a
//   time per subscription, so that a slow or dead endpoint holds up only its own; a failed
//   delivery is tried again with growing pauses for the retry window (72 hours by default),
//   after which the subscription goes to `error` with its undelivered events kept for $events.
// If the process dies, another claims the job once its lease runs out and goes on from what
// was recorded: an event is delivered at least once, twice only when an answer was lost.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/engine.h"
#include "http/outbound.h"
#include "services/subscriptions/event_log.h"
#include "services/subscriptions/subscription_spec.h"

namespace kangyun::services::subscriptions {

struct RunnerOptions {
  // How long a failing endpoint is tried before its subscription goes to error.
  int64_t retry_micros = int64_t{72} * 3600 * 1000000;
  int64_t first_pause_micros = 5'000'000;      // after the first failure; doubles after each
  int64_t longest_pause_micros = 900'000'000;  // 15 minutes
  http::OutboundOptions outbound;
  int senders = 8;
  int64_t batch = 500;  // changes matched in one transaction
};

class SubscriptionRunner {
 public:
  SubscriptionRunner(api::Engine& engine, RunnerOptions options);
  ~SubscriptionRunner();

  // The job's run: until ctx says stop; then kUnavailable, so that the job is queued again
  // (for this process after a restart, or another).
  Status Run(api::JobContext& ctx);
  // A write committed in this process: look at the feed now.
  void Wake();

 private:
  struct Known {
    SubscriptionSpec spec;
    Subscriber subscriber;
  };
  // What the senders need to know of a subscription between reads of the store.
  struct Pending {
    int64_t count = 0;  // events recorded
    DeliveryState delivery;
  };

  Status Load();
  // Moves past changes that made no event (the position is recorded now and then).
  Status SkipTo(const store::ChangePosition& head);
  // One batch of the feed; false when there was none.
  Result<bool> MatchBatch();
  // The subscriptions a change is an event of, each with the event.
  Result<std::vector<std::string>> Matching(
      store::ReadTransaction& txn, const store::Change& c,
      std::map<std::string, std::unique_ptr<api::AccessPolicy>>* access);
  void Schedule();
  // Records the delivery states that changed since the last time, in one transaction.
  Status FlushDeliveries();
  void Send(const std::string& id);
  Status Deliver(const Known& known);
  void StartSenders();
  void StopSenders();

  api::Engine& engine_;
  const RunnerOptions options_;
  store::ChangePosition position_;
  // What is recorded in the store, as far as this process knows, and when it recorded it.
  std::optional<store::ChangePosition> persisted_;
  std::chrono::steady_clock::time_point persisted_at_;

  std::mutex mu_;
  std::condition_variable wake_, work_;
  bool woken_ = false;
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<const Known>> known_;  // active ones, by id
  std::map<std::string, Pending> pending_;
  std::set<std::string> in_flight_;
  std::set<std::string> dirty_;  // delivery states changed since they were last recorded
  std::deque<std::string> queue_;
  std::vector<std::thread> senders_;
};

}  // namespace kangyun::services::subscriptions
