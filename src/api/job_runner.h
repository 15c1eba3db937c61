// The job runner: work done in the background that survives restarts and runs once across
// the processes serving one database. Jobs live in the store (store.h: ScheduledJob): a job is
// queued with the time it is due, claimed by one process through a lease it renews while the
// job runs, and ends completed, failed (with its reason), cancelled or missed. A job whose
// process died is claimed again once its lease runs out and resumes from the progress it last
// saved; one still queued when the servers were down runs when they come back, unless its
// kind says a job that late is missed instead. Services register their kinds on the seam
// (api/service.h); re-indexing, bulk exports and the subscriptions' matcher run here.
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/api_transaction.h"
#include "base/env.h"
#include "base/log.h"
#include "base/status.h"
#include "json/value.h"
#include "store/store.h"

namespace kangyun::api {

class JobRunner;
struct JobKind;

// What a running job sees of itself.
class JobContext {
 public:
  const store::ScheduledJob& job() const { return job_; }
  // The job's input, and what it saved last (an empty object for a new job): a run starts
  // from there, so a job resumed after its process died does not start over.
  const json::Value& params() const { return params_; }
  const json::Value& progress() const { return progress_; }
  // Claims so far, this one included: more than one when it is resumed or retried.
  int64_t attempt() const { return job_.attempts; }
  // Saves progress and renews the lease. False when the job is no longer this process's to
  // run (cancelled, or its lease ran out and another took it) or the runner is stopping: the
  // run should return at once.
  bool Save(json::Value progress);
  // Whether the run should stop: the job was cancelled or lost, or the runner is stopping.
  bool Stopping() const;

 private:
  friend class JobRunner;
  JobContext(JobRunner& runner, const JobKind& kind, store::ScheduledJob job);
  JobRunner& runner_;
  const JobKind& kind_;
  store::ScheduledJob job_;
  json::Value params_, progress_;
  std::atomic<bool> lost_{false};
  std::mutex mu_;  // guards job_ while the lease is renewed beside the run
};

struct JobKind {
  std::string kind;
  // Runs the job to its end: Ok completes it; kUnavailable (the store is down, the runner
  // is stopping) queues it again after a pause, to resume from its progress; any other error
  // fails it with the error as its reason.
  std::function<Status(JobContext&)> run;
  // A job claimed more than this long after it was due (the servers were down) is marked
  // missed and not run; 0 runs it however late.
  int64_t missed_after_micros = 0;
  // How long a claim holds without renewal: the longest a job waits after its process died.
  int64_t lease_micros = 30'000'000;
  // Threads that run jobs of this kind in each process.
  int workers = 1;
};

class JobRunner {
 public:
  JobRunner(store::Store& store, Clock& clock, IdSource& ids);
  ~JobRunner();

  // Before Start.
  void AddKind(JobKind kind);
  // Starts each kind's workers and the lease renewal; jobs are looked for at once and then
  // every poll interval (and when this process submits one).
  void Start();
  // Stops the workers: runs in progress are asked to stop (JobContext::Stopping) and are
  // queued again, to resume in the next process.
  void Stop();

  // Looks for due jobs now rather than at the next poll (the clock was moved, another
  // process queued one).
  void Wake();
  // Queues a job of `kind` due at `due` (micros; 0 for now); `id` "" for a new one. The id.
  Result<std::string> Submit(const std::string& kind, const json::Value& params, int64_t due = 0,
                             std::string id = "");
  // The same, as part of txn: the job exists if and only if txn commits (so it cannot be lost
  // between the data's commit and its own); the workers look for it once txn has committed.
  Status SubmitIn(ApiTransaction& txn, const std::string& kind, const json::Value& params,
                  int64_t due, const std::string& id);
  // False when the job had ended already; kNotFound for an unknown id.
  Result<bool> Cancel(const std::string& id);
  Result<std::optional<store::ScheduledJob>> Get(const std::string& id);
  // Newest first.
  Result<std::vector<store::ScheduledJob>> List(const std::string& kind, int64_t limit);

  static constexpr int64_t kPollMicros = 1'000'000;

 private:
  friend class JobContext;
  struct Kind {
    JobKind spec;
    std::vector<std::thread> threads;
  };
  store::ScheduledJob NewJob(const std::string& kind, const json::Value& params, int64_t due,
                             std::string id);
  void Work(const JobKind& kind);
  void RunClaimed(const JobKind& kind, store::ScheduledJob job);
  // Renews the leases of the jobs this process runs, every third of their lease.
  void RenewLeases();
  // Writes a running job's row as `ctx` holds it, with its lease renewed; false when lost.
  bool Renew(JobContext& ctx, const JobKind& kind);

  store::Store& store_;
  Clock& clock_;
  IdSource& ids_;
  const std::string owner_;  // this process, as the leases name it
  std::map<std::string, Kind> kinds_;
  std::mutex mu_;
  std::condition_variable wake_;
  uint64_t submitted_ = 0;                      // guarded by mu_; wakes workers
  std::map<std::string, JobContext*> running_;  // guarded by mu_
  std::thread renewer_;
  // Set by Stop (under mu_, so that waits see it); read by running jobs without it.
  std::atomic<bool> stopping_{false};
};

}  // namespace kangyun::api
