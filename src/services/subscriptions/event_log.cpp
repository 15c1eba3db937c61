#include "services/subscriptions/event_log.h"

#include <cstdio>

#include "auth/principal_record.h"
#include "json/json.h"

namespace kangyun::services::subscriptions {
namespace {

using json::Value;

constexpr const char* kFeed = "subscription-feed";
constexpr const char* kCount = "subscription-count";
constexpr const char* kDelivery = "subscription-delivery";
constexpr const char* kOwner = "subscription-owner";

std::string EventsKind(const std::string& subscription) {
  return "subscription-events/" + subscription;
}

int64_t IntOf(const Value& v, std::string_view key) {
  const Value* f = v.Find(key);
  return f && f->is_number() ? std::stoll(f->str()) : 0;
}

}  // namespace

std::string NumberKey(int64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(n));
  return buf;
}

Result<std::optional<store::ChangePosition>> ReadFeedPosition(store::ReadTransaction& txn) {
  KY_ASSIGN_OR_RETURN(auto text, txn.GetRecord(kFeed, "position"));
  store::ChangePosition p;
  if (!text) return std::optional<store::ChangePosition>();
  long long t = 0, s = 0;
  if (std::sscanf(text->c_str(), "%lld %lld", &t, &s) != 2)
    return Internal("the subscriptions' feed position is unreadable: " + *text);
  p.txn = t;
  p.seq = s;
  return std::optional<store::ChangePosition>(p);
}

Status WriteFeedPosition(store::WriteTransaction& txn, const store::ChangePosition& position) {
  return txn.PutRecord(kFeed, "position",
                       std::to_string(position.txn) + " " + std::to_string(position.seq));
}

Result<std::vector<Event>> EventsAfter(store::ReadTransaction& txn, const std::string& subscription,
                                       int64_t after, int64_t limit) {
  KY_ASSIGN_OR_RETURN(auto rows,
                      txn.ListRecordsAfter(EventsKind(subscription), NumberKey(after), limit));
  std::vector<Event> out;
  for (const auto& [key, value] : rows) {
    KY_ASSIGN_OR_RETURN(Value v, json::Parse(value));
    Event e;
    e.number = std::stoll(key);
    e.type = std::string(v.GetString("type"));
    e.id = std::string(v.GetString("id"));
    e.version = IntOf(v, "version");
    e.deleted = v.Find("deleted") && v.Find("deleted")->as_bool();
    e.at = IntOf(v, "at");
    out.push_back(std::move(e));
  }
  return out;
}

Status AppendEvent(store::WriteTransaction& txn, const std::string& subscription, const Event& e) {
  Value v = Value::Object();
  v.Set("type", Value::String(e.type));
  v.Set("id", Value::String(e.id));
  v.Set("version", Value::Integer(e.version));
  if (e.deleted) v.Set("deleted", Value::Bool(true));
  v.Set("at", Value::Integer(e.at));
  return txn.PutRecord(EventsKind(subscription), NumberKey(e.number), json::Write(v));
}

Result<int64_t> EventCount(store::ReadTransaction& txn, const std::string& subscription) {
  KY_ASSIGN_OR_RETURN(auto text, txn.GetRecord(kCount, subscription));
  return text ? std::stoll(*text) : 0;
}

Status WriteEventCount(store::WriteTransaction& txn, const std::string& subscription, int64_t n) {
  return txn.PutRecord(kCount, subscription, std::to_string(n));
}

Result<DeliveryState> ReadDelivery(store::ReadTransaction& txn, const std::string& subscription) {
  KY_ASSIGN_OR_RETURN(auto text, txn.GetRecord(kDelivery, subscription));
  DeliveryState s;
  if (!text) return s;
  KY_ASSIGN_OR_RETURN(Value v, json::Parse(*text));
  s.delivered = IntOf(v, "delivered");
  s.failing_since = IntOf(v, "failingSince");
  s.attempts = IntOf(v, "attempts");
  s.next_attempt = IntOf(v, "nextAttempt");
  s.last_sent = IntOf(v, "lastSent");
  s.last_error = std::string(v.GetString("lastError"));
  return s;
}

Status WriteDelivery(store::WriteTransaction& txn, const std::string& subscription,
                     const DeliveryState& s) {
  Value v = Value::Object();
  v.Set("delivered", Value::Integer(s.delivered));
  v.Set("failingSince", Value::Integer(s.failing_since));
  v.Set("attempts", Value::Integer(s.attempts));
  v.Set("nextAttempt", Value::Integer(s.next_attempt));
  v.Set("lastSent", Value::Integer(s.last_sent));
  if (!s.last_error.empty()) v.Set("lastError", Value::String(s.last_error));
  return txn.PutRecord(kDelivery, subscription, json::Write(v));
}

Status WriteSubscriber(store::WriteTransaction& txn, const std::string& subscription,
                       const Subscriber& subscriber) {
  Value v = subscriber.principal ? auth::PrincipalRecord(*subscriber.principal) : Value::Object();
  v.Set("base", Value::String(subscriber.base_url));
  return txn.PutRecord(kOwner, subscription, json::Write(v));
}

Result<std::optional<Subscriber>> ReadSubscriber(store::ReadTransaction& txn,
                                                 const std::string& subscription) {
  KY_ASSIGN_OR_RETURN(auto text, txn.GetRecord(kOwner, subscription));
  if (!text) return std::optional<Subscriber>();
  KY_ASSIGN_OR_RETURN(Value v, json::Parse(*text));
  Subscriber out;
  out.base_url = std::string(v.GetString("base"));
  if (v.Find("subject")) {
    auto principal = auth::PrincipalFromRecord(v);
    if (!principal.ok())
      return Internal("subscription " + subscription + ": " + principal.status().message());
    out.principal = std::move(*principal);
  }
  return std::optional<Subscriber>(std::move(out));
}

}  // namespace kangyun::services::subscriptions
