// Re-indexing runs as a job of the job runner: a job whose process died resumes where that
// process had got to, not from the start.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "json/json.h"
#include "tests/unit/in_process_api.h"

namespace kangyun {
namespace {

class ReindexJobs : public ::testing::Test {
 protected:
  api::FhirResponse Call(const std::string& method, const std::string& target,
                         const std::string& body = "") {
    return in_process_.Call(method, target, body);
  }
  testing::InProcessApi in_process_{"reindex"};
  store::Store* store_ = &in_process_.store();
  Clock* clock_ = &in_process_.clock();
  api::FhirApi* api_ = &in_process_.api();
};

TEST_F(ReindexJobs, AJobWhoseProcessDiedResumesWhereItHadGot) {
  for (const char* id : {"a", "b", "c"})
    ASSERT_EQ(
        Call("PUT", std::string("Patient/") + id,
             std::string(R"({"resourceType":"Patient","id":")") + id + R"(","gender":"female"})")
            .status,
        201);
  // A new parameter: its re-index job is queued (jobs do not run until they are started).
  ASSERT_EQ(
      Call(
          "POST", "SearchParameter",
          R"({"resourceType":"SearchParameter","url":"http://kangyun.cn/fhir/SearchParameter/sex","name":"sex","status":"active","description":"x","code":"sex","base":["Patient"],"type":"token","expression":"Patient.gender"})")
          .status,
      201);
  auto jobs = store_->ListScheduledJobs("reindex", 10);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  // A process claimed it, got through the first two Patients, and died.
  auto rows = store_->ScanCurrent({"Patient"}, 0, 10);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  int64_t now = clock_->NowMicros();
  auto claimed = store_->ClaimScheduledJob({"reindex"}, "process-dead", now, now + 1);
  ASSERT_TRUE(claimed.ok() && *claimed);
  (*claimed)->progress = R"({"total":3,"done":2,"after":)" + std::to_string((*rows)[1].rid) + "}";
  ASSERT_TRUE(*store_->UpdateScheduledJob(**claimed));

  api_->StartBackgroundJobs();
  std::string status;
  for (int i = 0; i < 500; ++i) {
    auto job = store_->GetScheduledJob((*claimed)->id);
    status = job.ok() && *job ? (*job)->status : "";
    if (status == "completed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(status, "completed");
  // Only the Patient after where the dead process had got was indexed by the resumed job
  // (the first two were the dead process's to do, and it did not).
  auto found = json::Parse(Call("GET", "Patient?sex=female").body);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->Find("total")->str(), "1");
  EXPECT_EQ(found->Find("entry")->items()[0].Find("resource")->GetString("id"), "c");
  auto listing = json::Parse(Call("GET", "$reindex").body);
  ASSERT_TRUE(listing.ok());
  std::string text = json::Write(*listing);
  EXPECT_NE(text.find(R"("name":"processed","valueInteger":3)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("name":"status","valueCode":"completed")"), std::string::npos) << text;
}

}  // namespace
}  // namespace kangyun
