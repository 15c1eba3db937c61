#include "services/subscriptions/subscriptions_service.h"

#include "api/access_policy.h"
#include "api/engine.h"
#include "api/operation_definition.h"
#include "base/log.h"
#include "json/json.h"
#include "services/subscriptions/event_log.h"
#include "services/subscriptions/notification.h"
#include "services/subscriptions/outbound_queue.h"

namespace kangyun::services {
namespace {

using api::FhirResponse;
using json::Value;
using subscriptions::Content;
using subscriptions::NamedValue;
using subscriptions::ParametersOf;

constexpr const char* kJobKind = "subscriptions";
constexpr const char* kJobId = "subscriptions";
constexpr const char* kOperations = "https://kangyun.cn/fhir/OperationDefinition/";

subscriptions::SpecOptions SpecOptionsFor(const api::FhirRequest* req, bool allow_http) {
  subscriptions::SpecOptions o;
  o.authenticated = req && req->principal;
  o.allow_http = allow_http;
  return o;
}

FhirResponse Respond(const Value& body) {
  FhirResponse r;
  r.body = json::Write(body);
  return r;
}

// The subscription an operation is invoked on, with where its events stand.
struct Looked {
  subscriptions::SubscriptionSpec spec;
  subscriptions::NotificationStatus status;
};

Result<Looked> LookUp(api::OperationCall& call, const char* type) {
  KY_ASSIGN_OR_RETURN(auto current, call.txn->ReadCurrent("Subscription", call.id));
  if (!current || current->deleted)
    return Status(StatusCode::kNotFound, "Subscription/" + call.id + " is not known");
  KY_ASSIGN_OR_RETURN(Value resource, json::Parse(current->body));
  KY_ASSIGN_OR_RETURN(auto spec, subscriptions::ReadSubscription(call.engine, resource));
  Looked out;
  out.status.base_url = call.req.base_url;
  out.status.subscription_id = call.id;
  out.status.topic = spec.topic;
  out.status.status = spec.status;
  out.status.type = type;
  KY_ASSIGN_OR_RETURN(out.status.events_since_start, subscriptions::EventCount(*call.txn, call.id));
  out.spec = std::move(spec);
  return out;
}

Result<int64_t> NumberParam(const api::FhirRequest& req, const char* name, int64_t fallback) {
  for (const auto& [k, v] : req.query) {
    if (k != name) continue;
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
      return Invalid(std::string(name) + " is a whole number of events, not '" + v + "'", name);
    return std::stoll(v);
  }
  return fallback;
}

Result<FhirResponse> StatusOperation(api::OperationCall& call) {
  KY_ASSIGN_OR_RETURN(Looked looked, LookUp(call, "query-status"));
  KY_ASSIGN_OR_RETURN(auto delivery, subscriptions::ReadDelivery(*call.txn, call.id));
  looked.status.error = delivery.last_error;
  Value bundle = subscriptions::NotificationBundle(
      looked.status, {}, Content::kEmpty, call.engine.ids.NewId(), call.engine.clock.NowMicros());
  return Respond(bundle);
}

// Events since a number (replay of what was missed), as id-only unless asked otherwise; full
// resources only as far as the requester may read them now.
Result<FhirResponse> EventsOperation(api::OperationCall& call) {
  KY_ASSIGN_OR_RETURN(Looked looked, LookUp(call, "query-event"));
  int64_t last = looked.status.events_since_start;
  KY_ASSIGN_OR_RETURN(int64_t since, NumberParam(call.req, "eventsSinceNumber", 1));
  KY_ASSIGN_OR_RETURN(int64_t until, NumberParam(call.req, "eventsUntilNumber", last));
  Content content = Content::kIdOnly;
  for (const auto& [k, v] : call.req.query) {
    if (k != "content") continue;
    if (v == "empty")
      content = Content::kEmpty;
    else if (v == "full-resource")
      content = Content::kFullResource;
    else if (v != "id-only")
      return Invalid("content is empty, id-only or full-resource, not '" + v + "'", "content");
  }
  since = std::max<int64_t>(since, 1);
  until = std::min(until, last);
  constexpr int64_t kMost = 1000;
  if (until - since + 1 > kMost) until = since + kMost - 1;
  std::vector<subscriptions::NotifiedEvent> notified;
  if (until >= since) {
    KY_ASSIGN_OR_RETURN(
        auto events, subscriptions::EventsAfter(*call.txn, call.id, since - 1, until - since + 1));
    api::AccessPolicy access(call.engine, call.req.principal);
    for (auto& e : events) {
      subscriptions::NotifiedEvent n{std::move(e), std::nullopt};
      if (content == Content::kFullResource && !n.event.deleted) {
        KY_ASSIGN_OR_RETURN(bool sees,
                            access.CanSee(*call.txn, n.event.type, n.event.id, auth::kRead));
        if (sees && access.Allow(n.event.type, auth::kRead).ok()) {
          KY_ASSIGN_OR_RETURN(n.version,
                              call.txn->ReadVersion(n.event.type, n.event.id, n.event.version));
        }
      }
      notified.push_back(std::move(n));
    }
  }
  Value bundle = subscriptions::NotificationBundle(
      looked.status, notified, content, call.engine.ids.NewId(), call.engine.clock.NowMicros());
  return Respond(bundle);
}

// The queue a gateway drains: the oldest messages not yet acknowledged.
Result<FhirResponse> TakeOperation(api::OperationCall& call) {
  std::string queue;
  for (const auto& [k, v] : call.req.query)
    if (k == "queue") queue = v;
  if (!subscriptions::IsQueueName(queue))
    return Invalid("queue names the outbound queue (a message channel's endpoint)", "queue");
  KY_ASSIGN_OR_RETURN(int64_t after, NumberParam(call.req, "after", 0));
  KY_ASSIGN_OR_RETURN(int64_t count, NumberParam(call.req, "_count", 100));
  KY_ASSIGN_OR_RETURN(auto messages, subscriptions::Peek(*call.txn, queue, after,
                                                         std::clamp<int64_t>(count, 1, 1000)));
  Value params = Value::Array();
  for (const auto& m : messages) {
    Value parts = Value::Array();
    parts.Push(NamedValue("sequence", "valueInteger", Value::Integer(m.sequence)));
    Value ref = Value::Object();
    ref.Set("reference", Value::String("Subscription/" + m.subscription));
    parts.Push(NamedValue("subscription", "valueReference", std::move(ref)));
    parts.Push(NamedValue("notification", "resource", Value::Raw(m.notification)));
    params.Push(NamedValue("message", "part", std::move(parts)));
  }
  return Respond(ParametersOf(std::move(params)));
}

// A gateway has what it took up to a sequence number: those messages go.
Result<FhirResponse> AcknowledgeOperation(api::OperationCall& call) {
  std::string queue;
  int64_t through = -1;
  auto body = json::Parse(call.req.body);
  if (!body.ok() || body->GetString("resourceType") != "Parameters")
    return Invalid("The body is a Parameters resource with queue and through", "Parameters");
  if (const Value* ps = body->Find("parameter"))
    for (const Value& p : ps->items()) {
      if (p.GetString("name") == "queue") queue = std::string(p.GetString("valueString"));
      if (p.GetString("name") == "through")
        if (const Value* v = p.Find("valueInteger"); v && v->is_number())
          through = std::stoll(v->str());
    }
  if (!subscriptions::IsQueueName(queue))
    return Invalid("queue names the outbound queue (a message channel's endpoint)",
                   "Parameters.parameter:queue");
  if (through < 0)
    return Invalid("through is the sequence number of the last message taken",
                   "Parameters.parameter:through");
  KY_ASSIGN_OR_RETURN(int64_t removed, subscriptions::Acknowledge(*call.write, queue, through));
  Value params = Value::Array();
  params.Push(NamedValue("removed", "valueInteger", Value::Integer(removed)));
  return Respond(ParametersOf(std::move(params)));
}

// The outbound queues are a gateway's: a system the operators run, with an administrator's
// account.
Status AllowGateway(api::AccessPolicy&, api::OperationCall& call) {
  const auth::Principal* p = call.req.principal.get();
  if (p && p->role != auth::Role::kAdmin)
    return Status(StatusCode::kForbidden,
                  "The outbound queues are taken by the operators' gateways (an administrator's "
                  "account)");
  return Status::Ok();
}

// A binding token for the subscription's websocket, and where to use it.
Result<FhirResponse> BindingTokenOperation(subscriptions::WebsocketChannel& channel,
                                           api::OperationCall& call) {
  KY_ASSIGN_OR_RETURN(auto current, call.txn->ReadCurrent("Subscription", call.id));
  if (!current || current->deleted)
    return Status(StatusCode::kNotFound, "Subscription/" + call.id + " is not known");
  KY_ASSIGN_OR_RETURN(Value resource, json::Parse(current->body));
  if (resource.Find("channel") == nullptr ||
      resource.Find("channel")->GetString("type") != "websocket")
    return Invalid("Subscription/" + call.id + " is not delivered over a websocket",
                   "Subscription.channel.type");
  KY_ASSIGN_OR_RETURN(std::string token, channel.IssueToken(*call.write, call.id));
  std::string url = call.req.base_url;
  if (url.starts_with("https://"))
    url = "wss://" + url.substr(8);
  else if (url.starts_with("http://"))
    url = "ws://" + url.substr(7);
  Value params = Value::Array();
  params.Push(NamedValue("token", "valueString", Value::String(token)));
  params.Push(
      NamedValue("expiration", "valueDateTime",
                 Value::String(FormatInstant(call.engine.clock.NowMicros() +
                                             subscriptions::WebsocketChannel::kTokenMicros))));
  params.Push(NamedValue("subscription", "valueString", Value::String(call.id)));
  params.Push(NamedValue("websocket-url", "valueUrl", Value::String(url + "/$subscription-ws")));
  return Respond(ParametersOf(std::move(params)));
}

// An operation of the platform's: its OperationDefinition made from the same registration.
api::OperationSpec Operation(const char* name, unsigned levels, api::OperationSpec::Transaction txn,
                             decltype(api::OperationSpec::authorize) authorize,
                             decltype(api::OperationSpec::run) run, const std::string& title,
                             const std::string& description,
                             const std::vector<api::OperationParameter>& params) {
  api::OperationSpec op;
  op.name = name;
  op.levels = levels;
  if (levels == api::kInstanceLevel) op.types = {"Subscription"};
  op.transaction = txn;
  op.definition =
      std::string(kOperations) + (levels == api::kInstanceLevel ? "Subscription-" : "") + name;
  op.authorize = std::move(authorize);
  op.run = std::move(run);
  op.operation_definition = api::OperationDefinitionFor(op, title, description, params);
  return op;
}

// Whoever may read the subscription.
Status AllowSubscriber(api::AccessPolicy& access, api::OperationCall& call) {
  return api::AllowRead(access, *call.txn, "Subscription", call.id);
}

void AddOperations(api::ServiceRegistry& registry, subscriptions::WebsocketChannel* websocket) {
  using T = api::OperationSpec;
  registry.AddOperation(Operation(
      "status", api::kInstanceLevel, T::kRead, AllowSubscriber, StatusOperation,
      "Subscription $status",
      "Where a subscription stands: its status, how many events it has had, and why delivery "
      "fails (Subscriptions R5 Backport IG)",
      {{"return", true, 1, "1", "Bundle", "A searchset Bundle holding the SubscriptionStatus"}}));
  registry.AddOperation(Operation(
      "events", api::kInstanceLevel, T::kRead, AllowSubscriber, EventsOperation,
      "Subscription $events",
      "A subscription's events again, by number: what an endpoint missed, up to 1,000 at a time "
      "(Subscriptions R5 Backport IG)",
      {{"eventsSinceNumber", false, 0, "1", "string", "The first event (default 1)"},
       {"eventsUntilNumber", false, 0, "1", "string", "The last event (default the latest)"},
       {"content", false, 0, "1", "code", "empty | id-only (default) | full-resource"},
       {"return", true, 1, "1", "Bundle",
        "A history Bundle: the SubscriptionStatus, then the events"}}));
  // A token is a write: it is kept for whichever process the websocket reaches.
  registry.AddOperation(Operation(
      "get-ws-binding-token", api::kInstanceLevel, T::kWrite, AllowSubscriber,
      [websocket](api::OperationCall& call) { return BindingTokenOperation(*websocket, call); },
      "Subscription $get-ws-binding-token",
      "A token that binds a websocket to the subscription for ten minutes, and the websocket's "
      "URL (Subscriptions R5 Backport IG)",
      {{"return", true, 1, "1", "Parameters", "token, expiration, subscription, websocket-url"}}));
  api::OperationSpec take = Operation(
      "outbound-queue", api::kSystemLevel, T::kRead, AllowGateway, TakeOperation, "$outbound-queue",
      "The oldest notifications of a message channel's queue not yet acknowledged, for the "
      "gateway that sends them on (SMS, WeChat)",
      {{"queue", false, 1, "1", "string", "The queue: the message channel's endpoint"},
       {"after", false, 0, "1", "integer", "Only messages after this sequence number"},
       {"_count", false, 0, "1", "integer", "At most this many (100; up to 1,000)"},
       {"return", true, 1, "1", "Parameters",
        "message: sequence, subscription and the notification Bundle, oldest first"}});
  take.post = false;
  registry.AddOperation(std::move(take));
  api::OperationSpec ack =
      Operation("outbound-queue-ack", api::kSystemLevel, T::kWrite, AllowGateway,
                AcknowledgeOperation, "$outbound-queue-ack",
                "The gateway took the queue's messages up to a sequence number: they are removed",
                {{"queue", false, 1, "1", "string", "The queue"},
                 {"through", false, 1, "1", "integer", "The last sequence number taken"},
                 {"return", true, 1, "1", "Parameters", "removed: how many messages went"}});
  ack.get = false;
  registry.AddOperation(std::move(ack));
}

}  // namespace

void SubscriptionsService::Stop() {
  if (websocket_) websocket_->Stop();
}

void SubscriptionsService::Register(api::ServiceRegistry& registry) {
  api::Engine& engine = registry.engine();
  websocket_ = std::make_unique<subscriptions::WebsocketChannel>(engine);
  subscriptions::WebsocketChannel* websocket = websocket_.get();
  registry.AddStreamEndpoint(
      {"$subscription-ws", [websocket](std::shared_ptr<api::MessageStream> stream) {
         return websocket->Open(std::move(stream));
       }});
  runner_ = std::make_unique<subscriptions::SubscriptionRunner>(engine, options_.runner);
  subscriptions::SubscriptionRunner* runner = runner_.get();

  api::JobKind kind;
  kind.kind = kJobKind;
  kind.run = [runner](api::JobContext& ctx) { return runner->Run(ctx); };
  kind.lease_micros = 10'000'000;
  registry.AddJobKind(std::move(kind));
  registry.AddStartup("subscriptions: the matching job", [](api::Engine& e) -> Status {
    auto job = e.jobs->Get(kJobId);
    if (!job.ok()) return job.status();
    if (!*job) {
      // Another process starting at the same time may submit it first: one job either way.
      auto submitted = e.jobs->Submit(kJobKind, Value::Object(), 0, kJobId);
      if (!submitted.ok() && submitted.status().code() != StatusCode::kConflict)
        return submitted.status();
      return Status::Ok();
    }
    if ((*job)->status != "queued" && (*job)->status != "running")
      Log(LogLevel::kError, "the subscriptions job is " + (*job)->status +
                                ": no subscription is served until it is queued again");
    return Status::Ok();
  });

  bool allow_http = options_.allow_http;
  api::WriteHook hook;
  hook.name = "subscriptions";
  hook.types = {"Subscription"};
  hook.validate = [allow_http](const api::Engine& e, const Value& resource) {
    return subscriptions::ParseSubscription(e, resource, SpecOptionsFor(nullptr, allow_http))
        .status();
  };
  hook.before_write = [allow_http](api::WriteCall& w, Value* resource) -> Result<api::AfterWrite> {
    KY_RETURN_IF_ERROR(
        subscriptions::ParseSubscription(w.engine, *resource, SpecOptionsFor(&w.req, allow_http))
            .status());
    // Accepted as asked: the platform has checked what it can, and serves it from now on.
    if (resource->GetString("status") == "requested" || resource->GetString("status").empty())
      resource->Set("status", Value::String("active"));
    if (resource->GetString("status") == "active") resource->Erase("error");
    // Events are filtered for whoever made it, and stay so when an administrator changes it.
    const auth::Principal* writer = w.req.principal.get();
    bool maker = !w.replaced || !writer || writer->role != auth::Role::kAdmin;
    if (!maker) return api::AfterWrite();
    subscriptions::Subscriber subscriber;
    if (writer) subscriber.principal = *writer;
    subscriber.base_url = w.req.base_url;
    return api::AfterWrite([&w, subscriber](const store::StoredResource& written) {
      return subscriptions::WriteSubscriber(w.txn, written.id, subscriber);
    });
  };
  registry.AddWriteHook(std::move(hook));

  // Whatever a transaction of this process committed, the matcher looks at the feed now.
  registry.AddCommitListener([runner] { runner->Wake(); });

  AddOperations(registry, websocket);
}

}  // namespace kangyun::services
