// Websocket channels (Subscriptions R5 Backport IG): the subscriber asks for a binding token
// ($get-ws-binding-token, an authenticated request that may read the subscription), opens a
// websocket at [base]/$subscription-ws and sends "bind-with-token <token>". The process that
// holds the socket sends a handshake, then every event after the last one it sent on any
// socket of that subscription (kept in the store, so a client that reconnects, here or to
// another process, is sent what it missed), and heartbeats. Events were filtered for the
// subscription's maker when they were matched (subscription_runner.h).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/engine.h"
#include "services/subscriptions/event_log.h"
#include "services/subscriptions/subscription_spec.h"

namespace kangyun::services::subscriptions {

class WebsocketChannel {
 public:
  explicit WebsocketChannel(api::Engine& engine) : engine_(engine) {}
  ~WebsocketChannel() { Stop(); }

  // How long a binding token is good for.
  static constexpr int64_t kTokenMicros = 600'000'000;
  // Issues a token for the subscription, in txn.
  Result<std::string> IssueToken(store::WriteTransaction& txn, const std::string& subscription);
  // A new websocket: its messages bind it.
  std::shared_ptr<api::StreamHandler> Open(std::shared_ptr<api::MessageStream> stream);
  void Stop();

 private:
  struct Binding {
    std::shared_ptr<api::MessageStream> stream;
    SubscriptionSpec spec;
    std::string base_url;
    int64_t last_sent = 0;  // micros
  };
  class Handler;
  // The reply to a bind (an error text, or "" once bound).
  std::string Bind(const std::shared_ptr<api::MessageStream>& stream, const std::string& token);
  void Unbind(const api::MessageStream* stream);
  void Push();
  Status PushRound();

  api::Engine& engine_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<const api::MessageStream*, Binding> bindings_;
  std::thread pusher_;  // started with the first binding
};

}  // namespace kangyun::services::subscriptions
