#include "services/subscriptions/websocket_channel.h"

#include <algorithm>
#include <set>

#include "base/log.h"
#include "json/json.h"
#include "services/subscriptions/notification.h"

namespace kangyun::services::subscriptions {
namespace {

using json::Value;

constexpr const char* kTokens = "subscription-ws-token";
// The last event sent on a websocket of the subscription.
constexpr const char* kSent = "subscription-ws-sent";
constexpr auto kPushEvery = std::chrono::milliseconds(100);

Result<int64_t> SentThrough(store::ReadTransaction& txn, const std::string& subscription) {
  KY_ASSIGN_OR_RETURN(auto text, txn.GetRecord(kSent, subscription));
  return text ? std::stoll(*text) : 0;
}

}  // namespace

class WebsocketChannel::Handler : public api::StreamHandler {
 public:
  Handler(WebsocketChannel& channel, std::shared_ptr<api::MessageStream> stream)
      : channel_(channel), stream_(std::move(stream)) {}
  void OnMessage(const std::string& text) override {
    constexpr std::string_view kBind = "bind-with-token ";
    if (!text.starts_with(kBind)) {
      stream_->Send("error: send bind-with-token <token> ($get-ws-binding-token)");
      return;
    }
    std::string refused = channel_.Bind(stream_, text.substr(kBind.size()));
    if (!refused.empty()) stream_->Send("error: " + refused);
  }
  void OnClose() override {
    channel_.Unbind(stream_.get());
    stream_.reset();
  }

 private:
  WebsocketChannel& channel_;
  std::shared_ptr<api::MessageStream> stream_;
};

Result<std::string> WebsocketChannel::IssueToken(store::WriteTransaction& txn,
                                                 const std::string& subscription) {
  std::string token = engine_.ids.NewId() + engine_.ids.NewId();
  token.erase(std::remove(token.begin(), token.end(), '-'), token.end());
  Value v = Value::Object();
  v.Set("subscription", Value::String(subscription));
  v.Set("expires", Value::Integer(engine_.clock.NowMicros() + kTokenMicros));
  KY_RETURN_IF_ERROR(txn.PutRecord(kTokens, token, json::Write(v)));
  return token;
}

std::shared_ptr<api::StreamHandler> WebsocketChannel::Open(
    std::shared_ptr<api::MessageStream> stream) {
  return std::make_shared<Handler>(*this, std::move(stream));
}

std::string WebsocketChannel::Bind(const std::shared_ptr<api::MessageStream>& stream,
                                   const std::string& token) {
  auto bound = [&]() -> Result<Binding> {
    KY_ASSIGN_OR_RETURN(auto read, engine_.store.BeginRead());
    KY_ASSIGN_OR_RETURN(auto record, read->GetRecord(kTokens, token));
    if (!record) return Invalid("unknown binding token");
    KY_ASSIGN_OR_RETURN(Value v, json::Parse(*record));
    const Value* expires = v.Find("expires");
    if (!expires || std::stoll(expires->str()) < engine_.clock.NowMicros())
      return Invalid("the binding token has expired: ask for another");
    std::string id(v.GetString("subscription"));
    KY_ASSIGN_OR_RETURN(auto current, read->ReadCurrent("Subscription", id));
    if (!current || current->deleted) return Invalid("the subscription is gone");
    KY_ASSIGN_OR_RETURN(Value resource, json::Parse(current->body));
    KY_ASSIGN_OR_RETURN(SubscriptionSpec spec, ReadSubscription(engine_, resource));
    if (spec.channel != Channel::kWebsocket)
      return Invalid("the subscription is not a websocket one");
    if (spec.status != "active") return Invalid("the subscription is " + spec.status);
    KY_ASSIGN_OR_RETURN(auto subscriber, ReadSubscriber(*read, id));
    KY_ASSIGN_OR_RETURN(int64_t count, EventCount(*read, id));
    Binding b;
    b.stream = stream;
    b.spec = std::move(spec);
    b.base_url = subscriber ? subscriber->base_url : "";
    NotificationStatus status;
    status.base_url = b.base_url;
    status.subscription_id = id;
    status.topic = b.spec.topic;
    status.status = b.spec.status;
    status.type = "handshake";
    status.events_since_start = count;
    b.last_sent = engine_.clock.NowMicros();
    stream->Send(json::Write(
        NotificationBundle(status, {}, Content::kEmpty, engine_.ids.NewId(), b.last_sent)));
    return b;
  }();
  if (!bound.ok()) return bound.status().message();
  std::lock_guard lock(mu_);
  bindings_[stream.get()] = std::move(*bound);
  if (!pusher_.joinable() && !stopping_) pusher_ = std::thread([this] { Push(); });
  wake_.notify_all();
  return "";
}

void WebsocketChannel::Unbind(const api::MessageStream* stream) {
  std::lock_guard lock(mu_);
  bindings_.erase(stream);
}

void WebsocketChannel::Stop() {
  std::map<const api::MessageStream*, Binding> bindings;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    bindings.swap(bindings_);
  }
  wake_.notify_all();
  if (pusher_.joinable()) pusher_.join();
  for (auto& [p, b] : bindings) b.stream->Close();
}

void WebsocketChannel::Push() {
  static ThrottledLog log(LogLevel::kWarning);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    if (Status s = PushRound(); !s.ok()) log("websocket subscriptions: " + s.message());
    lock.lock();
    wake_.wait_for(lock, kPushEvery, [this] { return stopping_; });
  }
}

// Sends each bound subscription what it has not been sent, then records how far it got.
Status WebsocketChannel::PushRound() {
  std::map<const api::MessageStream*, Binding> bindings;
  {
    std::lock_guard lock(mu_);
    bindings = bindings_;
  }
  if (bindings.empty()) return Status::Ok();
  std::map<std::string, int64_t> sent, recorded;
  KY_ASSIGN_OR_RETURN(auto read, engine_.store.BeginRead());
  for (auto& [key, b] : bindings) {
    const std::string& id = b.spec.id;
    KY_ASSIGN_OR_RETURN(int64_t count, EventCount(*read, id));
    if (!recorded.count(id)) {
      KY_ASSIGN_OR_RETURN(recorded[id], SentThrough(*read, id));
    }
    int64_t through = std::max(recorded[id], sent.count(id) ? sent[id] : 0);
    int64_t now = engine_.clock.NowMicros();
    NotificationStatus status;
    status.base_url = b.base_url;
    status.subscription_id = id;
    status.topic = b.spec.topic;
    status.status = b.spec.status;
    status.events_since_start = count;
    int64_t last = through;
    while (last < count) {
      KY_ASSIGN_OR_RETURN(auto events, EventsAfter(*read, id, last, b.spec.max_count));
      if (events.empty()) break;
      std::vector<NotifiedEvent> notified;
      for (Event& e : events) {
        NotifiedEvent n{std::move(e), std::nullopt};
        if (b.spec.content == Content::kFullResource && !n.event.deleted) {
          KY_ASSIGN_OR_RETURN(n.version,
                              read->ReadVersion(n.event.type, n.event.id, n.event.version));
        }
        notified.push_back(std::move(n));
      }
      status.type = "event-notification";
      if (!b.stream->Send(json::Write(
              NotificationBundle(status, notified, b.spec.content, engine_.ids.NewId(), now))))
        break;
      last = notified.back().event.number;
      b.last_sent = now;
    }
    int64_t heartbeat = b.spec.heartbeat_seconds * 1'000'000;
    if (last == through && heartbeat > 0 && now - b.last_sent >= heartbeat) {
      status.type = "heartbeat";
      if (b.stream->Send(json::Write(
              NotificationBundle(status, {}, Content::kEmpty, engine_.ids.NewId(), now))))
        b.last_sent = now;
    }
    sent[id] = std::max(sent.count(id) ? sent[id] : 0, last);
    std::lock_guard lock(mu_);
    if (auto it = bindings_.find(key); it != bindings_.end()) it->second.last_sent = b.last_sent;
  }
  read.reset();
  // Recorded once sent: a client that reconnects is sent what came after.
  bool changed = false;
  for (const auto& [id, through] : sent) changed = changed || through > recorded[id];
  if (!changed) return Status::Ok();
  KY_ASSIGN_OR_RETURN(auto write, engine_.store.BeginWrite());
  for (const auto& [id, through] : sent) {
    KY_ASSIGN_OR_RETURN(int64_t before, SentThrough(*write, id));
    if (through > before) KY_RETURN_IF_ERROR(write->PutRecord(kSent, id, std::to_string(through)));
  }
  return write->Commit();
}

}  // namespace kangyun::services::subscriptions
