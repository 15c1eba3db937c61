// A Subscription resource as the platform reads it: an R4 criteria subscription
// ("Observation?code=…") or a topic-based one of the Subscriptions R5 Backport IG (criteria is a
// topic's canonical URL, filters in backport-filter-criteria extensions). Parse checks what the
// platform can honour and refuses the rest with the element at fault.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "api/engine.h"
#include "base/status.h"
#include "json/value.h"
#include "services/subscriptions/topics.h"
#include "store/query.h"

namespace kangyun::services::subscriptions {

inline constexpr const char* kBackport =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/";

// What changes of one resource type are events of a subscription: the version must match every
// query (the topic's trigger criteria, then the subscriber's filters).
struct EventRule {
  std::string type;
  bool create = true, update = true, del = false;
  std::vector<store::Query> queries;
};

enum class Channel { kRestHook, kWebsocket, kMessage };
enum class Content { kEmpty, kIdOnly, kFullResource };

struct SubscriptionSpec {
  std::string id;
  std::string status;  // requested, active, error, off
  std::string topic;   // the topic's canonical URL; "" for an R4 criteria subscription
  std::vector<EventRule> rules;
  Channel channel = Channel::kRestHook;
  std::string endpoint;
  std::vector<std::pair<std::string, std::string>> headers;
  Content content = Content::kIdOnly;
  int64_t heartbeat_seconds = 0;  // 0: none
  int64_t max_count = 100;        // events in one notification
  int64_t end_micros = 0;         // Subscription.end; 0: none
  std::string owner;              // the principal that made it (api/reach_model.h)
};

struct SpecOptions {
  bool authenticated = false;  // requests need tokens: endpoints must be https
  bool allow_http = false;     // plain http endpoints anyway (a closed network)
};

// For a Subscription being written: everything checked, nothing assumed.
Result<SubscriptionSpec> ParseSubscription(const api::Engine& engine, const json::Value& resource,
                                           const SpecOptions& options);
// For a stored one (written under the same rules): what it says, without the endpoint checks
// of the moment it was written.
Result<SubscriptionSpec> ReadSubscription(const api::Engine& engine, const json::Value& resource);

const char* ContentName(Content c);

}  // namespace kangyun::services::subscriptions
