// What the subscriptions keep between changes and across processes, as platform records
// (store.h: GetRecord) beside the data, so that it commits with what it describes:
// - where the matcher is in the change feed;
// - each subscription's events, numbered from 1 (events-since-subscription-start), kept until
//   delivered and then for replay ($events);
// - each subscription's delivery: what was delivered, and since when it has been failing;
// - who made each subscription, for the reach rules applied to its events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "base/status.h"
#include "store/store.h"

namespace kangyun::services::subscriptions {

struct Event {
  int64_t number = 0;
  std::string type, id;
  int64_t version = 0;
  bool deleted = false;
  int64_t at = 0;  // when the version was written (micros)
};

struct DeliveryState {
  int64_t delivered = 0;      // events up to this number were received by the endpoint
  int64_t failing_since = 0;  // micros of the first failed attempt since the last success; 0
  int64_t attempts = 0;       // failed attempts since the last success
  int64_t next_attempt = 0;   // micros; 0 for now
  int64_t last_sent = 0;      // micros of the last notification (heartbeats count from it)
  std::string last_error;
};

// nullopt before the matcher first started on the database.
// The key of the n-th record of a numbered log: keys sort as their numbers do.
std::string NumberKey(int64_t n);

Result<std::optional<store::ChangePosition>> ReadFeedPosition(store::ReadTransaction& txn);
Status WriteFeedPosition(store::WriteTransaction& txn, const store::ChangePosition& position);

// Events after `after` (a number), at most limit, in order.
Result<std::vector<Event>> EventsAfter(store::ReadTransaction& txn, const std::string& subscription,
                                       int64_t after, int64_t limit);
Status AppendEvent(store::WriteTransaction& txn, const std::string& subscription, const Event& e);
// The number of the last event (0 before the first).
Result<int64_t> EventCount(store::ReadTransaction& txn, const std::string& subscription);
Status WriteEventCount(store::WriteTransaction& txn, const std::string& subscription, int64_t n);

Result<DeliveryState> ReadDelivery(store::ReadTransaction& txn, const std::string& subscription);
Status WriteDelivery(store::WriteTransaction& txn, const std::string& subscription,
                     const DeliveryState& state);

// Whom a subscription's events are for: the principal they are filtered for, as its maker's
// token said when it was made (the token's narrowed scopes, not the account's widest; none on
// a server without authentication), and the server's base URL the maker used, which the
// notifications' references start with.
struct Subscriber {
  std::optional<auth::Principal> principal;
  std::string base_url;
};
Status WriteSubscriber(store::WriteTransaction& txn, const std::string& subscription,
                       const Subscriber& subscriber);
Result<std::optional<Subscriber>> ReadSubscriber(store::ReadTransaction& txn,
                                                 const std::string& subscription);

}  // namespace kangyun::services::subscriptions
