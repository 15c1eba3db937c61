// Re-indexing as jobs of the job runner: a job's params name the SearchParameter it is for
// (or none, an administrator's) and the types; its progress is the last row done, how many
// were done, and how many there were when it began.
#include <algorithm>

#include "api/engine.h"
#include "api/outcome.h"
#include "base/log.h"
#include "json/json.h"

namespace kangyun::api {

namespace {
constexpr const char* kKind = "reindex";
constexpr int64_t kBatch = 200;
constexpr int64_t kJobsListed = 100;  // the last ones, finished or not

int64_t Int(const json::Value& object, std::string_view key) {
  const json::Value* v = object.Find(key);
  return v && v->is_number() ? std::stoll(v->str()) : 0;
}

std::vector<std::string> Types(const json::Value& params) {
  std::vector<std::string> types;
  if (const json::Value* list = params.Find("types"))
    for (const json::Value& t : list->items()) types.push_back(t.str());
  return types;
}

json::Value Params(const std::string& url, const std::vector<std::string>& types) {
  json::Value p = json::Value::Object();
  if (!url.empty()) p.Set("url", json::Value::String(url));
  json::Value list = json::Value::Array();
  for (const std::string& t : types) list.Push(json::Value::String(t));
  p.Set("types", std::move(list));
  return p;
}

json::Value ParseOrEmpty(const std::string& text) {
  auto v = json::Parse(text);
  return v.ok() ? std::move(v).value() : json::Value::Object();
}

}  // namespace

Reindexer::Reindexer(Engine& s) : s_(s) {
  JobKind kind;
  kind.kind = kKind;
  kind.run = [this](JobContext& ctx) { return Run(ctx); };
  // Never more than one core and one writer at a time for it, whatever is queued.
  kind.workers = 1;
  s_.jobs->AddKind(std::move(kind));
}

Result<std::string> Reindexer::Submit(const std::string& url, const std::vector<std::string>& types,
                                      bool limit_queue) {
  json::Value params = Params(url, types);
  KY_ASSIGN_OR_RETURN(auto jobs, s_.jobs->List(kKind, kJobsListed));
  size_t queued = 0;
  for (const store::ScheduledJob& job : jobs) {
    if (job.status != "queued") continue;
    ++queued;
    if (!limit_queue && ParseOrEmpty(job.params) == params) return job.id;
  }
  if (limit_queue && queued >= kMaxQueued)
    return Status(StatusCode::kTooManyRequests,
                  std::to_string(queued) + " re-index jobs are waiting already; try again later");
  return s_.jobs->Submit(kKind, params);
}

std::string Reindexer::Start(const fhir::SearchParamDef& param) {
  std::vector<std::string> types;
  for (const std::string& b : param.base) {
    if (b == "Resource" || b == "DomainResource") {
      types.clear();  // every type
      break;
    }
    types.push_back(b);
  }
  auto id = Submit(param.url, types, /*limit_queue=*/false);
  if (!id.ok()) {
    Log(LogLevel::kError, "re-index for " + param.url + " not queued: " + id.status().message());
    return "";
  }
  return *id;
}

Result<std::string> Reindexer::Enqueue(const std::string& label, std::vector<std::string> types) {
  return Submit(label, types, /*limit_queue=*/true);
}

Status Reindexer::Cancel(const std::string& id) {
  KY_ASSIGN_OR_RETURN(auto job, s_.jobs->Get(id));
  if (!job || job->kind != kKind) return NotFound("No re-index job " + id);
  KY_ASSIGN_OR_RETURN(bool cancelled, s_.jobs->Cancel(id));
  if (!cancelled)
    return Status(StatusCode::kConflict, "Re-index job " + id + " has finished already");
  return Status::Ok();
}

Status Reindexer::Run(JobContext& ctx) {
  // The parameter a job is for was committed before the job was queued, perhaps by another
  // process: the registry learns of it before anything is indexed.
  {
    KY_ASSIGN_OR_RETURN(auto txn, s_.store.BeginRead());
    KY_RETURN_IF_ERROR(SyncStoredSearchParameters(s_, *txn).status());
  }
  std::vector<std::string> types = Types(ctx.params());
  json::Value progress = ctx.progress();
  if (!progress.Find("total")) {
    // Counted first, so progress has a denominator.
    store::Query q;
    q.types = types;
    KY_ASSIGN_OR_RETURN(auto txn, s_.store.BeginRead());
    KY_ASSIGN_OR_RETURN(int64_t total, txn->Count(q));
    progress.Set("total", json::Value::Integer(total));
    progress.Set("done", json::Value::Integer(0));
    progress.Set("after", json::Value::Integer(0));
    if (!ctx.Save(progress)) return Status(StatusCode::kUnavailable, "stopping");
  }
  int64_t after = Int(progress, "after"), done = Int(progress, "done");
  for (;;) {
    if (ctx.Stopping()) return Status(StatusCode::kUnavailable, "stopping");
    KY_ASSIGN_OR_RETURN(auto rows, s_.store.ScanCurrent(types, after, kBatch));
    if (rows.empty()) break;
    KY_ASSIGN_OR_RETURN(auto txn, s_.store.BeginWrite());
    for (const auto& row : rows) {
      auto parsed = json::Parse(row.body);
      if (!parsed.ok()) continue;
      KY_RETURN_IF_ERROR(txn->Reindex(row.rid, row.version, s_.extractor.Extract(*parsed)));
    }
    KY_RETURN_IF_ERROR(txn->Commit());
    after = rows.back().rid;
    done += static_cast<int64_t>(rows.size());
    progress.Set("after", json::Value::Integer(after));
    progress.Set("done", json::Value::Integer(done));
    if (!ctx.Save(progress)) return Status(StatusCode::kUnavailable, "stopping");
  }
  std::string url(ctx.params().GetString("url"));
  Log(LogLevel::kInfo, "re-index " + ctx.job().id + " for " + (url.empty() ? "all" : url) +
                           " ended: " + std::to_string(done) + " resources");
  return Status::Ok();
}

Result<std::string> Reindexer::StatusJson() {
  KY_ASSIGN_OR_RETURN(auto jobs, s_.jobs->List(kKind, kJobsListed));
  std::reverse(jobs.begin(), jobs.end());  // oldest first
  json::Value params = json::Value::Object();
  params.Set("resourceType", json::Value::String("Parameters"));
  json::Value list = json::Value::Array();
  for (const store::ScheduledJob& job : jobs) {
    json::Value input = ParseOrEmpty(job.params), progress = ParseOrEmpty(job.progress);
    json::Value p = json::Value::Object();
    p.Set("name", json::Value::String("job"));
    json::Value parts = json::Value::Array();
    auto part = [&](const char* name, json::Value v, const char* kind) {
      json::Value x = json::Value::Object();
      x.Set("name", json::Value::String(name));
      x.Set(kind, std::move(v));
      parts.Push(std::move(x));
    };
    part("id", json::Value::String(job.id), "valueString");
    if (std::string url(input.GetString("url")); !url.empty())
      part("searchParameter", json::Value::String(url), "valueUri");
    for (const std::string& t : Types(input)) part("type", json::Value::String(t), "valueCode");
    part("processed", json::Value::Integer(Int(progress, "done")), "valueInteger");
    part("total", json::Value::Integer(Int(progress, "total")), "valueInteger");
    part("status", json::Value::String(job.status), "valueCode");
    if (job.status == "failed") part("error", json::Value::String(job.error), "valueString");
    p.Set("part", std::move(parts));
    list.Push(std::move(p));
  }
  if (!list.items().empty()) params.Set("parameter", std::move(list));
  return json::Write(params);
}

}  // namespace kangyun::api
