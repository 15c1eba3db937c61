// Re-indexing after a SearchParameter is added: a background thread walks the resources of the
// parameter's base types in small batches, each its own short write transaction, so writers
// are never held up for long and the job's progress can be read at any time.
#include "api/outcome.h"
#include "api/services.h"
#include "base/log.h"

namespace kangyun::api {

namespace {
constexpr int64_t kBatch = 200;
}

Reindexer::~Reindexer() { Stop(); }

std::string Reindexer::Start(const fhir::SearchParamDef& param) {
  auto job = std::make_shared<Job>();
  job->id = s_.ids.NewId();
  job->url = param.url;
  for (const std::string& b : param.base) {
    if (b == "Resource" || b == "DomainResource") {
      job->types.clear();  // every type
      break;
    }
    job->types.push_back(b);
  }
  std::lock_guard lock(mu_);
  JoinFinished(threads_);
  jobs_.push_back(job);
  threads_.emplace_back(job, std::thread([this, job] { Run(job); }));
  return job->id;
}

void Reindexer::Run(std::shared_ptr<Job> job) {
  // Count first, so progress has a denominator.
  {
    store::Query q;
    q.types = job->types;
    auto txn = s_.store.BeginRead();
    if (txn.ok()) {
      auto n = (*txn)->Count(q);
      if (n.ok()) job->total = *n;
    }
  }
  int64_t after = 0;
  while (!stop_) {
    auto rows = s_.store.ScanCurrent(job->types, after, kBatch);
    if (!rows.ok()) {
      job->error = rows.status().message();
      break;
    }
    if (rows->empty()) break;
    auto txn = s_.store.BeginWrite();
    if (!txn.ok()) {
      job->error = txn.status().message();
      break;
    }
    Status st;
    for (const auto& row : *rows) {
      auto parsed = json::Parse(row.body);
      if (!parsed.ok()) continue;
      st = (*txn)->Reindex(row.rid, s_.extractor.Extract(*parsed));
      if (!st.ok()) break;
    }
    if (st.ok()) st = (*txn)->Commit();
    if (!st.ok()) {
      job->error = st.message();
      break;
    }
    after = rows->back().rid;
    job->done += static_cast<int64_t>(rows->size());
  }
  job->finished = true;
  Log(LogLevel::kInfo, "re-index for " + job->url +
                           " finished: " + std::to_string(job->done.load()) + " resources" +
                           (job->error.empty() ? "" : ", error: " + job->error));
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
    part("searchParameter", json::Value::String(job->url), "valueUri");
    part("processed", json::Value::Integer(job->done.load()), "valueInteger");
    part("total", json::Value::Integer(job->total), "valueInteger");
    std::string status = !job->finished ? "running" : job->error.empty() ? "completed" : "failed";
    part("status", json::Value::String(status), "valueCode");
    if (!job->error.empty()) part("error", json::Value::String(job->error), "valueString");
    p.Set("part", std::move(parts));
    list.Push(std::move(p));
  }
  if (!list.items().empty()) params.Set("parameter", std::move(list));
  return json::Write(params);
}

void Reindexer::Stop() {
  stop_ = true;
  std::vector<std::pair<std::shared_ptr<Job>, std::thread>> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  for (auto& [job, t] : threads)
    if (t.joinable()) t.join();
}

}  // namespace kangyun::api
