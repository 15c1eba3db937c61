// Reminders (services/reminders/): a CommunicationRequest to a resident is sent at its time as
// a Communication, once, also when its time passed while the server was down; one past the end
// of its period is revoked instead; a rescheduled one is sent at its new time only.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <thread>

#include "json/json.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

// An instant `seconds` from now, as FHIR writes it (UTC, whole seconds).
std::string InSeconds(int seconds) {
  std::time_t t = std::time(nullptr) + seconds;
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string Reminder(const std::string& patient, const std::string& occurrence,
                     const std::string& text) {
  return R"({"resourceType":"CommunicationRequest","status":"active","subject":{"reference":"Patient/)" +
         patient + R"("},"recipient":[{"reference":"Patient/)" + patient + R"("}],)" + occurrence +
         R"(,"payload":[{"contentString":")" + text + R"("}]})";
}

class Reminders : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kangyun-reminders-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = TestStore((dir_ / "reminders.db").string());
    Start();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Start() {
    server_ = std::make_unique<ServerProcess>(KANGYUN_BINARY, store_);
    ASSERT_TRUE(server_->ok());
    ASSERT_EQ(
        Call("PUT", "/fhir/Patient/p1", R"({"resourceType":"Patient","id":"p1"})").status / 100, 2);
  }
  HttpResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "") {
    return HttpCall("127.0.0.1", server_->port(), method, target,
                    body.empty() ? decltype(kJson){} : kJson, body);
  }
  json::Value Get(const std::string& target) {
    auto v = json::Parse(Call("GET", target).body);
    return v.ok() ? std::move(v).value() : json::Value::Object();
  }
  int64_t Sent() {
    json::Value found = Get("/fhir/Communication?subject=Patient/p1");
    const json::Value* total = found.Find("total");
    return total ? std::stoll(total->str()) : -1;
  }
  // Waits up to `seconds` for `sent` Communications.
  bool SentWithin(int64_t sent, int seconds) {
    return Eventually([&] { return Sent() == sent; }, seconds);
  }
  std::string Create(const std::string& body) {
    HttpResult r = Call("POST", "/fhir/CommunicationRequest", body);
    EXPECT_EQ(r.status, 201) << r.body;
    auto v = json::Parse(r.body);
    return v.ok() ? std::string(v->GetString("id")) : "";
  }

  std::filesystem::path dir_;
  std::string store_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(Reminders, AReminderIsSentToTheResidentAtItsTime) {
  std::string id = Create(Reminder("p1", R"("occurrenceDateTime":")" + InSeconds(3) + "\"",
                                   "明天上午九点复诊 Follow-up tomorrow at 9:00"));
  EXPECT_EQ(Sent(), 0);  // not before its time
  ASSERT_TRUE(SentWithin(1, 20));
  json::Value found = Get("/fhir/Communication?subject=Patient/p1");
  const json::Value& c = *found.Find("entry")->items()[0].Find("resource");
  EXPECT_EQ(c.Find("payload")->items()[0].GetString("contentString"),
            "明天上午九点复诊 Follow-up tomorrow at 9:00");
  EXPECT_EQ(c.Find("basedOn")->items()[0].GetString("reference"), "CommunicationRequest/" + id);
  EXPECT_EQ(c.Find("category")->items()[0].Find("coding")->items()[0].GetString("code"),
            "reminder");
  EXPECT_EQ(Get("/fhir/CommunicationRequest/" + id).GetString("status"), "completed");
  // Once: it is not sent again.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Sent(), 1);
}

TEST_F(Reminders, AReminderDueWhileTheServerWasDownIsSentWhenItComesBack) {
  Create(Reminder(
      "p1",
      R"("occurrencePeriod":{"start":")" + InSeconds(2) + R"(","end":")" + InSeconds(3600) + "\"}",
      "服药提醒 Time for your medicine"));
  server_->Kill9();
  std::this_thread::sleep_for(std::chrono::seconds(4));
  Start();
  ASSERT_TRUE(SentWithin(1, 20));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Sent(), 1);
}

TEST_F(Reminders, AReminderPastTheEndOfItsPeriodIsRevokedNotSent) {
  std::string id = Create(Reminder("p1",
                                   R"("occurrencePeriod":{"start":")" + InSeconds(-7200) +
                                       R"(","end":")" + InSeconds(-3600) + "\"}",
                                   "已过期 Too late"));
  json::Value request;
  Eventually(
      [&] {
        request = Get("/fhir/CommunicationRequest/" + id);
        return request.GetString("status") != "active";
      },
      20);
  EXPECT_EQ(request.GetString("status"), "revoked");
  ASSERT_NE(request.Find("statusReason"), nullptr);
  EXPECT_NE(request.Find("statusReason")->GetString("text").find("Not sent"), std::string::npos);
  EXPECT_EQ(Sent(), 0);
}

TEST_F(Reminders, ARescheduledReminderIsSentOnceAtItsNewTime) {
  std::string first = InSeconds(3);
  std::string id =
      Create(Reminder("p1", R"("occurrenceDateTime":")" + first + "\"", "改期 Rescheduled"));
  json::Value request = Get("/fhir/CommunicationRequest/" + id);
  std::string later = InSeconds(7);
  request.Set("occurrenceDateTime", json::Value::String(later));
  ASSERT_EQ(Call("PUT", "/fhir/CommunicationRequest/" + id, json::Write(request)).status, 200);
  std::this_thread::sleep_for(std::chrono::seconds(5));
  EXPECT_EQ(Sent(), 0);  // not at the first time
  ASSERT_TRUE(SentWithin(1, 20));
  json::Value c =
      *Get("/fhir/Communication?subject=Patient/p1").Find("entry")->items()[0].Find("resource");
  EXPECT_GE(std::string(c.GetString("sent")), later.substr(0, 19));
}

TEST_F(Reminders, APeriodThatEndsBeforeItStartsIsRefused) {
  HttpResult r = Call("POST", "/fhir/CommunicationRequest",
                      Reminder("p1",
                               R"("occurrencePeriod":{"start":")" + InSeconds(3600) +
                                   R"(","end":")" + InSeconds(60) + "\"}",
                               "x"));
  // R4's own invariant per-1 refuses it before the reminders service's check would.
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("per-1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("CommunicationRequest.occurrencePeriod"), std::string::npos) << r.body;
  // Also when the end is a day before the start's time.
  r = Call(
      "POST", "/fhir/CommunicationRequest",
      Reminder("p1",
               R"("occurrencePeriod":{"start":"2030-05-02T10:00:00+08:00","end":"2030-05-01"})",
               "x"));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("per-1"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace kangyun::testing
