// The message channel's outbound queues: a subscription of channel type `message` names a queue
// in its endpoint, and its notifications are appended there, durably, for a gateway (an SMS or
// WeChat gateway, a provincial exchange) to take and acknowledge (docs/subscriptions.md,
// "Message channels"). Kept as platform records, numbered per queue.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace kangyun::services::subscriptions {

// A queue name: letters, digits, '-', '_', '.', ':' (a URN such as urn:kangyun:queue:sms), up to
// 200 characters.
bool IsQueueName(const std::string& name);

struct QueuedMessage {
  int64_t sequence = 0;  // per queue, from 1
  std::string subscription;
  std::string notification;  // the notification Bundle's JSON
};

// Appends a message, numbered after the last one ever appended to the queue.
Result<int64_t> Enqueue(store::WriteTransaction& txn, const std::string& queue,
                        const std::string& subscription, const std::string& notification);
// The oldest messages not yet acknowledged, after `after`, at most limit.
Result<std::vector<QueuedMessage>> Peek(store::ReadTransaction& txn, const std::string& queue,
                                        int64_t after, int64_t limit);
// Removes the messages up to `through`; how many went.
Result<int64_t> Acknowledge(store::WriteTransaction& txn, const std::string& queue,
                            int64_t through);

}  // namespace kangyun::services::subscriptions
