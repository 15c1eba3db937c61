#include "services/subscriptions/subscription_spec.h"

#include "api/reach_model.h"
#include "fhir/datetime.h"
#include "http/outbound.h"
#include "search/search_request.h"
#include "search/version_match.h"
#include "services/subscriptions/outbound_queue.h"

namespace kangyun::services::subscriptions {
namespace {

using json::Value;

const Value* Extension(const Value& element, std::string_view name) {
  if (const Value* ext = element.Find("extension"))
    for (const Value& e : ext->items())
      if (e.GetString("url") == std::string(kBackport) + std::string(name)) return &e;
  return nullptr;
}

// A search's query for one type, which a change must match; refused when it cannot be decided
// from the changed resource alone.
Result<store::Query> PlanCriteria(const api::Engine& engine, const std::string& type,
                                  std::string_view query, const char* element) {
  search::QueryParams params = search::ParseQueryString(query);
  auto request = search::ParseSearchRequest(params);
  if (!request.ok()) return Invalid(request.status().message(), element);
  if (request->count || !request->sort.empty() || !request->includes.empty() ||
      !request->revincludes.empty() || !request->summary.empty() || !request->elements.empty())
    return Invalid(
        "Criteria select resources; _count, _sort, _include, _summary and _elements "
        "have no meaning in them",
        element);
  auto plan = engine.planner.Plan({type}, *request, /*strict=*/true, engine.clock.NowMicros());
  if (!plan.ok()) return Invalid(plan.status().message(), element);
  Status decidable = search::CheckDecidable(plan->query);
  if (!decidable.ok()) return Invalid(decidable.message(), element);
  return std::move(plan->query);
}

Status CheckType(const api::Engine& engine, const std::string& type, const char* element) {
  if (!engine.defs.IsResourceType(type))
    return Invalid("'" + type + "' is not a resource type", element);
  return Status::Ok();
}

Status ReadCriteria(const api::Engine& engine, const Value& resource, SubscriptionSpec* spec) {
  const char* kCriteria = "Subscription.criteria";
  std::string criteria(resource.GetString("criteria"));
  if (criteria.empty()) return Invalid("A subscription needs criteria", kCriteria);
  const Value* criteria_element = resource.Find("_criteria");
  if (criteria.starts_with("http://") || criteria.starts_with("https://")) {
    const Topic* topic = FindTopic(criteria);
    if (!topic)
      return Invalid("Unknown subscription topic '" + criteria +
                         "': the platform offers the topics listed in docs/subscriptions.md",
                     kCriteria);
    spec->topic = topic->url;
    std::vector<std::string> filters;
    if (criteria_element)
      if (const Value* ext = criteria_element->Find("extension"))
        for (const Value& e : ext->items())
          if (e.GetString("url") == std::string(kBackport) + "backport-filter-criteria")
            filters.emplace_back(e.GetString("valueString"));
    const char* kFilter = "Subscription.criteria.extension:filterCriteria";
    for (const TopicTrigger& t : topic->triggers) {
      EventRule rule{t.type, t.create, t.update, t.del, {}};
      if (!t.criteria.empty()) {
        KY_ASSIGN_OR_RETURN(store::Query q, PlanCriteria(engine, t.type, t.criteria, kCriteria));
        rule.queries.push_back(std::move(q));
      }
      spec->rules.push_back(std::move(rule));
    }
    for (const std::string& filter : filters) {
      // "Observation?patient=Patient/1" filters that type; "patient=Patient/1" every type
      // of the topic.
      size_t q = filter.find('?');
      std::string type = q == std::string::npos ? "" : filter.substr(0, q);
      std::string query = q == std::string::npos ? filter : filter.substr(q + 1);
      bool applied = false;
      for (EventRule& rule : spec->rules) {
        if (!type.empty() && rule.type != type) continue;
        KY_ASSIGN_OR_RETURN(store::Query q, PlanCriteria(engine, rule.type, query, kFilter));
        rule.queries.push_back(std::move(q));
        applied = true;
      }
      if (!applied)
        return Invalid("The filter '" + filter + "' is on " + type + ", which is not a resource " +
                           "of the topic " + topic->url,
                       kFilter);
    }
    return Status::Ok();
  }
  // An R4 criteria subscription: "Type?query" (or "Type" for every change of it).
  size_t q = criteria.find('?');
  std::string type = criteria.substr(0, q);
  KY_RETURN_IF_ERROR(CheckType(engine, type, kCriteria));
  EventRule rule{type, true, true, false, {}};
  if (q != std::string::npos) {
    KY_ASSIGN_OR_RETURN(store::Query query,
                        PlanCriteria(engine, type, criteria.substr(q + 1), kCriteria));
    rule.queries.push_back(std::move(query));
  }
  spec->rules.push_back(std::move(rule));
  return Status::Ok();
}

Status ReadChannel(const Value& resource, const SpecOptions* options, SubscriptionSpec* spec) {
  const Value* channel = resource.Find("channel");
  if (!channel) return Invalid("A subscription needs a channel", "Subscription.channel");
  std::string type(channel->GetString("type"));
  if (type == "rest-hook") {
    spec->channel = Channel::kRestHook;
  } else if (type == "websocket") {
    spec->channel = Channel::kWebsocket;
  } else if (type == "message") {
    spec->channel = Channel::kMessage;
  } else {
    return Invalid(
        "The platform delivers through rest-hook, websocket and message channels, not '" + type +
            "'",
        "Subscription.channel.type");
  }
  spec->endpoint = std::string(channel->GetString("endpoint"));
  if (spec->channel == Channel::kRestHook && options) {
    const char* kEndpoint = "Subscription.channel.endpoint";
    http::OutboundUrl url;
    if (!http::ParseOutboundUrl(spec->endpoint, &url))
      return Invalid("A rest-hook channel needs an http(s) endpoint URL", kEndpoint);
    if (!url.tls && options->authenticated && !options->allow_http &&
        !http::IsLoopbackHost(url.host))
      return Invalid(
          "Notifications carry residents' data: the endpoint must be https (plain "
          "http only on this machine, or where the server allows it with "
          "--subscription-http-endpoints)",
          kEndpoint);
  }
  if (spec->channel == Channel::kMessage && !IsQueueName(spec->endpoint))
    return Invalid(
        "A message channel names in its endpoint the outbound queue a gateway takes the "
        "notifications from (letters, digits, '-', '_', '.', ':'), not '" +
            spec->endpoint + "'",
        "Subscription.channel.endpoint");
  if (const Value* headers = channel->Find("header")) {
    for (const Value& h : headers->items()) {
      std::string line = h.str();
      size_t colon = line.find(':');
      if (colon == std::string::npos || colon == 0 ||
          line.find_first_of("\r\n") != std::string::npos)
        return Invalid("A header is 'Name: value' on one line", "Subscription.channel.header");
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      spec->headers.emplace_back(line.substr(0, colon), value);
    }
  }
  std::string payload(channel->GetString("payload"));
  const Value* payload_element = channel->Find("_payload");
  const Value* content =
      payload_element ? Extension(*payload_element, "backport-payload-content") : nullptr;
  if (payload.empty()) {
    spec->content = Content::kEmpty;
  } else if (payload != "application/fhir+json" && payload != "application/json") {
    return Invalid("Notifications are sent as application/fhir+json, not '" + payload + "'",
                   "Subscription.channel.payload");
  } else if (!content) {
    spec->content = spec->topic.empty() ? Content::kFullResource : Content::kIdOnly;
  } else {
    std::string c(content->GetString("valueCode"));
    if (c == "empty")
      spec->content = Content::kEmpty;
    else if (c == "id-only")
      spec->content = Content::kIdOnly;
    else if (c == "full-resource")
      spec->content = Content::kFullResource;
    else
      return Invalid("Payload content is empty, id-only or full-resource, not '" + c + "'",
                     "Subscription.channel.payload.extension:content");
  }
  if (const Value* hb = Extension(*channel, "backport-heartbeat-period")) {
    const Value* v = hb->Find("valueUnsignedInt");
    if (!v || !v->is_number() || v->str().find_first_not_of("0123456789") != std::string::npos)
      return Invalid("The heartbeat period is a whole number of seconds",
                     "Subscription.channel.extension:heartbeatPeriod");
    spec->heartbeat_seconds = std::stoll(v->str());
  }
  if (const Value* mc = Extension(*channel, "backport-max-count")) {
    const Value* v = mc->Find("valuePositiveInt");
    if (!v || !v->is_number() || v->str().find_first_not_of("0123456789") != std::string::npos ||
        std::stoll(v->str()) < 1)
      return Invalid("The largest number of events in a notification is a positive whole number",
                     "Subscription.channel.extension:maxCount");
    spec->max_count = std::min<int64_t>(std::stoll(v->str()), 1000);
  }
  return Status::Ok();
}

Result<SubscriptionSpec> Read(const api::Engine& engine, const Value& resource,
                              const SpecOptions* options) {
  SubscriptionSpec spec;
  spec.id = std::string(resource.GetString("id"));
  spec.status = std::string(resource.GetString("status"));
  KY_RETURN_IF_ERROR(ReadCriteria(engine, resource, &spec));
  KY_RETURN_IF_ERROR(ReadChannel(resource, options, &spec));
  if (std::string_view end = resource.GetString("end"); !end.empty()) {
    auto parsed = fhir::ParseDateTime(end);
    if (!parsed)
      return Invalid("'" + std::string(end) + "' is not a date-time", "Subscription.end");
    spec.end_micros = parsed->HighMicros();
  }
  if (const Value* ext = resource.Find("extension"))
    for (const Value& e : ext->items())
      if (e.GetString("url") == api::kOwnerExtension)
        spec.owner = std::string(e.GetString("valueString"));
  return spec;
}

}  // namespace

Result<SubscriptionSpec> ParseSubscription(const api::Engine& engine, const json::Value& resource,
                                           const SpecOptions& options) {
  return Read(engine, resource, &options);
}

Result<SubscriptionSpec> ReadSubscription(const api::Engine& engine, const json::Value& resource) {
  return Read(engine, resource, nullptr);
}

const char* ContentName(Content c) {
  switch (c) {
    case Content::kEmpty:
      return "empty";
    case Content::kIdOnly:
      return "id-only";
    case Content::kFullResource:
      return "full-resource";
  }
  return "empty";
}

}  // namespace kangyun::services::subscriptions
