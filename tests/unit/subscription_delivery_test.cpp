// Subscription delivery over test-clock time (services/subscriptions/): an endpoint down for
// hours gets everything in order once it is back; one down longer than the retry window puts
// the subscription in error with its events kept, and making it active again resumes; many
// overlapping subscriptions under concurrent writes each get exactly their events.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "json/json.h"
#include "services/service_set.h"
#include "tests/support/eventually.h"
#include "tests/support/hook_receiver.h"
#include "tests/unit/in_process_api.h"

namespace kangyun::testing {
namespace {

using json::Value;

constexpr int64_t kMinute = 60'000'000;
constexpr int64_t kHour = 60 * kMinute;

// subscription id -> its events (number, "Type/id") in the order delivered.
std::map<std::string, std::vector<std::pair<int64_t, std::string>>> Delivered(HookReceiver& hook) {
  std::map<std::string, std::vector<std::pair<int64_t, std::string>>> out;
  for (const auto& r : hook.Accepted()) {
    auto bundle = json::Parse(r.body);
    if (!bundle.ok()) continue;
    const Value& status = *bundle->Find("entry")->items()[0].Find("resource");
    std::string sub;
    for (const Value& p : status.Find("parameter")->items()) {
      if (p.GetString("name") == "subscription") {
        std::string ref(p.Find("valueReference")->GetString("reference"));
        sub = ref.substr(ref.rfind('/') + 1);
      }
      if (p.GetString("name") != "notification-event") continue;
      int64_t n = 0;
      std::string focus;
      for (const Value& part : p.Find("part")->items()) {
        if (part.GetString("name") == "event-number")
          n = std::stoll(part.Find("valueString")->str());
        if (part.GetString("name") == "focus") {
          std::string ref(part.Find("valueReference")->GetString("reference"));
          ref = ref.substr(ref.find("/fhir/") + 6);
          focus = ref.substr(0, ref.find("/_history"));
        }
      }
      out[sub].emplace_back(n, focus);
    }
  }
  return out;
}

std::string Subscription(const std::string& criteria, const std::string& endpoint) {
  return R"({"resourceType":"Subscription","status":"requested","reason":"test","criteria":")" +
         criteria + R"(","channel":{"type":"rest-hook","endpoint":")" + endpoint +
         R"(","payload":"application/fhir+json"}})";
}

std::string Observation(const std::string& code, const std::string& patient) {
  return R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":")" +
         code + R"("}]},"subject":{"reference":"Patient/)" + patient + R"("}})";
}

class SubscriptionDelivery : public ::testing::Test {
 protected:
  void SetUp() override {
    auto clock = std::make_unique<FakeClock>(SystemClock()->NowMicros());
    clock_ = clock.get();
    api_ = std::make_unique<InProcessApi>(
        std::string("subscription-delivery-") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name(),
        services_.All(), std::move(clock));
    ASSERT_TRUE(api_->api().InstallPlatformContent().ok());
    api_->api().StartBackgroundJobs();
  }
  void TearDown() override { api_->api().Shutdown(); }

  std::string Create(const std::string& type, const std::string& body) {
    auto r = api_->Call("POST", type, body);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::Parse(r.body)->GetString("id"));
  }
  Value Get(const std::string& target) {
    return json::Parse(api_->Call("GET", target).body).value();
  }
  // Moves the test clock on in steps, giving the deliveries a moment of real time at each.
  void Pass(int64_t micros, int64_t step) {
    for (int64_t t = 0; t < micros; t += step) {
      clock_->Advance(step);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }

  services::ServiceSet services_;
  FakeClock* clock_ = nullptr;
  std::unique_ptr<InProcessApi> api_;
  HookReceiver hook_;
};

TEST_F(SubscriptionDelivery, AnEndpointDownForThreeHoursGetsEverythingInOrderWhenBack) {
  hook_.Answer(503);
  std::string sub = Create("Subscription", Subscription("Observation", hook_.url()));
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(Create("Observation", Observation("1234-5", "p1")));
    Pass(30 * kMinute, 10 * kMinute);  // writes spread over the outage
  }
  EXPECT_EQ(hook_.accepted_count(), 0u);
  EXPECT_EQ(Get("Subscription/" + sub).GetString("status"), "active");
  hook_.Answer(200);
  // Within the longest pause between attempts (15 minutes) of the last failed one; an attempt
  // still failing as the endpoint came back waits one more pause.
  for (int i = 0; i < 4 && Delivered(hook_)[sub].size() < 6; ++i) {
    Pass(15 * kMinute, 15 * kMinute);
    Eventually([&] { return Delivered(hook_)[sub].size() >= 6; }, 3);
  }
  ASSERT_EQ(Delivered(hook_)[sub].size(), 6u);
  auto events = Delivered(hook_)[sub];
  ASSERT_EQ(events.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(events[i].first, i + 1);
    EXPECT_EQ(events[i].second, "Observation/" + ids[i]);
  }
}

TEST_F(SubscriptionDelivery, PastTheRetryWindowTheSubscriptionIsInErrorAndKeepsItsEvents) {
  hook_.Answer(500);
  std::string sub = Create("Subscription", Subscription("Observation", hook_.url()));
  for (int i = 0; i < 3; ++i) Create("Observation", Observation("1234-5", "p1"));
  ASSERT_TRUE(Eventually(
      [&] {
        return api_->Call("GET", "Subscription/" + sub + "/$status").body.find("answered 500") !=
               std::string::npos;
      },
      30));
  Pass(73 * kHour, 24 * kHour);
  ASSERT_TRUE(
      Eventually([&] { return Get("Subscription/" + sub).GetString("status") == "error"; }, 30));
  Value stopped = Get("Subscription/" + sub);
  EXPECT_NE(stopped.GetString("error").find("500"), std::string_view::npos);
  // Nothing was dropped: $events lists all three for the administrator.
  auto replay = json::Parse(api_->Call("GET", "Subscription/" + sub + "/$events").body);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->Find("entry")->items().size(), 4u)  // the status, then three events
      << json::Write(*replay);
  // Made active again with the endpoint back, it delivers what was waiting.
  hook_.Answer(200);
  stopped.Set("status", Value::String("active"));
  ASSERT_EQ(api_->Call("PUT", "Subscription/" + sub, json::Write(stopped)).status, 200);
  ASSERT_TRUE(Eventually([&] { return Delivered(hook_)[sub].size() >= 3; }, 30));
  EXPECT_EQ(Delivered(hook_)[sub].size(), 3u);
  EXPECT_EQ(Get("Subscription/" + sub).GetString("status"), "active");
}

// A subscription made, and a change committed, before the matcher first started on the
// database: the change is still an event of it.
TEST(SubscriptionFirstStart, ChangesBeforeTheMatcherFirstRanAreMatched) {
  services::ServiceSet services;
  InProcessApi api("subscription-first-start", services.All());
  HookReceiver hook;
  ASSERT_TRUE(api.api().InstallPlatformContent().ok());
  ASSERT_EQ(api.Call("POST", "Subscription", Subscription("Observation", hook.url())).status, 201);
  ASSERT_EQ(api.Call("POST", "Observation", Observation("1234-5", "p1")).status, 201);
  api.api().StartBackgroundJobs();
  ASSERT_TRUE(Eventually([&] { return Delivered(hook).size() == 1; }, 30));
  EXPECT_EQ(Delivered(hook).begin()->second.size(), 1u);
  api.api().Shutdown();
}

TEST_F(SubscriptionDelivery, ManyOverlappingSubscriptionsEachGetExactlyTheirEvents) {
  // 500 subscriptions: on a code, on a resident, or on both.
  struct Sub {
    std::string code, patient;
  };
  std::map<std::string, Sub> subs;
  for (int i = 0; i < 500; ++i) {
    Sub s;
    if (i % 3 != 1) s.code = "c" + std::to_string(i % 10);
    if (i % 3 != 0) s.patient = "p" + std::to_string(i % 5);
    std::string criteria = "Observation?";
    if (!s.code.empty()) criteria += "code=http://loinc.org|" + s.code;
    if (!s.patient.empty())
      criteria += std::string(s.code.empty() ? "" : "&") + "subject=Patient/" + s.patient;
    subs[Create("Subscription", Subscription(criteria, hook_.url()))] = s;
  }
  // Concurrent writers.
  std::mutex mu;
  std::vector<std::tuple<std::string, std::string, std::string>> written;  // id, code, patient
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937 rng(w);
      for (int i = 0; i < 40; ++i) {
        std::string code = "c" + std::to_string(rng() % 10),
                    patient = "p" + std::to_string(rng() % 5);
        auto r = api_->Call("POST", "Observation", Observation(code, patient));
        if (r.status != 201) continue;
        std::lock_guard lock(mu);
        written.emplace_back(std::string(json::Parse(r.body)->GetString("id")), code, patient);
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_EQ(written.size(), 160u);
  std::map<std::string, std::set<std::string>> expected;
  size_t total = 0;
  for (const auto& [sub, s] : subs)
    for (const auto& [id, code, patient] : written)
      if ((s.code.empty() || s.code == code) && (s.patient.empty() || s.patient == patient)) {
        expected[sub].insert("Observation/" + id);
        ++total;
      }
  auto count = [&] {
    size_t n = 0;
    for (const auto& [sub, events] : Delivered(hook_)) n += events.size();
    return n;
  };
  ASSERT_TRUE(Eventually([&] { return count() >= total; }, 120)) << count() << " of " << total;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto delivered = Delivered(hook_);
  for (const auto& [sub, s] : subs) {
    const auto& events = delivered[sub];
    std::set<std::string> got;
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].first, static_cast<int64_t>(i + 1)) << sub;
      got.insert(events[i].second);
    }
    EXPECT_EQ(got, expected[sub]) << sub;
    EXPECT_EQ(events.size(), expected[sub].size()) << sub;
  }
}

}  // namespace
}  // namespace kangyun::testing
