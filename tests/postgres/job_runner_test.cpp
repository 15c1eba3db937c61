// The job runner with several processes on one PostgreSQL database (each its own store and
// connections, as separate `kangyun serve` processes have): every job runs once, a claim
// another process holds is skipped rather than waited for, and a job a dead process held is
// resumed by a live one.
#include "api/job_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "json/json.h"
#include "store/postgres/postgres_store.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

class PostgresJobRunner : public ::testing::Test {
 protected:
  void SetUp() override { db_ = FreshPostgresDatabase("kt_jobs_" + std::to_string(getpid())); }
  // A store of its own, as another process would open.
  store::Store& OpenStore() {
    auto opened = store::OpenPostgresStore(db_);
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    stores_.push_back(std::move(opened).value());
    return *stores_.back();
  }
  std::string StatusOf(const std::string& id) {
    auto job = stores_.front()->GetScheduledJob(id);
    return job.ok() && *job ? (*job)->status : "";
  }

  std::string db_;
  std::vector<std::unique_ptr<store::Store>> stores_;
  std::unique_ptr<Clock> clock_ = SystemClock();
  std::unique_ptr<IdSource> ids_ = RandomIdSource();
};

TEST_F(PostgresJobRunner, ThreeProcessesRunEachJobOnce) {
  std::mutex mu;
  std::map<std::string, int> runs;
  std::vector<std::unique_ptr<api::JobRunner>> runners;
  for (int p = 0; p < 3; ++p) {
    runners.push_back(std::make_unique<api::JobRunner>(OpenStore(), *clock_, *ids_));
    api::JobKind kind;
    kind.kind = "each";
    kind.workers = 2;
    kind.run = [&](api::JobContext& ctx) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      std::lock_guard lock(mu);
      ++runs[ctx.job().id];
      return Status::Ok();
    };
    runners.back()->AddKind(std::move(kind));
    runners.back()->Start();
  }
  std::vector<std::string> ids;
  for (int i = 0; i < 90; ++i) {
    auto id = runners[i % 3]->Submit("each", json::Value::Object());
    ASSERT_TRUE(id.ok()) << id.status().message();
    ids.push_back(*id);
  }
  for (auto& r : runners) r->Wake();
  ASSERT_TRUE(Eventually(
      [&] {
        for (const std::string& id : ids)
          if (StatusOf(id) != "completed") return false;
        return true;
      },
      20));
  runners.clear();
  EXPECT_EQ(runs.size(), ids.size());
  for (const auto& [id, n] : runs) EXPECT_EQ(n, 1) << id;
}

TEST_F(PostgresJobRunner, AJobADeadProcessHeldIsResumedByALiveOne) {
  store::Store& dead = OpenStore();
  int64_t now = clock_->NowMicros();
  // The dead process claimed it and saved progress, and its lease ran out.
  store::ScheduledJob job;
  job.id = "orphan";
  job.kind = "steps";
  job.due = now - 1'000'000;
  job.created = job.updated = now;
  ASSERT_TRUE(dead.AddScheduledJob(job).ok());
  auto claimed = dead.ClaimScheduledJob({"steps"}, "process-dead", now, now + 200'000);
  ASSERT_TRUE(claimed.ok() && *claimed);
  (*claimed)->progress = R"({"done":5})";
  ASSERT_TRUE(*dead.UpdateScheduledJob(**claimed));
  // While its lease holds, nobody else may take it.
  auto early = dead.ClaimScheduledJob({"steps"}, "process-live", now + 100'000, now + 1'000'000);
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(*early);

  std::atomic<int64_t> resumed_from{-1};
  api::JobRunner live(OpenStore(), *clock_, *ids_);
  api::JobKind kind;
  kind.kind = "steps";
  kind.run = [&](api::JobContext& ctx) {
    const json::Value* done = ctx.progress().Find("done");
    resumed_from = done ? std::stoll(done->str()) : -1;
    return Status::Ok();
  };
  live.AddKind(std::move(kind));
  live.Start();
  ASSERT_TRUE(Eventually([&] { return StatusOf("orphan") == "completed"; }, 20));
  EXPECT_EQ(resumed_from, 5);
  // The dead process's late word no longer counts: it does not hold the job.
  (*claimed)->status = "failed";
  EXPECT_FALSE(*dead.UpdateScheduledJob(**claimed));
  EXPECT_EQ(StatusOf("orphan"), "completed");
}

}  // namespace
}  // namespace kangyun::testing
