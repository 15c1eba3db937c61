// Subscriptions (docs/subscriptions.md): R4 criteria subscriptions and the topic-based ones of
// the Subscriptions R5 Backport IG, delivered to rest-hook endpoints from the change feed by
// one background job (subscription_runner.h), with $status and $events for what was sent and
// what was missed.
#pragma once

#include <memory>

#include "api/service.h"
#include "services/subscriptions/subscription_runner.h"
#include "services/subscriptions/websocket_channel.h"

namespace kangyun::services {

class SubscriptionsService : public api::Service {
 public:
  struct Options {
    subscriptions::RunnerOptions runner;
    // Plain http endpoints beyond this machine, on a server that requires tokens (a closed
    // network whose gateway adds TLS).
    bool allow_http = false;
  };
  SubscriptionsService() = default;
  explicit SubscriptionsService(Options options) : options_(std::move(options)) {}
  // Before Register.
  void SetOptions(Options options) { options_ = std::move(options); }

  std::string_view name() const override { return "subscriptions"; }
  void Register(api::ServiceRegistry& registry) override;
  void Stop() override;

 private:
  Options options_;
  std::unique_ptr<subscriptions::SubscriptionRunner> runner_;
  std::unique_ptr<subscriptions::WebsocketChannel> websocket_;
};

}  // namespace kangyun::services
