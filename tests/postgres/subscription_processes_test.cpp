// Subscriptions served by several processes on one PostgreSQL database (docs/subscriptions.md):
// clients write through two servers, and every committed change that matches reaches the
// endpoint once, numbered without gaps, in the order of its resource's versions; when the
// process delivering dies, the other takes over and nothing is lost.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "json/json.h"
#include "tests/support/eventually.h"
#include "tests/support/hook_receiver.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

struct Delivered {
  std::map<int64_t, int> times;          // event number -> deliveries
  std::map<int64_t, std::string> focus;  // event number -> "Observation/id/_history/v"
};

Delivered Read(HookReceiver& hook) {
  Delivered d;
  for (const auto& r : hook.Accepted()) {
    auto bundle = json::Parse(r.body);
    if (!bundle.ok()) continue;
    const json::Value& status = *bundle->Find("entry")->items()[0].Find("resource");
    for (const json::Value& p : status.Find("parameter")->items()) {
      if (p.GetString("name") != "notification-event") continue;
      int64_t n = 0;
      std::string focus;
      for (const json::Value& part : p.Find("part")->items()) {
        if (part.GetString("name") == "event-number")
          n = std::stoll(part.Find("valueString")->str());
        if (part.GetString("name") == "focus") {
          std::string ref(part.Find("valueReference")->GetString("reference"));
          focus = ref.substr(ref.find("/fhir/") + 6);
        }
      }
      ++d.times[n];
      d.focus[n] = focus;
    }
  }
  return d;
}

class SubscriptionProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = FreshPostgresDatabase("kt_subs_" + std::to_string(getpid()));
    for (int s = 0; s < 2; ++s) {
      servers_.push_back(std::make_unique<ServerProcess>(KANGYUN_BINARY, db_));
      ASSERT_TRUE(servers_.back()->ok()) << "server " << s;
    }
    std::string sub =
        R"({"resourceType":"Subscription","status":"requested","reason":"test","criteria":"Observation","channel":{"type":"rest-hook","endpoint":")" +
        hook_.url() + R"(","payload":"application/fhir+json"}})";
    HttpResult made =
        HttpCall("127.0.0.1", servers_[0]->port(), "POST", "/fhir/Subscription", kJson, sub);
    ASSERT_EQ(made.status, 201) << made.body;
    sub_ = std::string(json::Parse(made.body)->GetString("id"));
  }

  // Clients write `rounds` Observations each through the live servers; returns the ids of the
  // acknowledged ones. `midway` runs once half the writes are done.
  std::set<std::string> Write(int clients, int rounds, std::function<void()> midway = {}) {
    std::mutex mu;
    std::set<std::string> acknowledged;
    std::atomic<int> done{0};
    std::atomic<bool> half{false};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        for (int i = 0; i < rounds; ++i) {
          int server = (c + i) % 2;
          if (dead_ >= 0 && server == dead_) server = 1 - dead_;
          HttpResult r =
              HttpCall("127.0.0.1", servers_[server]->port(), "POST", "/fhir/Observation", kJson,
                       R"({"resourceType":"Observation","status":"final","code":{"text":"c)" +
                           std::to_string(c) + "-" + std::to_string(i) + R"("}})");
          if (r.status == 201) {
            std::lock_guard lock(mu);
            acknowledged.insert(std::string(json::Parse(r.body)->GetString("id")));
          }
          if (++done == clients * rounds / 2 && midway && !half.exchange(true)) midway();
        }
      });
    }
    for (auto& t : threads) t.join();
    return acknowledged;
  }

  // Waits until every acknowledged Observation was delivered; checks numbering.
  void ExpectAllDelivered(const std::set<std::string>& acknowledged, bool allow_repeats) {
    auto delivered_ids = [&] {
      std::set<std::string> ids;
      for (const auto& [n, focus] : Read(hook_).focus)
        ids.insert(focus.substr(12, focus.find("/_history") - 12));
      return ids;
    };
    ASSERT_TRUE(Eventually(
        [&] {
          std::set<std::string> ids = delivered_ids();
          return std::includes(ids.begin(), ids.end(), acknowledged.begin(), acknowledged.end());
        },
        60))
        << "delivered " << delivered_ids().size() << " of " << acknowledged.size();
    Delivered d = Read(hook_);
    ASSERT_FALSE(d.times.empty());
    // Numbered from 1 without a gap.
    EXPECT_EQ(d.times.begin()->first, 1);
    EXPECT_EQ(d.times.rbegin()->first, static_cast<int64_t>(d.times.size()));
    int repeats = 0;
    for (const auto& [n, times] : d.times) repeats += times - 1;
    if (!allow_repeats) {
      EXPECT_EQ(repeats, 0);
    }
    // Every event is of a change that was committed.
    for (const auto& [n, focus] : d.focus) {
      std::string id = focus.substr(12, focus.find("/_history") - 12);
      if (acknowledged.count(id)) continue;
      int server = dead_ == 0 ? 1 : 0;
      EXPECT_EQ(
          HttpCall("127.0.0.1", servers_[server]->port(), "GET", "/fhir/Observation/" + id, {}, "")
              .status,
          200)
          << focus;
    }
  }

  std::string db_, sub_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
  HookReceiver hook_;
  std::atomic<int> dead_{-1};
};

TEST_F(SubscriptionProcesses, EveryChangeThroughEitherServerIsDeliveredOnce) {
  std::set<std::string> acknowledged = Write(6, 20);
  ASSERT_EQ(acknowledged.size(), 120u);
  ExpectAllDelivered(acknowledged, /*allow_repeats=*/false);
}

TEST_F(SubscriptionProcesses, WhenTheDeliveringProcessDiesTheOtherGoesOn) {
  // Which process holds the job is not known: kill each in turn, writing all along.
  std::set<std::string> acknowledged = Write(4, 20, [&] {
    servers_[0]->Kill9();
    dead_ = 0;
  });
  ExpectAllDelivered(acknowledged, /*allow_repeats=*/true);
}

}  // namespace
}  // namespace kangyun::testing
