// Re-indexing after a SearchParameter is added, or when an administrator asks: one worker thread
// takes the queued jobs in turn and walks the resources of each job's types in small batches,
// each its own short write transaction, so writers are never held up for long and a job's
// progress can be read, and the job cancelled, at any time.
#include <algorithm>

#include "api/engine.h"
#include "api/outcome.h"
#include "base/log.h"

namespace kangyun::api {

namespace {
constexpr int64_t kBatch = 200;
constexpr size_t kJobsKept = 100;  // finished jobs listed by StatusJson
}  // namespace

Reindexer::~Reindexer() { Stop(); }

std::string Reindexer::Start(const fhir::SearchParamDef& param) {
  auto job = std::make_shared<Job>();
  job->url = param.url;
  for (const std::string& b : param.base) {
    if (b == "Resource" || b == "DomainResource") {
      job->types.clear();  // every type
      break;
    }
    job->types.push_back(b);
  }
  std::lock_guard lock(mu_);
  for (const auto& queued : jobs_)
    if (queued->state == State::kQueued && queued->url == job->url && queued->types == job->types)
      return queued->id;
  return Add(std::move(job));
}

Result<std::string> Reindexer::Enqueue(const std::string& label, std::vector<std::string> types) {
  auto job = std::make_shared<Job>();
  job->url = label;
  job->types = std::move(types);
  std::lock_guard lock(mu_);
  size_t queued = std::count_if(jobs_.begin(), jobs_.end(),
                                [](const auto& j) { return j->state == State::kQueued; });
  if (queued >= kMaxQueued)
    return Status(StatusCode::kTooManyRequests,
                  std::to_string(queued) + " re-index jobs are waiting already; try again later");
  return Add(std::move(job));
}

std::string Reindexer::Add(std::shared_ptr<Job> job) {
  job->id = s_.ids.NewId();
  std::string id = job->id;
  // Keep the unfinished jobs and the last finished ones.
  while (jobs_.size() >= kJobsKept) {
    auto finished = std::find_if(jobs_.begin(), jobs_.end(), [](const auto& j) {
      State st = j->state;
      return st != State::kQueued && st != State::kRunning;
    });
    if (finished == jobs_.end()) break;
    jobs_.erase(finished);
  }
  jobs_.push_back(std::move(job));
  if (!worker_.joinable() && !stop_) worker_ = std::thread([this] { Work(); });
  wake_.notify_one();
  return id;
}

Status Reindexer::Cancel(const std::string& id) {
  std::lock_guard lock(mu_);
  for (const auto& job : jobs_) {
    if (job->id != id) continue;
    State expected = State::kQueued;
    if (job->state.compare_exchange_strong(expected, State::kCancelled)) return Status::Ok();
    if (expected == State::kRunning) {
      job->cancel = true;
      return Status::Ok();
    }
    return Status(StatusCode::kConflict, "Re-index job " + id + " has finished already");
  }
  return NotFound("No re-index job " + id);
}

void Reindexer::Work() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] {
        if (stop_) return true;
        return std::any_of(jobs_.begin(), jobs_.end(),
                           [](const auto& j) { return j->state == State::kQueued; });
      });
      if (stop_) return;
      for (const auto& j : jobs_) {
        State expected = State::kQueued;
        if (j->state.compare_exchange_strong(expected, State::kRunning)) {
          job = j;
          break;
        }
      }
    }
    if (job) Run(*job);
  }
}

void Reindexer::Run(Job& job) {
  // Count first, so progress has a denominator.
  {
    store::Query q;
    q.types = job.types;
    auto txn = s_.store.BeginRead();
    if (txn.ok()) {
      auto n = (*txn)->Count(q);
      if (n.ok()) job.total = *n;
    }
  }
  int64_t after = 0;
  std::string error;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) job.cancel = true;
    }
    if (job.cancel) break;
    auto rows = s_.store.ScanCurrent(job.types, after, kBatch);
    if (!rows.ok()) {
      error = rows.status().message();
      break;
    }
    if (rows->empty()) break;
    auto txn = s_.store.BeginWrite();
    if (!txn.ok()) {
      error = txn.status().message();
      break;
    }
    Status st;
    for (const auto& row : *rows) {
      auto parsed = json::Parse(row.body);
      if (!parsed.ok()) continue;
      st = (*txn)->Reindex(row.rid, row.version, s_.extractor.Extract(*parsed));
      if (!st.ok()) break;
    }
    if (st.ok()) st = (*txn)->Commit();
    if (!st.ok()) {
      error = st.message();
      break;
    }
    after = rows->back().rid;
    job.done += static_cast<int64_t>(rows->size());
  }
  job.error = error;
  job.state = !error.empty() ? State::kFailed : job.cancel ? State::kCancelled : State::kCompleted;
  Log(LogLevel::kInfo, "re-index " + job.id + " for " + (job.url.empty() ? "all" : job.url) +
                           " ended: " + std::to_string(job.done.load()) + " resources" +
                           (error.empty() ? "" : ", error: " + error) +
                           (job.cancel ? ", cancelled" : ""));
}

std::string Reindexer::StatusJson() {
  json::Value params = json::Value::Object();
  params.Set("resourceType", json::Value::String("Parameters"));
  json::Value list = json::Value::Array();
  std::lock_guard lock(mu_);
  for (const auto& job : jobs_) {
    json::Value p = json::Value::Object();
    p.Set("name", json::Value::String("job"));
    json::Value parts = json::Value::Array();
    auto part = [&](const char* name, json::Value v, const char* kind) {
      json::Value x = json::Value::Object();
      x.Set("name", json::Value::String(name));
      x.Set(kind, std::move(v));
      parts.Push(std::move(x));
    };
    part("id", json::Value::String(job->id), "valueString");
    if (!job->url.empty()) part("searchParameter", json::Value::String(job->url), "valueUri");
    for (const std::string& t : job->types) part("type", json::Value::String(t), "valueCode");
    part("processed", json::Value::Integer(job->done.load()), "valueInteger");
    part("total", json::Value::Integer(job->total.load()), "valueInteger");
    static constexpr const char* kNames[] = {"queued", "running", "completed", "failed",
                                             "cancelled"};
    State st = job->state;
    part("status", json::Value::String(kNames[static_cast<int>(st)]), "valueCode");
    if (st == State::kFailed) part("error", json::Value::String(job->error), "valueString");
    p.Set("part", std::move(parts));
    list.Push(std::move(p));
  }
  if (!list.items().empty()) params.Set("parameter", std::move(list));
  return json::Write(params);
}

void Reindexer::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace kangyun::api
