// The notifications the subscriptions send and answer with, as the Subscriptions R5 Backport
// IG shapes them for R4: a history Bundle whose first entry is the SubscriptionStatus (an R4
// Parameters resource), followed by the events' resources, their references, or nothing,
// according to the subscription's payload content.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "json/value.h"
#include "services/subscriptions/event_log.h"
#include "services/subscriptions/subscription_spec.h"
#include "store/store.h"

namespace kangyun::services::subscriptions {

struct NotificationStatus {
  std::string base_url;  // the server's FHIR base, for absolute references
  std::string subscription_id;
  std::string topic;
  std::string status;  // the subscription's
  std::string type;    // handshake, heartbeat, event-notification, query-status, query-event
  int64_t events_since_start = 0;
  std::string error;  // the last delivery error, for query-status
};

// One event and, for full-resource, the version it is about (nullopt when the version cannot
// be shown: a deletion, or a resource the reader may not see).
struct NotifiedEvent {
  Event event;
  std::optional<store::StoredResource> version;
};

// A Parameters parameter (or part): {"name": name, type: value}.
json::Value NamedValue(const char* name, const char* type, json::Value value);
// A Parameters resource of those parameters.
json::Value ParametersOf(json::Value parameters);

json::Value SubscriptionStatus(const NotificationStatus& status,
                               const std::vector<NotifiedEvent>& events, Content content);
// The Bundle: type history for notifications and $events, searchset for $status.
json::Value NotificationBundle(const NotificationStatus& status,
                               const std::vector<NotifiedEvent>& events, Content content,
                               const std::string& bundle_id, int64_t now);

}  // namespace kangyun::services::subscriptions
