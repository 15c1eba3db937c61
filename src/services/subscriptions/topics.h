// The subscription topics the platform offers (FHIR Subscriptions R5 Backport IG): what a
// topic-based Subscription names in Subscription.criteria. A topic says which changes of which
// resources are its events; a subscriber narrows them with filters (search parameters of the
// resource). Plain data, each topic with the plan or standard it serves.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kangyun::services::subscriptions {

struct TopicTrigger {
  std::string type;  // the resource type
  bool create = true, update = true, del = false;
  // A search (without the type) the version must match to be an event; "" for any version.
  std::string criteria;
};

struct Topic {
  std::string url;
  std::string title;  // Chinese, then English
  std::string description;
  std::string source;  // the plan or standard that asks for it
  std::vector<TopicTrigger> triggers;
  // Filters a subscriber will commonly use (documentation: any search parameter of a
  // trigger's type filters).
  std::vector<std::string> can_filter_by;
};

const std::vector<Topic>& Topics();
// nullptr when the platform offers no topic of that canonical URL (a "|version" is ignored).
const Topic* FindTopic(std::string_view url);

}  // namespace kangyun::services::subscriptions
