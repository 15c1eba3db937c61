// Subscriptions (services/subscriptions/, docs/subscriptions.md) against a server process and a
// rest-hook endpoint in the test: what matches is delivered, numbered in commit order, also
// when the server was killed between the commit and the delivery or the endpoint was down;
// nothing is delivered that the subscriber may not read; bad subscriptions are refused naming
// the element at fault; $events replays and $status tells where a subscription stands.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "json/json.h"
#include "tests/support/auth_client.h"
#include "tests/support/eventually.h"
#include "tests/support/hook_receiver.h"
#include "tests/support/http_client.h"
#include "tests/support/websocket_client.h"

namespace kangyun::testing {
namespace {

using json::Value;

constexpr const char* kBackport =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/";

// One event as a notification lists it.
struct Notified {
  int64_t number = 0;
  std::string focus;  // "Type/id/_history/v" without the base
  bool with_resource = false;
};

std::string StatusParam(const Value& params, const std::string& name) {
  for (const Value& p : params.Find("parameter")->items())
    if (p.GetString("name") == name)
      for (const auto& m : p.members())
        if (m.key.starts_with("value")) return m.value.is_object() ? "" : m.value.str();
  return "";
}

// The events of notification bundles, in the order received.
std::vector<Notified> EventsOf(const std::vector<std::string>& bodies) {
  std::vector<Notified> out;
  for (const std::string& body : bodies) {
    auto bundle = json::Parse(body);
    if (!bundle.ok()) continue;
    const auto& entries = bundle->Find("entry")->items();
    const Value& status = *entries[0].Find("resource");
    std::map<std::string, bool> resources;
    for (size_t i = 1; i < entries.size(); ++i)
      resources[std::string(entries[i].GetString("fullUrl"))] = entries[i].Find("resource");
    for (const Value& p : status.Find("parameter")->items()) {
      if (p.GetString("name") != "notification-event") continue;
      Notified n;
      for (const Value& part : p.Find("part")->items()) {
        if (part.GetString("name") == "event-number")
          n.number = std::stoll(part.Find("valueString")->str());
        if (part.GetString("name") == "focus") {
          std::string ref(part.Find("valueReference")->GetString("reference"));
          n.focus = ref.substr(ref.find("/fhir/") + 6);
          n.with_resource = resources[ref.substr(0, ref.find("/_history/"))];
        }
      }
      out.push_back(n);
    }
  }
  return out;
}

std::string Criteria(const std::string& criteria, const std::string& endpoint,
                     const std::string& content = "full-resource") {
  Value s = Value::Object();
  s.Set("resourceType", Value::String("Subscription"));
  s.Set("status", Value::String("requested"));
  s.Set("reason", Value::String("测试 test"));
  s.Set("criteria", Value::String(criteria));
  Value channel = Value::Object();
  channel.Set("type", Value::String("rest-hook"));
  channel.Set("endpoint", Value::String(endpoint));
  channel.Set("payload", Value::String("application/fhir+json"));
  Value ext = Value::Object();
  ext.Set("url", Value::String(std::string(kBackport) + "backport-payload-content"));
  ext.Set("valueCode", Value::String(content));
  Value exts = Value::Array();
  exts.Push(std::move(ext));
  Value payload = Value::Object();
  payload.Set("extension", std::move(exts));
  channel.Set("_payload", std::move(payload));
  Value header = Value::Array();
  header.Push(Value::String("Authorization: Bearer secret-of-the-subscriber"));
  channel.Set("header", std::move(header));
  s.Set("channel", std::move(channel));
  return json::Write(s);
}

std::string WithFilter(const std::string& subscription, const std::string& filter) {
  Value s = json::Parse(subscription).value();
  Value ext = Value::Object();
  ext.Set("url", Value::String(std::string(kBackport) + "backport-filter-criteria"));
  ext.Set("valueString", Value::String(filter));
  Value exts = Value::Array();
  exts.Push(std::move(ext));
  Value criteria = Value::Object();
  criteria.Set("extension", std::move(exts));
  s.Set("_criteria", std::move(criteria));
  return json::Write(s);
}

std::string Observation(const std::string& patient, const std::string& code,
                        const std::string& status = "final", const std::string& category = "") {
  std::string cat =
      category.empty()
          ? ""
          : R"("category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":")" +
                category + R"("}]}],)";
  return R"({"resourceType":"Observation","status":")" + status + R"(",)" + cat +
         R"("code":{"coding":[{"system":"http://loinc.org","code":")" + code +
         R"("}]},"subject":{"reference":"Patient/)" + patient + R"("}})";
}

class Subscriptions : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ScratchFolder("kangyun-subscriptions");
    store_ = TestStore(dir_ + "/subscriptions.db");
    Start();
    for (const char* p : {"p1", "p2"})
      ASSERT_EQ(Call("PUT", std::string("/fhir/Patient/") + p,
                     std::string(R"({"resourceType":"Patient","id":")") + p + "\"}")
                        .status /
                    100,
                2);
  }
  void Start() {
    server_ = std::make_unique<ServerProcess>(KANGYUN_BINARY, store_);
    ASSERT_TRUE(server_->ok());
  }
  HttpResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "") {
    return HttpCall("127.0.0.1", server_->port(), method, target,
                    body.empty() ? decltype(kJson){} : kJson, body);
  }
  std::string Create(const std::string& type, const std::string& body) {
    HttpResult r = Call("POST", "/fhir/" + type, body);
    EXPECT_EQ(r.status, 201) << r.body;
    auto v = json::Parse(r.body);
    return v.ok() ? std::string(v->GetString("id")) : "";
  }
  std::vector<std::string> Bodies() {
    std::vector<std::string> out;
    for (const auto& r : hook_.Accepted()) out.push_back(r.body);
    return out;
  }
  // Waits for `n` events in all (heartbeats carry none).
  std::vector<Notified> WaitForEvents(size_t n, int seconds = 20) {
    Eventually([&] { return EventsOf(Bodies()).size() >= n; }, seconds);
    return EventsOf(Bodies());
  }

  std::string dir_, store_;
  std::unique_ptr<ServerProcess> server_;
  HookReceiver hook_;
};

TEST_F(Subscriptions, MatchingChangesAreDeliveredNumberedInCommitOrder) {
  std::string sub =
      Create("Subscription", Criteria("Observation?code=http://loinc.org|1234-5", hook_.url()));
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back(Create("Observation", Observation(i % 2 ? "p1" : "p2", "1234-5")));
    Create("Observation", Observation("p1", "999-9"));  // another code: no event
  }
  std::vector<Notified> events = WaitForEvents(10);
  ASSERT_EQ(events.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(events[i].number, i + 1);
    EXPECT_EQ(events[i].focus, "Observation/" + ids[i] + "/_history/1");
    EXPECT_TRUE(events[i].with_resource);
  }
  // A change is tested as it is now: a version that no longer matches is no event; one that
  // matches again is.
  HttpResult moved = Call(
      "PUT", "/fhir/Observation/" + ids[0],
      R"({"resourceType":"Observation","id":")" + ids[0] +
          R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"999-9"}]},"subject":{"reference":"Patient/p2"}})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  ASSERT_EQ(
      Call(
          "PUT", "/fhir/Observation/" + ids[0],
          R"({"resourceType":"Observation","id":")" + ids[0] +
              R"(","status":"amended","code":{"coding":[{"system":"http://loinc.org","code":"1234-5"}]},"subject":{"reference":"Patient/p2"}})")
          .status,
      200);
  events = WaitForEvents(11);
  ASSERT_EQ(events.size(), 11u);
  EXPECT_EQ(events[10].number, 11);
  EXPECT_EQ(events[10].focus, "Observation/" + ids[0] + "/_history/3");
  // The subscriber's own headers go with every notification.
  auto received = hook_.Accepted();
  ASSERT_FALSE(received.empty());
  bool authorized = false;
  for (const auto& [k, v] : received[0].headers)
    authorized = authorized || (k == "authorization" && v == "Bearer secret-of-the-subscriber");
  EXPECT_TRUE(authorized);
  // $status says how many events there were.
  auto status = json::Parse(Call("GET", "/fhir/Subscription/" + sub + "/$status").body);
  ASSERT_TRUE(status.ok());
  const Value& params = *status->Find("entry")->items()[0].Find("resource");
  EXPECT_EQ(StatusParam(params, "events-since-subscription-start"), "11");
  EXPECT_EQ(StatusParam(params, "status"), "active");
  EXPECT_EQ(StatusParam(params, "type"), "query-status");
}

TEST_F(Subscriptions, ATopicSubscriptionGetsWhatTheTopicAndItsFiltersSelect) {
  Create("Subscription", WithFilter(Criteria("https://kangyun.cn/fhir/SubscriptionTopic/lab-result",
                                             hook_.url(), "id-only"),
                                    "Observation?patient=Patient/p1"));
  std::string wanted = Create("Observation", Observation("p1", "2345-7", "final", "laboratory"));
  Create("Observation", Observation("p2", "2345-7", "final", "laboratory"));        // filtered out
  Create("Observation", Observation("p1", "8867-4", "final", "vital-signs"));       // not the topic
  Create("Observation", Observation("p1", "2345-7", "preliminary", "laboratory"));  // not final
  std::string last = Create("Observation", Observation("p1", "718-7", "corrected", "laboratory"));
  std::vector<Notified> events = WaitForEvents(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // nothing more comes
  events = EventsOf(Bodies());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].focus, "Observation/" + wanted + "/_history/1");
  EXPECT_EQ(events[1].focus, "Observation/" + last + "/_history/1");
  EXPECT_FALSE(events[0].with_resource);  // id-only
  auto bundle = json::Parse(Bodies().back());
  const Value& params = *bundle->Find("entry")->items()[0].Find("resource");
  EXPECT_EQ(StatusParam(params, "topic"), "https://kangyun.cn/fhir/SubscriptionTopic/lab-result");
}

TEST_F(Subscriptions, BadSubscriptionsAreRefusedNamingTheElement) {
  struct Case {
    std::string body, element;
  };
  std::string ok = Criteria("Observation", hook_.url());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = ok;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  std::vector<Case> cases = {
      {Criteria("https://kangyun.cn/fhir/SubscriptionTopic/no-such-topic", hook_.url()),
       "Subscription.criteria"},
      {Criteria("Observation?subject.name=wang", hook_.url()), "Subscription.criteria"},
      {Criteria("Observation?no-such-parameter=1", hook_.url()), "Subscription.criteria"},
      {Criteria("NoSuchType?code=1", hook_.url()), "Subscription.criteria"},
      {WithFilter(Criteria("https://kangyun.cn/fhir/SubscriptionTopic/lab-result", hook_.url()),
                  "Encounter?patient=Patient/p1"),
       "Subscription.criteria.extension:filterCriteria"},
      {with("application/fhir+json", "application/fhir+xml"), "Subscription.channel.payload"},
      {with("\"rest-hook\"", "\"email\""), "Subscription.channel.type"},
      {Criteria("Observation", "ftp://127.0.0.1/hook"), "Subscription.channel.endpoint"},
      {with("full-resource", "everything"), "Subscription.channel.payload.extension:content"},
  };
  for (const Case& c : cases) {
    HttpResult r = Call("POST", "/fhir/Subscription", c.body);
    EXPECT_EQ(r.status, 400) << c.body << "\n" << r.body;
    auto outcome = json::Parse(r.body);
    ASSERT_TRUE(outcome.ok()) << r.body;
    const Value* issue = outcome->Find("issue");
    ASSERT_TRUE(issue && !issue->items().empty()) << r.body;
    const Value* expression = issue->items()[0].Find("expression");
    ASSERT_TRUE(expression) << r.body;
    EXPECT_EQ(expression->items()[0].str(), c.element) << r.body;
  }
  EXPECT_EQ(Call("GET", "/fhir/Subscription").status, 200);  // still serving
}

TEST_F(Subscriptions, ChangesCommittedBeforeAKillAreDeliveredAfterTheRestart) {
  hook_.Down();
  Create("Subscription", Criteria("Observation", hook_.url(), "id-only"));
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Create("Observation", Observation("p1", "1234-5")));
  server_->Kill9();  // between the commits and any delivery: the endpoint is down
  hook_.Up();
  Start();
  std::vector<Notified> events = WaitForEvents(5, 30);
  ASSERT_GE(events.size(), 5u);
  // At least once, in order: a repeat only of what an endpoint may have received already.
  std::set<int64_t> numbers;
  int64_t last = 0;
  for (const Notified& n : events) {
    EXPECT_GE(n.number, last);
    last = n.number;
    numbers.insert(n.number);
  }
  EXPECT_EQ(numbers, (std::set<int64_t>{1, 2, 3, 4, 5}));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(events[i].focus, "Observation/" + ids[i] + "/_history/1");
}

TEST_F(Subscriptions, AFailingEndpointIsTriedAgainAndMissesNothing) {
  hook_.Answer(503);
  std::string sub = Create("Subscription", Criteria("Observation", hook_.url(), "id-only"));
  for (int i = 0; i < 3; ++i) Create("Observation", Observation("p1", "1234-5"));
  // Failing: $status says why.
  ASSERT_TRUE(Eventually(
      [&] {
        auto status = json::Parse(Call("GET", "/fhir/Subscription/" + sub + "/$status").body);
        return status.ok() && Call("GET", "/fhir/Subscription/" + sub + "/$status")
                                      .body.find("the endpoint answered 503") != std::string::npos;
      },
      20));
  EXPECT_EQ(hook_.accepted_count(), 0u);
  hook_.Answer(200);
  std::vector<Notified> events = WaitForEvents(3, 30);
  ASSERT_EQ(events.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(events[i].number, i + 1);
}

TEST_F(Subscriptions, EventsReplaysWhatWasMissed) {
  std::string sub = Create("Subscription", Criteria("Observation", hook_.url(), "empty"));
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(Create("Observation", Observation("p1", "1234-5")));
  ASSERT_TRUE(Eventually([&] {
    auto s = json::Parse(Call("GET", "/fhir/Subscription/" + sub + "/$status").body);
    return s.ok() && StatusParam(*s->Find("entry")->items()[0].Find("resource"),
                                 "events-since-subscription-start") == "4";
  }));
  HttpResult r =
      Call("GET", "/fhir/Subscription/" + sub +
                      "/$events?eventsSinceNumber=2&eventsUntilNumber=3&content=full-resource");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<Notified> events = EventsOf({r.body});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].number, 2);
  EXPECT_EQ(events[0].focus, "Observation/" + ids[1] + "/_history/1");
  EXPECT_TRUE(events[0].with_resource);
  EXPECT_EQ(events[1].number, 3);
  EXPECT_EQ(Call("GET", "/fhir/Subscription/" + sub + "/$events?eventsSinceNumber=x").status, 400);
  // The empty payload sent no references.
  ASSERT_TRUE(Eventually([&] { return hook_.accepted_count() > 0; }));
  EXPECT_EQ(Bodies()[0].find("focus"), std::string::npos);
}

TEST_F(Subscriptions, AQuietSubscriptionSendsHeartbeats) {
  Value s = json::Parse(Criteria("Encounter", hook_.url(), "id-only")).value();
  Value beat = Value::Object();
  beat.Set("url", Value::String(std::string(kBackport) + "backport-heartbeat-period"));
  beat.Set("valueUnsignedInt", Value::Number("1"));
  Value exts = Value::Array();
  exts.Push(std::move(beat));
  s.Find("channel")->Set("extension", std::move(exts));
  Create("Subscription", json::Write(s));
  ASSERT_TRUE(Eventually([&] { return hook_.accepted_count() >= 2; }, 20));
  for (const std::string& body : Bodies()) {
    auto bundle = json::Parse(body);
    ASSERT_TRUE(bundle.ok());
    EXPECT_EQ(StatusParam(*bundle->Find("entry")->items()[0].Find("resource"), "type"),
              "heartbeat");
  }
  EXPECT_TRUE(EventsOf(Bodies()).empty());
}

// A message channel fills an outbound queue that a gateway takes from and acknowledges.
TEST_F(Subscriptions, AMessageChannelQueuesNotificationsForAGateway) {
  std::string sub =
      R"({"resourceType":"Subscription","status":"requested","reason":"短信 SMS","criteria":"Observation","channel":{"type":"message","endpoint":"urn:kangyun:queue:sms","payload":"application/fhir+json"}})";
  std::string bad = sub;
  bad.replace(bad.find("urn:kangyun:queue:sms"), 21, "queue/sms");
  HttpResult refused = Call("POST", "/fhir/Subscription", bad);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("Subscription.channel.endpoint"), std::string::npos) << refused.body;
  Create("Subscription", sub);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Create("Observation", Observation("p1", "1234-5")));
  auto take = [&] {
    HttpResult r = Call("GET", "/fhir/$outbound-queue?queue=urn:kangyun:queue:sms");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> notifications;
    std::vector<int64_t> sequences;
    auto params = json::Parse(r.body);
    if (params.ok() && params->Find("parameter"))
      for (const Value& m : params->Find("parameter")->items())
        for (const Value& part : m.Find("part")->items()) {
          if (part.GetString("name") == "notification")
            notifications.push_back(json::Write(*part.Find("resource")));
          if (part.GetString("name") == "sequence")
            sequences.push_back(std::stoll(part.Find("valueInteger")->str()));
        }
    return std::make_pair(notifications, sequences);
  };
  ASSERT_TRUE(Eventually([&] { return EventsOf(take().first).size() >= 3; }));
  auto [notifications, sequences] = take();
  std::vector<Notified> events = EventsOf(notifications);
  ASSERT_EQ(events.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(events[i].focus, "Observation/" + ids[i] + "/_history/1");
  HttpResult ack = Call(
      "POST", "/fhir/$outbound-queue-ack",
      R"({"resourceType":"Parameters","parameter":[{"name":"queue","valueString":"urn:kangyun:queue:sms"},{"name":"through","valueInteger":)" +
          std::to_string(sequences.back()) + "}]}");
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_TRUE(take().first.empty());
  EXPECT_EQ(Call("GET", "/fhir/$outbound-queue?queue=").status, 400);
}

// A websocket bound with a token is sent the handshake and then the events; one that
// reconnects after losing its connection is sent what came while it was away.
TEST_F(Subscriptions, AWebsocketClientThatReconnectsIsSentWhatItMissed) {
  std::string ws_sub =
      R"({"resourceType":"Subscription","status":"requested","reason":"ws","criteria":"Observation","channel":{"type":"websocket","payload":"application/fhir+json","_payload":{"extension":[{"url":"http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content","valueCode":"id-only"}]}}})";
  std::string sub = Create("Subscription", ws_sub);
  auto token = [&] {
    HttpResult r = Call("GET", "/fhir/Subscription/" + sub + "/$get-ws-binding-token");
    EXPECT_EQ(r.status, 200) << r.body;
    auto params = json::Parse(r.body);
    std::map<std::string, std::string> out;
    if (params.ok())
      for (const Value& p : params->Find("parameter")->items())
        for (const auto& m : p.members())
          if (m.key.starts_with("value")) out[std::string(p.GetString("name"))] = m.value.str();
    return out;
  };
  // Receives until `n` events came (heartbeats and the handshake carry none).
  auto receive = [](WebSocketClient& ws, size_t n) {
    std::vector<std::string> bodies;
    while (EventsOf(bodies).size() < n) {
      auto message = ws.Receive(10);
      if (!message) break;
      bodies.push_back(*message);
    }
    return EventsOf(bodies);
  };
  auto bind = [&](WebSocketClient& ws) {
    auto t = token();
    EXPECT_TRUE(t["websocket-url"].ends_with("/fhir/$subscription-ws")) << t["websocket-url"];
    EXPECT_TRUE(ws.Send("bind-with-token " + t["token"]));
    auto handshake = ws.Receive(10);
    EXPECT_TRUE(handshake.has_value());
    auto bundle = json::Parse(handshake.value_or("{}"));
    EXPECT_TRUE(bundle.ok() && bundle->Find("entry"));
    if (bundle.ok() && bundle->Find("entry")) {
      EXPECT_EQ(StatusParam(*bundle->Find("entry")->items()[0].Find("resource"), "type"),
                "handshake");
    }
  };
  {
    WebSocketClient ws(server_->port(), "/fhir/$subscription-ws");
    ASSERT_TRUE(ws.ok());
    EXPECT_TRUE(ws.Send("bind-with-token no-such-token"));
    EXPECT_EQ(ws.Receive(10).value_or("").rfind("error: unknown binding token", 0), 0u);
    bind(ws);
    std::vector<std::string> ids;
    for (int i = 0; i < 2; ++i) ids.push_back(Create("Observation", Observation("p1", "1234-5")));
    std::vector<Notified> events = receive(ws, 2);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].number, 1);
    EXPECT_EQ(events[1].focus, "Observation/" + ids[1] + "/_history/1");
    ws.Close();  // the connection is lost
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<std::string> missed;
  for (int i = 0; i < 3; ++i) missed.push_back(Create("Observation", Observation("p1", "1234-5")));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  WebSocketClient again(server_->port(), "/fhir/$subscription-ws");
  ASSERT_TRUE(again.ok());
  bind(again);
  std::vector<Notified> events = receive(again, 3);
  ASSERT_EQ(events.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].number, i + 3);
    EXPECT_EQ(events[i].focus, "Observation/" + missed[i] + "/_history/1");
  }
}

// An endpoint that takes requests and never answers holds up its own subscription only.
TEST_F(Subscriptions, AStalledEndpointDoesNotDelayTheOthers) {
  HookReceiver stalled;
  stalled.Stall(true);
  Create("Subscription", Criteria("Observation", stalled.url(), "id-only"));
  Create("Subscription", Criteria("Observation", hook_.url(), "id-only"));
  for (int i = 0; i < 5; ++i) {
    Create("Observation", Observation("p1", "1234-5"));
    // Each arrives at the healthy endpoint while the other still hangs (it is given 10 s).
    ASSERT_TRUE(
        Eventually([&] { return EventsOf(Bodies()).size() >= static_cast<size_t>(i + 1); }, 3))
        << "event " << i + 1;
  }
  EXPECT_EQ(stalled.accepted_count(), 0u);
  stalled.Stall(false);
  ASSERT_TRUE(Eventually(
      [&] {
        std::vector<std::string> bodies;
        for (const auto& r : stalled.Accepted()) bodies.push_back(r.body);
        return EventsOf(bodies).size() >= 5;
      },
      60));
}

// A reminder reaches the resident's own channel: a subscription to the communication topic
// for them (their app's, or a message gateway's).
TEST_F(Subscriptions, AReminderReachesTheResidentsChannel) {
  Create("Subscription",
         WithFilter(Criteria("https://kangyun.cn/fhir/SubscriptionTopic/communication", hook_.url(),
                             "full-resource"),
                    "Communication?recipient=Patient/p1"));
  Create(
      "CommunicationRequest",
      R"({"resourceType":"CommunicationRequest","status":"active","subject":{"reference":"Patient/p1"},"recipient":[{"reference":"Patient/p1"}],"occurrenceDateTime":"2020-01-01T00:00:00Z","payload":[{"contentString":"复诊提醒 Follow-up"}]})");
  std::vector<Notified> events = WaitForEvents(1, 30);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].focus.starts_with("Communication/"));
  EXPECT_TRUE(events[0].with_resource);
  EXPECT_NE(Bodies()[0].find("复诊提醒 Follow-up"), std::string::npos);
}

// With authentication: a clinician of hospital A subscribed to every Observation hears only
// of the residents hospital A cares for.
TEST(SubscriptionReach, ASubscriberHearsNothingOfResidentsItMayNotRead) {
  std::string dir = ScratchFolder("kangyun-subscription-reach");
  std::string store = TestStore(dir + "/reach.db");
  const char* city = R"({"resourceType":"Bundle","type":"transaction","entry":[
 {"request":{"method":"PUT","url":"Organization/hosp-a"},"resource":{"resourceType":"Organization","id":"hosp-a","name":"A"}},
 {"request":{"method":"PUT","url":"Organization/hosp-b"},"resource":{"resourceType":"Organization","id":"hosp-b","name":"B"}},
 {"request":{"method":"PUT","url":"Patient/p-in"},"resource":{"resourceType":"Patient","id":"p-in","managingOrganization":{"reference":"Organization/hosp-a"}}},
 {"request":{"method":"PUT","url":"Patient/p-out"},"resource":{"resourceType":"Patient","id":"p-out","managingOrganization":{"reference":"Organization/hosp-b"}}}]})";
  HttpResult loaded = PostThroughOpenServer(KANGYUN_BINARY, store, city);
  ASSERT_EQ(loaded.status, 200) << loaded.body;
  for (const char* user : {"clinician-a", "clinician-b"}) {
    std::string org = std::string(user) == "clinician-a" ? "hosp-a" : "hosp-b";
    CommandOutput o = RunKangyun(KANGYUN_BINARY, std::string("user add --username ") + user +
                                                     " --role clinician --organization " + org +
                                                     " --password Kangyun-test-2026 --db " + store);
    ASSERT_EQ(o.exit_code, 0) << o.text;
  }
  CommandOutput root = RunKangyun(
      KANGYUN_BINARY,
      "user add --username root --role admin --password Kangyun-test-2026 --db " + store);
  ASSERT_EQ(root.exit_code, 0) << root.text;
  CommandOutput app = RunKangyun(KANGYUN_BINARY,
                                 "client add --id portal --role clinician --organization hosp-a "
                                 "--redirect-uri http://127.0.0.1/callback --db " +
                                     store);
  ASSERT_EQ(app.exit_code, 0) << app.text;
  ServerProcess server(KANGYUN_BINARY, store, {"--auth"});
  ASSERT_TRUE(server.ok());
  auto call = [&](const std::string& user, const std::string& method, const std::string& path,
                  const std::string& body = "") {
    static std::map<std::string, std::string> tokens;
    if (!tokens.count(user))
      tokens[user] = LoginToken(server.port(), user, "Kangyun-test-2026", "portal",
                                "http://127.0.0.1/callback")
                         .access_token;
    auto headers = Bearer(tokens[user]);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/fhir+json");
    return HttpCall("127.0.0.1", server.port(), method, "/fhir/" + path, headers, body);
  };
  HookReceiver hook;
  // Residents' data goes over https only, but for an endpoint on this machine.
  HttpResult plain =
      call("clinician-a", "POST", "Subscription", Criteria("Observation", "http://192.0.2.1/hook"));
  EXPECT_EQ(plain.status, 400) << plain.body;
  EXPECT_NE(plain.body.find("Subscription.channel.endpoint"), std::string::npos) << plain.body;
  HttpResult made =
      call("clinician-a", "POST", "Subscription", Criteria("Observation", hook.url()));
  ASSERT_EQ(made.status, 201) << made.body;
  std::string sub(json::Parse(made.body)->GetString("id"));
  // Another institution's clinician cannot see, change or replay it.
  EXPECT_EQ(call("clinician-b", "GET", "Subscription/" + sub).status, 404);
  EXPECT_EQ(call("clinician-b", "GET", "Subscription/" + sub + "/$events").status, 404);
  // A delete of what one may not see is answered as one of nothing, and deletes nothing.
  call("clinician-b", "DELETE", "Subscription/" + sub);
  EXPECT_EQ(call("clinician-a", "GET", "Subscription/" + sub).status, 200);
  HttpResult out = call("root", "POST", "Observation", Observation("p-out", "1234-5"));
  ASSERT_EQ(out.status, 201) << out.body;
  HttpResult in = call("root", "POST", "Observation", Observation("p-in", "1234-5"));
  ASSERT_EQ(in.status, 201) << in.body;
  std::string in_id(json::Parse(in.body)->GetString("id"));
  ASSERT_TRUE(Eventually([&] { return hook.accepted_count() > 0; }, 20));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  std::vector<std::string> bodies;
  for (const auto& r : hook.Accepted()) bodies.push_back(r.body);
  std::vector<Notified> events = EventsOf(bodies);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].focus, "Observation/" + in_id + "/_history/1");
  for (const std::string& b : bodies) EXPECT_EQ(b.find("p-out"), std::string::npos);
  EXPECT_EQ(call("clinician-a", "GET", "Subscription/" + sub + "/$events").status, 200);
  // The outbound queues are the operators' gateways' alone.
  EXPECT_EQ(call("clinician-a", "GET", "$outbound-queue?queue=sms").status, 403);
}

// Notifications to an https endpoint: its certificate is checked against the authorities the
// server trusts (here --subscription-ca-file); an endpoint whose certificate cannot be checked
// is sent nothing.
TEST(SubscriptionTls, AnHttpsEndpointIsReachedOnlyWithATrustedCertificate) {
  std::string dir = ScratchFolder("kangyun-subscription-tls");
  std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  std::string made =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "
      "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 1 -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(made.c_str()), 0);
  // The endpoint: a Kangyun server over TLS. It answers a notification posted to its base with
  // a 4xx (a history Bundle is no batch): an answer, so the TLS connection held.
  ServerProcess endpoint(KANGYUN_BINARY, TestStore(dir + "/endpoint.db"),
                         {"--tls-cert", cert, "--tls-key", key});
  ASSERT_TRUE(endpoint.ok());
  std::string url = "https://127.0.0.1:" + std::to_string(endpoint.port()) + "/fhir";
  for (bool trusted : {true, false}) {
    std::vector<std::string> flags;
    if (trusted) flags = {"--subscription-ca-file", cert};
    ServerProcess server(KANGYUN_BINARY, TestStore(dir + (trusted ? "/a.db" : "/b.db")), flags);
    ASSERT_TRUE(server.ok());
    auto call = [&](const std::string& method, const std::string& target, const std::string& body) {
      return HttpCall("127.0.0.1", server.port(), method, target,
                      body.empty() ? decltype(kJson){} : kJson, body);
    };
    HttpResult sub = call("POST", "/fhir/Subscription", Criteria("Observation", url, "id-only"));
    ASSERT_EQ(sub.status, 201) << sub.body;
    std::string id(json::Parse(sub.body)->GetString("id"));
    ASSERT_EQ(call("POST", "/fhir/Observation", Observation("p1", "1234-5")).status, 201);
    std::string expected = trusted ? "the endpoint answered 4" : "certificate not trusted";
    EXPECT_TRUE(Eventually(
        [&] {
          return call("GET", "/fhir/Subscription/" + id + "/$status", "").body.find(expected) !=
                 std::string::npos;
        },
        20))
        << call("GET", "/fhir/Subscription/" + id + "/$status", "").body;
  }
}

}  // namespace
}  // namespace kangyun::testing
