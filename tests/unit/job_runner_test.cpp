// The job runner (api/job_runner.h) on the embedded store: jobs run once, when due, resume
// from their progress after their process died, end as their kind says when late, can be
// cancelled, and are retried when the store is unreachable. (Several processes on one
// PostgreSQL database: tests/postgres/job_runner_test.cpp.)
#include "api/job_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "json/json.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/support/eventually.h"

namespace kangyun {
namespace {

using api::JobContext;
using api::JobKind;
using api::JobRunner;

constexpr int64_t kHour = 3600LL * 1'000'000;

// A JSON number's value (-1 when absent).
int64_t Int(const json::Value* v) { return v && v->is_number() ? std::stoll(v->str()) : -1; }

using testing::Eventually;

class JobRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ky-jobs-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = store::OpenSqliteStore((dir_ / "k.db").string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    runners_.clear();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  JobRunner& NewRunner(std::vector<JobKind> kinds) {
    runners_.push_back(std::make_unique<JobRunner>(*store_, clock_, *ids_));
    for (JobKind& k : kinds) runners_.back()->AddKind(std::move(k));
    runners_.back()->Start();
    return *runners_.back();
  }
  static JobKind Kind(std::string name, std::function<Status(JobContext&)> run) {
    JobKind k;
    k.kind = std::move(name);
    k.run = std::move(run);
    return k;
  }
  std::string StatusOf(const std::string& id) {
    auto job = store_->GetScheduledJob(id);
    return job.ok() && *job ? (*job)->status : "";
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  FakeClock clock_{1'800'000'000LL * 1'000'000};
  std::unique_ptr<IdSource> ids_ = RandomIdSource();
  std::vector<std::unique_ptr<JobRunner>> runners_;
};

TEST_F(JobRunnerTest, ASubmittedJobRunsOnceAndItsEndAndProgressAreKept) {
  std::atomic<int> runs{0};
  JobRunner& runner = NewRunner({Kind("count", [&](JobContext& ctx) {
    ++runs;
    json::Value progress = json::Value::Object();
    progress.Set("n", json::Value::Integer(Int(ctx.params().Find("n")) + 1));
    ctx.Save(std::move(progress));
    return Status::Ok();
  })});
  json::Value params = json::Value::Object();
  params.Set("n", json::Value::Integer(41));
  auto id = runner.Submit("count", params);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Eventually([&] { return StatusOf(*id) == "completed"; })) << StatusOf(*id);
  EXPECT_EQ(runs, 1);
  auto job = runner.Get(*id);
  EXPECT_EQ((*job)->progress, R"({"n":42})");
  EXPECT_EQ((*job)->attempts, 1);
}

TEST_F(JobRunnerTest, AJobDueLaterRunsOnlyOnceItIsDue) {
  std::atomic<int> runs{0};
  JobRunner& runner = NewRunner({Kind("later", [&](JobContext&) {
    ++runs;
    return Status::Ok();
  })});
  auto id = runner.Submit("later", json::Value::Object(), clock_.NowMicros() + kHour);
  ASSERT_TRUE(id.ok());
  runner.Wake();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(StatusOf(*id), "queued");
  clock_.Advance(kHour);
  runner.Wake();
  ASSERT_TRUE(Eventually([&] { return StatusOf(*id) == "completed"; }));
  EXPECT_EQ(runs, 1);
}

TEST_F(JobRunnerTest, AJobWhoseProcessDiedResumesFromItsProgress) {
  // As a process that died left it: running, its lease run out, three steps done.
  store::ScheduledJob left;
  left.id = "orphan";
  left.kind = "steps";
  left.status = "running";
  left.owner = "process-that-died";
  left.due = clock_.NowMicros() - kHour;
  left.lease_until = clock_.NowMicros() - 1;
  left.attempts = 1;
  left.progress = R"({"done":3})";
  ASSERT_TRUE(store_->AddScheduledJob(left).ok());
  std::atomic<int64_t> resumed_from{-1}, attempt{0};
  NewRunner({Kind("steps", [&](JobContext& ctx) {
    resumed_from = Int(ctx.progress().Find("done"));
    attempt = ctx.attempt();
    return Status::Ok();
  })});
  ASSERT_TRUE(Eventually([&] { return StatusOf("orphan") == "completed"; }));
  EXPECT_EQ(resumed_from, 3);
  EXPECT_EQ(attempt, 2);
}

TEST_F(JobRunnerTest, AJobHeldByALiveProcessIsLeftToIt) {
  store::ScheduledJob held;
  held.id = "held";
  held.kind = "steps";
  held.status = "running";
  held.owner = "another-process";
  held.due = clock_.NowMicros();
  held.lease_until = clock_.NowMicros() + kHour;
  held.attempts = 1;
  ASSERT_TRUE(store_->AddScheduledJob(held).ok());
  std::atomic<int> runs{0};
  JobRunner& runner = NewRunner({Kind("steps", [&](JobContext&) {
    ++runs;
    return Status::Ok();
  })});
  runner.Wake();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(StatusOf("held"), "running");
}

TEST_F(JobRunnerTest, AJobLaterThanItsKindAllowsIsMissedNotRun) {
  std::atomic<int> runs{0};
  JobKind reminder = Kind("reminder", [&](JobContext&) {
    ++runs;
    return Status::Ok();
  });
  reminder.missed_after_micros = kHour / 6;
  JobRunner& runner = NewRunner({std::move(reminder)});
  // Due an hour ago: the servers were down when it was due.
  auto id = runner.Submit("reminder", json::Value::Object(), clock_.NowMicros() - kHour);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Eventually([&] { return StatusOf(*id) == "missed"; })) << StatusOf(*id);
  EXPECT_EQ(runs, 0);
  EXPECT_NE((*runner.Get(*id))->error.find("after it was due"), std::string::npos);
}

TEST_F(JobRunnerTest, CancellingStopsARunningJob) {
  std::atomic<bool> started{false}, returned{false};
  JobRunner& runner = NewRunner({Kind("long", [&](JobContext& ctx) {
    started = true;
    while (ctx.Save(json::Value::Object()))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    returned = true;
    return Status::Ok();
  })});
  auto id = runner.Submit("long", json::Value::Object());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Eventually([&] { return started.load(); }));
  auto cancelled = runner.Cancel(*id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE(*cancelled);
  ASSERT_TRUE(Eventually([&] { return returned.load(); }));
  EXPECT_EQ(StatusOf(*id), "cancelled");
  EXPECT_FALSE(*runner.Cancel(*id));  // ended already
  EXPECT_EQ(runner.Cancel("no-such-job").status().code(), StatusCode::kNotFound);
}

TEST_F(JobRunnerTest, AJobThatMeetsAnUnreachableStoreRunsAgainAfterAPause) {
  std::atomic<int> runs{0};
  JobRunner& runner = NewRunner({Kind("flaky", [&](JobContext&) {
    return ++runs == 1 ? Status(StatusCode::kUnavailable, "the store is unreachable")
                       : Status::Ok();
  })});
  auto id = runner.Submit("flaky", json::Value::Object());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Eventually([&] { return runs.load() == 1 && StatusOf(*id) == "queued"; }));
  auto waiting = runner.Get(*id);
  EXPECT_GT((*waiting)->due, clock_.NowMicros());
  EXPECT_EQ((*waiting)->error, "the store is unreachable");
  clock_.Advance(kHour);
  runner.Wake();
  ASSERT_TRUE(Eventually([&] { return StatusOf(*id) == "completed"; }));
  EXPECT_EQ(runs, 2);
}

TEST_F(JobRunnerTest, AFailedJobKeepsItsReason) {
  JobRunner& runner =
      NewRunner({Kind("bad", [](JobContext&) { return Invalid("the input names no type"); })});
  auto id = runner.Submit("bad", json::Value::Object());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Eventually([&] { return StatusOf(*id) == "failed"; }));
  EXPECT_EQ((*runner.Get(*id))->error, "the input names no type");
}

TEST_F(JobRunnerTest, ARunnerThatStopsLeavesItsJobToTheNextToResume) {
  std::atomic<bool> started{false};
  JobRunner& first = NewRunner({Kind("long", [&](JobContext& ctx) {
    json::Value p = json::Value::Object();
    p.Set("step", json::Value::Integer(7));
    ctx.Save(std::move(p));
    started = true;
    while (!ctx.Stopping()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Status(StatusCode::kUnavailable, "stopping");
  })});
  auto id = first.Submit("long", json::Value::Object());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Eventually([&] { return started.load(); }));
  first.Stop();
  EXPECT_EQ(StatusOf(*id), "queued");
  std::atomic<int64_t> resumed_at{-1};
  NewRunner({Kind("long", [&](JobContext& ctx) {
    resumed_at = Int(ctx.progress().Find("step"));
    return Status::Ok();
  })});
  ASSERT_TRUE(Eventually([&] { return StatusOf(*id) == "completed"; }));
  EXPECT_EQ(resumed_at, 7);
}

TEST_F(JobRunnerTest, TwoRunnersOnOneStoreRunEachJobOnce) {
  std::mutex mu;
  std::map<std::string, int> runs;
  auto kind = [&] {
    JobKind k = Kind("each", [&](JobContext& ctx) {
      std::lock_guard lock(mu);
      ++runs[ctx.job().id];
      return Status::Ok();
    });
    k.workers = 2;
    return k;
  };
  JobRunner& a = NewRunner({kind()});
  JobRunner& b = NewRunner({kind()});
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    auto id = (i % 2 ? a : b).Submit("each", json::Value::Object());
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  ASSERT_TRUE(Eventually([&] {
    for (const std::string& id : ids)
      if (StatusOf(id) != "completed") return false;
    return true;
  }));
  std::lock_guard lock(mu);
  EXPECT_EQ(runs.size(), ids.size());
  for (const auto& [id, n] : runs) EXPECT_EQ(n, 1) << id;
}

}  // namespace
}  // namespace kangyun
