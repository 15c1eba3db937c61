#include "services/subscriptions/notification.h"

#include "base/env.h"
#include "json/json.h"

namespace kangyun::services::subscriptions {
namespace {

using json::Value;

constexpr const char* kStatusProfile =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
    "backport-subscription-status-r4";

Value Ref(std::string reference) {
  Value r = Value::Object();
  r.Set("reference", Value::String(std::move(reference)));
  return r;
}

std::string Url(const NotificationStatus& s, const Event& e, bool versioned) {
  std::string url = s.base_url + "/" + e.type + "/" + e.id;
  return versioned ? url + "/_history/" + std::to_string(e.version) : url;
}

}  // namespace

Value NamedValue(const char* name, const char* type, Value value) {
  Value p = Value::Object();
  p.Set("name", Value::String(name));
  p.Set(type, std::move(value));
  return p;
}

Value ParametersOf(Value parameters) {
  Value out = Value::Object();
  out.Set("resourceType", Value::String("Parameters"));
  if (!parameters.items().empty()) out.Set("parameter", std::move(parameters));
  return out;
}

Value SubscriptionStatus(const NotificationStatus& s, const std::vector<NotifiedEvent>& events,
                         Content content) {
  Value params = Value::Array();
  params.Push(NamedValue("subscription", "valueReference",
                         Ref(s.base_url + "/Subscription/" + s.subscription_id)));
  if (!s.topic.empty()) params.Push(NamedValue("topic", "valueCanonical", Value::String(s.topic)));
  params.Push(NamedValue("status", "valueCode", Value::String(s.status)));
  params.Push(NamedValue("type", "valueCode", Value::String(s.type)));
  params.Push(NamedValue("events-since-subscription-start", "valueString",
                         Value::String(std::to_string(s.events_since_start))));
  for (const NotifiedEvent& n : events) {
    Value parts = Value::Array();
    parts.Push(
        NamedValue("event-number", "valueString", Value::String(std::to_string(n.event.number))));
    parts.Push(NamedValue("timestamp", "valueInstant", Value::String(FormatInstant(n.event.at))));
    if (content != Content::kEmpty)
      parts.Push(NamedValue("focus", "valueReference", Ref(Url(s, n.event, true))));
    Value event = Value::Object();
    event.Set("name", Value::String("notification-event"));
    event.Set("part", std::move(parts));
    params.Push(std::move(event));
  }
  if (!s.error.empty()) {
    Value coding = Value::Object();
    coding.Set("system", Value::String("http://terminology.hl7.org/CodeSystem/subscription-error"));
    coding.Set("code", Value::String("delivery-failed"));
    Value codings = Value::Array();
    codings.Push(std::move(coding));
    Value reason = Value::Object();
    reason.Set("coding", std::move(codings));
    reason.Set("text", Value::String(s.error));
    params.Push(NamedValue("error", "valueCodeableConcept", std::move(reason)));
  }
  Value profile = Value::Array();
  profile.Push(Value::String(kStatusProfile));
  Value meta = Value::Object();
  meta.Set("profile", std::move(profile));
  Value out = Value::Object();
  out.Set("resourceType", Value::String("Parameters"));
  out.Set("meta", std::move(meta));
  out.Set("parameter", std::move(params));
  return out;
}

Value NotificationBundle(const NotificationStatus& s, const std::vector<NotifiedEvent>& events,
                         Content content, const std::string& bundle_id, int64_t now) {
  Value entries = Value::Array();
  Value status_entry = Value::Object();
  status_entry.Set("fullUrl", Value::String("urn:uuid:" + bundle_id));
  status_entry.Set("resource", SubscriptionStatus(s, events, content));
  bool history = s.type != "query-status";
  if (history) {
    Value request = Value::Object();
    request.Set("method", Value::String("GET"));
    request.Set("url",
                Value::String(s.base_url + "/Subscription/" + s.subscription_id + "/$status"));
    Value response = Value::Object();
    response.Set("status", Value::String("200"));
    status_entry.Set("request", std::move(request));
    status_entry.Set("response", std::move(response));
  }
  entries.Push(std::move(status_entry));
  if (content != Content::kEmpty) {
    for (const NotifiedEvent& n : events) {
      Value entry = Value::Object();
      entry.Set("fullUrl", Value::String(Url(s, n.event, false)));
      if (content == Content::kFullResource && n.version && !n.version->deleted)
        entry.Set("resource", Value::Raw(n.version->body));
      Value request = Value::Object();
      request.Set("method", Value::String(n.event.deleted        ? "DELETE"
                                          : n.event.version == 1 ? "POST"
                                                                 : "PUT"));
      request.Set("url", Value::String(n.event.version == 1 && !n.event.deleted
                                           ? n.event.type
                                           : n.event.type + "/" + n.event.id));
      Value response = Value::Object();
      response.Set("status", Value::String(n.event.deleted        ? "204"
                                           : n.event.version == 1 ? "201"
                                                                  : "200"));
      entry.Set("request", std::move(request));
      entry.Set("response", std::move(response));
      entries.Push(std::move(entry));
    }
  }
  Value bundle = Value::Object();
  bundle.Set("resourceType", Value::String("Bundle"));
  bundle.Set("id", Value::String(bundle_id));
  bundle.Set("type", Value::String(history ? "history" : "searchset"));
  bundle.Set("timestamp", Value::String(FormatInstant(now)));
  bundle.Set("entry", std::move(entries));
  return bundle;
}

}  // namespace kangyun::services::subscriptions
