#include "api/job_runner.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "json/json.h"

namespace kangyun::api {
namespace {

json::Value ParseOrEmpty(const std::string& text) {
  auto v = json::Parse(text);
  return v.ok() && v->is_object() ? std::move(v).value() : json::Value::Object();
}

// The pause before a job that met an unreachable store runs again: growing with its
// attempts, at most a minute.
int64_t RetryPause(int64_t attempts) {
  int64_t pause = 1'000'000;
  for (int64_t i = 1; i < attempts && pause < 60'000'000; ++i) pause *= 2;
  return std::min<int64_t>(pause, 60'000'000);
}

ThrottledLog& JobLog() {
  static ThrottledLog log(LogLevel::kWarning);
  return log;
}

}  // namespace

JobContext::JobContext(JobRunner& runner, const JobKind& kind, store::ScheduledJob job)
    : runner_(runner),
      kind_(kind),
      job_(std::move(job)),
      params_(ParseOrEmpty(job_.params)),
      progress_(ParseOrEmpty(job_.progress)) {}

bool JobContext::Save(json::Value progress) {
  {
    std::lock_guard lock(mu_);
    job_.progress = json::Write(progress);
    progress_ = std::move(progress);
  }
  if (!runner_.Renew(*this, kind_)) lost_ = true;
  return !Stopping();
}

bool JobContext::Stopping() const { return lost_ || runner_.stopping_; }

JobRunner::JobRunner(store::Store& store, Clock& clock, IdSource& ids)
    : store_(store), clock_(clock), ids_(ids), owner_("process-" + ids.NewId()) {}

JobRunner::~JobRunner() { Stop(); }

void JobRunner::AddKind(JobKind kind) {
  std::string name = kind.kind;
  kinds_[name].spec = std::move(kind);
}

void JobRunner::Start() {
  for (auto& [name, kind] : kinds_)
    for (int i = 0; i < std::max(1, kind.spec.workers); ++i)
      kind.threads.emplace_back([this, &spec = kind.spec] { Work(spec); });
  renewer_ = std::thread([this] { RenewLeases(); });
}

void JobRunner::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& [name, kind] : kinds_)
    for (std::thread& t : kind.threads)
      if (t.joinable()) t.join();
  if (renewer_.joinable()) renewer_.join();
}

store::ScheduledJob JobRunner::NewJob(const std::string& kind, const json::Value& params,
                                      int64_t due, std::string id) {
  int64_t now = clock_.NowMicros();
  store::ScheduledJob job;
  job.id = id.empty() ? ids_.NewId() : std::move(id);
  job.kind = kind;
  job.due = due > 0 ? due : now;
  job.params = json::Write(params);
  job.created = job.updated = now;
  return job;
}

Result<std::string> JobRunner::Submit(const std::string& kind, const json::Value& params,
                                      int64_t due, std::string id) {
  if (!kinds_.count(kind)) return Internal("no job kind '" + kind + "'");
  store::ScheduledJob job = NewJob(kind, params, due, std::move(id));
  KY_RETURN_IF_ERROR(store_.AddScheduledJob(job));
  Wake();
  return job.id;
}

Status JobRunner::SubmitIn(ApiTransaction& txn, const std::string& kind, const json::Value& params,
                           int64_t due, const std::string& id) {
  if (!kinds_.count(kind)) return Internal("no job kind '" + kind + "'");
  KY_RETURN_IF_ERROR(txn.AddScheduledJob(NewJob(kind, params, due, id)));
  txn.AfterCommit([this] { Wake(); });
  return Status::Ok();
}

void JobRunner::Wake() {
  {
    std::lock_guard lock(mu_);
    ++submitted_;
  }
  wake_.notify_all();
}

Result<bool> JobRunner::Cancel(const std::string& id) {
  KY_ASSIGN_OR_RETURN(bool cancelled, store_.CancelScheduledJob(id, clock_.NowMicros()));
  if (cancelled) {
    std::lock_guard lock(mu_);
    if (auto it = running_.find(id); it != running_.end()) it->second->lost_ = true;
    return true;
  }
  KY_ASSIGN_OR_RETURN(auto job, store_.GetScheduledJob(id));
  if (!job) return NotFound("No job " + id);
  return false;
}

Result<std::optional<store::ScheduledJob>> JobRunner::Get(const std::string& id) {
  return store_.GetScheduledJob(id);
}

Result<std::vector<store::ScheduledJob>> JobRunner::List(const std::string& kind, int64_t limit) {
  return store_.ListScheduledJobs(kind, limit);
}

void JobRunner::Work(const JobKind& kind) {
  for (;;) {
    uint64_t seen;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      seen = submitted_;
    }
    int64_t now = clock_.NowMicros();
    auto claimed = store_.ClaimScheduledJob({kind.kind}, owner_, now, now + kind.lease_micros);
    if (!claimed.ok()) JobLog()("jobs: " + kind.kind + ": " + claimed.status().message());
    if (claimed.ok() && *claimed) {
      RunClaimed(kind, std::move(**claimed));
      continue;  // there may be more due
    }
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, std::chrono::microseconds(kPollMicros),
                   [&] { return stopping_ || submitted_ != seen; });
  }
}

void JobRunner::RunClaimed(const JobKind& kind, store::ScheduledJob job) {
  int64_t now = clock_.NowMicros();
  if (kind.missed_after_micros > 0 && now - job.due > kind.missed_after_micros) {
    job.status = "missed";
    job.error = "claimed " + std::to_string((now - job.due) / 1'000'000) +
                " s after it was due, later than its kind allows";
    job.updated = now;
    if (auto st = store_.UpdateScheduledJob(job); !st.ok())
      JobLog()("jobs: " + job.id + ": " + st.status().message());
    Log(LogLevel::kInfo, "job " + job.id + " (" + job.kind + ") missed: " + job.error);
    return;
  }
  JobContext ctx(*this, kind, std::move(job));
  {
    std::lock_guard lock(mu_);
    running_[ctx.job_.id] = &ctx;
  }
  Status ran = kind.run(ctx);
  {
    std::lock_guard lock(mu_);
    running_.erase(ctx.job_.id);
  }
  if (ctx.lost_) return;  // cancelled, or another process holds it now
  std::lock_guard lock(ctx.mu_);
  store::ScheduledJob& done = ctx.job_;
  now = clock_.NowMicros();
  done.updated = now;
  if (ran.ok()) {
    done.status = "completed";
    done.error.clear();
  } else if (ran.code() == StatusCode::kUnavailable) {
    // Queued again, to resume from its progress: now when this process stops (the next one
    // takes it), after a pause when the store failed.
    done.status = "queued";
    done.due = stopping_ ? now : now + RetryPause(done.attempts);
    done.lease_until = 0;
    done.error = ran.message();
  } else {
    done.status = "failed";
    done.error = ran.message();
  }
  auto written = store_.UpdateScheduledJob(done);
  if (!written.ok())
    JobLog()("jobs: " + done.id + " ended " + done.status +
             " but could not be recorded (it runs again when its lease runs out): " +
             written.status().message());
}

bool JobRunner::Renew(JobContext& ctx, const JobKind& kind) {
  std::lock_guard lock(ctx.mu_);
  int64_t now = clock_.NowMicros();
  ctx.job_.lease_until = now + kind.lease_micros;
  ctx.job_.updated = now;
  auto written = store_.UpdateScheduledJob(ctx.job_);
  if (!written.ok()) {
    // The store is unreachable: the lease may run out; the run goes on and finds out later.
    JobLog()("jobs: renewing " + ctx.job_.id + ": " + written.status().message());
    return true;
  }
  return *written;
}

void JobRunner::RenewLeases() {
  for (;;) {
    std::vector<JobContext*> running;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_.load(); });
      if (stopping_) return;
      for (auto& [id, ctx] : running_) running.push_back(ctx);
    }
    // A context stays alive while it is in running_, and RunClaimed removes it under mu_
    // before it ends: renew under mu_'s protection by holding it across the renewal.
    std::lock_guard lock(mu_);
    for (JobContext* ctx : running) {
      if (!running_.count(ctx->job_.id)) continue;
      int64_t left;
      {
        std::lock_guard job_lock(ctx->mu_);
        left = ctx->job_.lease_until - clock_.NowMicros();
      }
      if (left < ctx->kind_.lease_micros * 2 / 3 && !Renew(*ctx, ctx->kind_)) ctx->lost_ = true;
    }
  }
}

}  // namespace kangyun::api
