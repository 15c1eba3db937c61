#include "services/subscriptions/outbound_queue.h"

#include "json/json.h"
#include "services/subscriptions/event_log.h"

namespace kangyun::services::subscriptions {
namespace {

std::string MessagesKind(const std::string& queue) { return "outbound-queue/" + queue; }
constexpr const char* kLast = "outbound-queue-last";

}  // namespace

bool IsQueueName(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != ':')
      return false;
  return true;
}

Result<int64_t> Enqueue(store::WriteTransaction& txn, const std::string& queue,
                        const std::string& subscription, const std::string& notification) {
  // The queue's last number is read for writing: appends to one queue take turns.
  KY_ASSIGN_OR_RETURN(auto last, txn.GetRecord(kLast, queue));
  int64_t n = (last ? std::stoll(*last) : 0) + 1;
  json::Value v = json::Value::Object();
  v.Set("subscription", json::Value::String(subscription));
  v.Set("notification", json::Value::Raw(notification));
  KY_RETURN_IF_ERROR(txn.PutRecord(MessagesKind(queue), NumberKey(n), json::Write(v)));
  KY_RETURN_IF_ERROR(txn.PutRecord(kLast, queue, std::to_string(n)));
  return n;
}

Result<std::vector<QueuedMessage>> Peek(store::ReadTransaction& txn, const std::string& queue,
                                        int64_t after, int64_t limit) {
  KY_ASSIGN_OR_RETURN(auto rows,
                      txn.ListRecordsAfter(MessagesKind(queue), NumberKey(after), limit));
  std::vector<QueuedMessage> out;
  for (const auto& [key, value] : rows) {
    KY_ASSIGN_OR_RETURN(json::Value v, json::Parse(value));
    QueuedMessage m;
    m.sequence = std::stoll(key);
    m.subscription = std::string(v.GetString("subscription"));
    if (const json::Value* n = v.Find("notification")) m.notification = json::Write(*n);
    out.push_back(std::move(m));
  }
  return out;
}

Result<int64_t> Acknowledge(store::WriteTransaction& txn, const std::string& queue,
                            int64_t through) {
  int64_t removed = 0;
  while (true) {
    KY_ASSIGN_OR_RETURN(auto rows, txn.ListRecordsAfter(MessagesKind(queue), NumberKey(0), 500));
    bool more = false;
    for (const auto& [key, value] : rows) {
      if (std::stoll(key) > through) break;
      KY_RETURN_IF_ERROR(txn.DeleteRecord(MessagesKind(queue), key));
      ++removed;
      more = true;
    }
    if (!more || rows.size() < 500) return removed;
  }
}

}  // namespace kangyun::services::subscriptions
