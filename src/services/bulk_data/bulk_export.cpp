#include "services/bulk_data/bulk_export.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "api/access_policy.h"
#include "api/engine.h"
#include "api/outcome.h"
#include "audit/audit_codec.h"
#include "audit/audit_event.h"
#include "auth/crypto.h"
#include "auth/principal_record.h"
#include "base/env.h"
#include "base/log.h"
#include "base/strings.h"
#include "fhir/datetime.h"
#include "services/bulk_data/deidentify.h"

namespace kangyun::services::bulk_data {
using namespace api;

namespace fs = std::filesystem;

struct Exporter::Spec {
  std::string id, request;
  int64_t transaction_time = 0;
  std::vector<std::string> types;
  // Per type, the searches whose union is exported (_typeFilter); none means the whole type.
  std::map<std::string, std::vector<store::Query>> filters;
  std::vector<std::vector<store::Condition>> clauses;  // _since, compartments: on every query
  // Per type, what keeps the export to what its requester may see (api/access_policy.h).
  std::map<std::string, std::vector<std::vector<store::Condition>>> access;
  std::string owner;  // the requester's subject; "" on a server without authentication
  // A regulator's export: every record, de-identified (services/bulk_data/deidentify.h) under this
  // job's key.
  bool deidentify = false;
  std::string pseudonym_key;
  int64_t audit_since = 0;  // the audit trail (exported from its log): records from this time
};

namespace {

constexpr int64_t kBatch = 1000;
// Exports queued or running at once, across the processes of a database; more kick-offs get
// 429. Each process runs two at a time (BulkDataService registers the kind's workers).
constexpr size_t kMaxQueuedJobs = 8;
constexpr int64_t kSecond = 1'000'000;
// A running job writes its state at least this often; a state older than kStale means the
// process running it went away.
constexpr int64_t kHeartbeat = 1 * kSecond, kStale = 60 * kSecond;
constexpr int64_t kRetention = 24 * 3600 * kSecond;  // files are kept a day after the job ends

// What the Bulk Data IG names as kick-off parameters that this server does not implement.
const std::set<std::string> kUnsupported = {"_elements", "patient", "includeAssociatedData",
                                            "organizeOutputBy", "_typeFilterIgnored"};

using json::Str;

std::string StateString(const json::Value& state, std::string_view key) {
  return std::string(state.GetString(key));
}

// The job's state as the store keeps it.
struct JobState {
  std::string status;  // in-progress, complete, error, cancelled
  json::Value json = json::Value::Object();
  int64_t updated = 0;
};

Result<std::optional<JobState>> LoadJob(store::Store& store, const std::string& id) {
  KY_ASSIGN_OR_RETURN(std::optional<store::JobRecord> rec, store.GetJob(id));
  if (!rec) return std::optional<JobState>();
  auto parsed = json::Parse(rec->state);
  if (!parsed.ok()) return Internal("export job " + id + " has an unreadable state");
  JobState st;
  st.json = std::move(parsed).value();
  st.status = StateString(st.json, "status");
  st.updated = rec->updated;
  return std::optional<JobState>(std::move(st));
}

Status SaveJob(store::Store& store, const std::string& id, const json::Value& state, int64_t now) {
  return store.PutJob(store::JobRecord{id, json::Write(state), now});
}

// _typeFilter values: repeated, or several in one value separated by commas that start a new
// "Type?" query (a comma inside a query separates values of one parameter).
std::vector<std::string> SplitTypeFilters(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= value.size(); ++i) {
    bool boundary = i == value.size();
    if (!boundary && value[i] == ',') {
      size_t j = i + 1;
      while (j < value.size() && std::isalpha(static_cast<unsigned char>(value[j]))) ++j;
      boundary = j > i + 1 && j < value.size() && value[j] == '?' &&
                 std::isupper(static_cast<unsigned char>(value[i + 1]));
    }
    if (boundary) {
      if (i > start) out.push_back(value.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// Kick-off parameters from a POST body (a Parameters resource) or the query string.
Result<search::QueryParams> KickOffParams(const FhirRequest& req) {
  search::QueryParams params = req.query;
  if (req.method != "POST" || req.body.empty()) return params;
  auto body = json::Parse(req.body);
  if (!body.ok() || body->GetString("resourceType") != "Parameters")
    return Invalid("The body of a POST $export must be a Parameters resource");
  if (const json::Value* list = body->Find("parameter")) {
    for (const json::Value& p : list->items()) {
      std::string value;
      for (const auto& [k, v] : p.members())
        if (StartsWith(k, "value") && v.is_string()) value = v.str();
      params.emplace_back(std::string(p.GetString("name")), value);
    }
  }
  return params;
}

// The state a job starts with, saved at kick-off and carried by the running job.
json::Value InitialState(const Exporter::Spec& spec) {
  json::Value state = json::Value::Object();
  state.Set("status", Str("in-progress"));
  state.Set("request", Str(spec.request));
  state.Set("transactionTime", Str(FormatInstant(spec.transaction_time)));
  state.Set("progress", Str("queued"));
  state.Set("owner", Str(spec.owner));
  return state;
}

std::string Owner(const FhirRequest& req) { return req.principal ? req.principal->subject : ""; }

std::string JobUrl(const FhirRequest& req, const std::string& id) {
  return req.base_url + "/$export-poll-status?_jobId=" + PercentEncode(id);
}

}  // namespace

Exporter::~Exporter() { Stop(); }

Result<std::shared_ptr<Exporter::Spec>> Exporter::Plan(const FhirRequest& req, Level level,
                                                       const std::string& group_id,
                                                       const std::string& id,
                                                       int64_t transaction_time,
                                                       const std::string& pseudonym_key) {
  bool lenient = AsciiLower(req.Header("prefer")).find("handling=lenient") != std::string::npos;
  KY_ASSIGN_OR_RETURN(search::QueryParams params, KickOffParams(req));

  auto spec = std::make_shared<Spec>();
  spec->id = id;
  spec->request =
      req.base_url + "/" + req.path + (req.raw_query.empty() ? "" : "?" + req.raw_query);
  spec->transaction_time = transaction_time;
  std::vector<std::string> filters;
  std::string since;
  for (const auto& [k, v] : params) {
    if (k == "_outputFormat") {
      if (v != "application/fhir+ndjson" && v != "application/ndjson" && v != "ndjson")
        return Invalid("_outputFormat '" + v + "' is not supported; use application/fhir+ndjson",
                       "_outputFormat");
    } else if (k == "_since") {
      auto dt = fhir::ParseDateTime(v);
      if (!dt || v.size() < 20)  // an instant: date, time and zone
        return Invalid("_since must be an instant such as 2026-01-01T00:00:00Z", "_since");
      since = v;
    } else if (k == "_type") {
      for (const std::string& t : Split(v, ','))
        if (!t.empty()) spec->types.push_back(std::string(Trim(t)));
    } else if (k == "_typeFilter") {
      for (std::string& f : SplitTypeFilters(v)) filters.push_back(std::move(f));
    } else if (k == "_format" || k == "_jobId") {
    } else if (!lenient) {
      return Invalid(
          std::string(kUnsupported.count(k) ? "The $export parameter " : "Unknown parameter ") + k +
              (kUnsupported.count(k) ? " is not supported" : " for $export"),
          k);
    }
  }

  // The types: as asked, else all (system) or those of the Patient compartment; of these,
  // what the requester may read.
  const auto& compartment = s_.defs.PatientCompartment();
  AccessPolicy access(s_, req.principal);
  spec->owner = Owner(req);
  // Regulators, who may not read residents' records, may export them de-identified: what
  // their search scopes cover, with every resident's data, pseudonymised.
  spec->deidentify = req.principal && req.principal->role == auth::Role::kRegulator;
  if (spec->deidentify)
    spec->pseudonym_key = pseudonym_key.empty() ? auth::RandomBytes(32) : pseudonym_key;
  const auth::Permission perm = spec->deidentify ? auth::kSearch : auth::kRead;
  for (const std::string& t : spec->types) {
    if (!s_.defs.IsResourceType(t))
      return Invalid("Unknown resource type '" + t + "' in _type", "_type");
    // The audit trail is one log of the whole platform (api/audit_interactions.cpp): it is
    // exported whole, by those who see all of it; one resident's is searched by patient.
    if (t == "AuditEvent" && level != Level::kSystem)
      return Invalid(
          "The audit trail is exported at system level ($export?_type=AuditEvent); search "
          "one resident's by AuditEvent?patient=",
          "_type");
    if (t == "AuditEvent" && req.principal && req.principal->role == auth::Role::kResident)
      return Status(StatusCode::kForbidden,
                    "The audit trail is exported by administrators and regulators; a resident "
                    "searches theirs by AuditEvent?patient=");
    if (level != Level::kSystem && !compartment.count(t))
      return Invalid(t + " is not in the Patient compartment, so not in a Patient or Group export",
                     "_type");
    KY_RETURN_IF_ERROR(access.Allow(t, perm));
  }
  bool implicit_types = spec->types.empty();
  if (implicit_types) {
    if (level == Level::kSystem) {
      spec->types = s_.defs.ResourceTypes();
    } else {
      for (const auto& [t, params_of_type] : compartment) spec->types.push_back(t);
    }
    // The audit trail grows with every request, this one too, and is never loaded through
    // the API: it is exported when asked for by name (_type=AuditEvent).
    std::erase_if(spec->types, [&](const std::string& t) {
      return t == "AuditEvent" || !access.Allow(t, perm).ok();
    });
  }
  if (level == Level::kGroup) KY_RETURN_IF_ERROR(access.Allow("Group", auth::kRead));
  std::sort(spec->types.begin(), spec->types.end());
  spec->types.erase(std::unique(spec->types.begin(), spec->types.end()), spec->types.end());
  KY_ASSIGN_OR_RETURN(auto read_txn, s_.store.BeginRead());
  std::vector<std::string> readable;
  for (const std::string& t : spec->types) {
    auto clauses = access.Restriction(*read_txn, {t}, perm, /*aggregate=*/spec->deidentify);
    // A type the role may not see at all (a regulator's records) is left out when the
    // requester did not name it, refused when it did.
    if (!clauses.ok() && implicit_types && clauses.status().code() == StatusCode::kForbidden)
      continue;
    if (!clauses.ok()) return clauses.status();
    spec->access[t] = std::move(*clauses);
    readable.push_back(t);
  }
  spec->types = std::move(readable);
  if (spec->types.empty())
    return Status(StatusCode::kForbidden, "There is nothing here you may export");

  // Each _typeFilter is a search of its type, checked now so that a bad one is a 400.
  int64_t now = s_.clock.NowMicros();
  for (const std::string& f : filters) {
    size_t q = f.find('?');
    std::string type = f.substr(0, q);
    if (q == std::string::npos || !s_.defs.IsResourceType(type))
      return Invalid("_typeFilter '" + f + "' is not of the form Type?search", "_typeFilter");
    if (!std::binary_search(spec->types.begin(), spec->types.end(), type))
      return Invalid("_typeFilter '" + f + "' is for a type that is not exported", "_typeFilter");
    KY_ASSIGN_OR_RETURN(search::SearchRequest sr,
                        search::ParseSearchRequest(search::ParseQueryString(f.substr(q + 1))));
    if (!sr.sort.empty() || !sr.includes.empty() || !sr.revincludes.empty() || sr.count ||
        !sr.summary.empty() || !sr.elements.empty())
      return Invalid("_typeFilter '" + f + "' may hold search filters only", "_typeFilter");
    auto plan = s_.planner.Plan({type}, sr, /*strict=*/true, now);
    if (!plan.ok())
      return Invalid("_typeFilter '" + f + "': " + plan.status().message(), "_typeFilter");
    KY_RETURN_IF_ERROR(access.Restrict(*read_txn, &plan->query, perm, spec->deidentify));
    spec->filters[type].push_back(std::move(plan->query));
  }

  if (!since.empty()) {
    if (auto dt = fhir::ParseDateTime(since)) spec->audit_since = dt->LowMicros();
    search::QueryParams p = {{"_lastUpdated", "ge" + since}};
    KY_ASSIGN_OR_RETURN(search::SearchRequest sr, search::ParseSearchRequest(p));
    KY_ASSIGN_OR_RETURN(search::SearchPlan plan, s_.planner.Plan({"Patient"}, sr, true, now));
    for (auto& clause : plan.query.clauses) spec->clauses.push_back(std::move(clause));
  }
  if (level != Level::kSystem) {
    store::Condition in_compartment;
    in_compartment.kind = store::Condition::Kind::kCompartment;
    if (level == Level::kPatient) {
      in_compartment.any_patient = true;
    } else {
      KY_ASSIGN_OR_RETURN(auto txn, s_.store.BeginRead());
      KY_ASSIGN_OR_RETURN(auto group, txn->ReadCurrent("Group", group_id));
      if (!group || group->deleted) return NotFound("Group/" + group_id + " is not known");
      auto g = json::Parse(group->body);
      if (!g.ok()) return Internal("stored Group/" + group_id + " is unreadable");
      if (const json::Value* members = g->Find("member")) {
        for (const json::Value& m : members->items()) {
          const json::Value* inactive = m.Find("inactive");
          if (inactive && inactive->is_bool() && inactive->as_bool()) continue;
          const json::Value* entity = m.Find("entity");
          std::string ref = entity ? std::string(entity->GetString("reference")) : "";
          if (StartsWith(ref, "Patient/")) in_compartment.patients.push_back(ref.substr(8));
        }
      }
      // A Group without Patient members exports nothing, not everything.
      if (in_compartment.patients.empty()) in_compartment.kind = store::Condition::Kind::kNever;
    }
    spec->clauses.push_back({in_compartment});
  }

  return spec;
}

Result<FhirResponse> Exporter::KickOff(const FhirRequest& req, Level level,
                                       const std::string& group_id) {
  // An API without an export folder (embedded in a test, a fuzzer) writes no files anywhere.
  if (s_.config.export_dir.empty())
    return NotFound("Bulk export is not enabled on this server (it has no export folder)");
  if (AsciiLower(req.Header("prefer")).find("respond-async") == std::string::npos)
    return Invalid("$export runs asynchronously: send the header Prefer: respond-async");
  int64_t now = s_.clock.NowMicros();
  // Planned now, so that what is wrong with the request is answered now; planned again by the
  // job, from what is recorded here, in whichever process runs it.
  KY_ASSIGN_OR_RETURN(std::shared_ptr<Spec> spec,
                      Plan(req, level, group_id, s_.ids.NewId(), now, ""));
  KY_ASSIGN_OR_RETURN(auto jobs, s_.jobs->List(kJobKind, 100));
  size_t waiting = 0;
  for (const store::ScheduledJob& j : jobs)
    waiting += j.status == "queued" || j.status == "running";
  if (waiting >= kMaxQueuedJobs)
    return Status(StatusCode::kTooManyRequests,
                  "Too many exports are waiting or running; try again later");
  RemoveExpired();
  KY_RETURN_IF_ERROR(SaveJob(s_.store, spec->id, InitialState(*spec), now));
  search::QueryParams params;
  KY_ASSIGN_OR_RETURN(params, KickOffParams(req));
  json::Value job = json::Value::Object();
  if (req.principal) job.Set("principal", auth::PrincipalRecord(*req.principal));
  job.Set("path", Str(req.path));
  job.Set("rawQuery", Str(req.raw_query));
  job.Set("base", Str(req.base_url));
  job.Set("prefer", Str(std::string(req.Header("prefer"))));
  json::Value query = json::Value::Array();
  for (const auto& [k, v] : params) {
    json::Value pair = json::Value::Array();
    pair.Push(Str(k));
    pair.Push(Str(v));
    query.Push(std::move(pair));
  }
  job.Set("query", std::move(query));
  job.Set("level", json::Value::Integer(static_cast<int>(level)));
  job.Set("group", Str(group_id));
  job.Set("transactionTime", json::Value::Integer(now));
  job.Set("pseudonymKey", Str(Hex(spec->pseudonym_key)));
  KY_RETURN_IF_ERROR(s_.jobs->Submit(kJobKind, job, 0, spec->id).status());
  FhirResponse r;
  r.status = 202;
  r.SetHeader("Content-Location", JobUrl(req, spec->id));
  r.body = InformationOutcome("The export has started; poll the URL in Content-Location");
  return r;
}

Status Exporter::RunJob(JobContext& ctx) {
  const json::Value& p = ctx.params();
  FhirRequest req;
  req.method = "GET";
  req.path = std::string(p.GetString("path"));
  req.raw_query = std::string(p.GetString("rawQuery"));
  req.base_url = std::string(p.GetString("base"));
  req.headers["prefer"] = std::string(p.GetString("prefer"));
  if (const json::Value* q = p.Find("query"))
    for (const json::Value& pair : q->items())
      if (pair.items().size() == 2)
        req.query.emplace_back(pair.items()[0].str(), pair.items()[1].str());
  if (const json::Value* principal = p.Find("principal")) {
    KY_ASSIGN_OR_RETURN(auth::Principal who, auth::PrincipalFromRecord(*principal));
    req.principal = std::make_shared<const auth::Principal>(std::move(who));
  }
  const json::Value* level = p.Find("level");
  const json::Value* at = p.Find("transactionTime");
  if (!level || !at) return Invalid("an export job without its level or transaction time");
  auto key = HexDecode(p.GetString("pseudonymKey"));
  // What its requester may see now: an export runs as them, also after a restart.
  auto spec =
      Plan(req, static_cast<Level>(std::stoi(level->str())), std::string(p.GetString("group")),
           ctx.job().id, std::stoll(at->str()), key ? *key : "");
  if (!spec.ok()) {
    json::Value state = InitialState(Spec{});
    state.Set("status", Str("error"));
    state.Set("code", json::Value::Integer(static_cast<int64_t>(spec.status().code())));
    state.Set("error", Str(spec.status().message()));
    (void)SaveJob(s_.store, ctx.job().id, state, s_.clock.NowMicros());
    return spec.status();
  }
  return Run(**spec, ctx);
}

Result<int64_t> Exporter::ExportAuditTrail(const Spec& spec, const fs::path& dir,
                                           const bool* cancelled) {
  // The records of what was done before the export began, every one of them committed first.
  if (s_.audit) KY_RETURN_IF_ERROR(s_.audit->Flush());
  store::AuditQuery q;
  q.from = spec.audit_since;
  q.limit = kBatch;
  FILE* out = nullptr;
  int64_t count = 0;
  std::unordered_map<int64_t, std::string> agents;
  for (;;) {
    if (*cancelled || stop_) break;
    KY_ASSIGN_OR_RETURN(auto txn, s_.store.BeginRead());
    KY_ASSIGN_OR_RETURN(auto rows, txn->AuditRows(q));
    std::vector<int64_t> unknown;
    for (const auto& r : rows)
      if (r.recorded < spec.transaction_time && !agents.count(r.agent)) unknown.push_back(r.agent);
    if (!unknown.empty()) {
      KY_ASSIGN_OR_RETURN(auto found, txn->AuditAgents(unknown));
      for (auto& a : found) agents.emplace(a.id, std::move(a.text));
    }
    for (const auto& row : rows) {
      if (row.recorded >= spec.transaction_time) continue;
      auto agent = agents.find(row.agent);
      if (agent == agents.end())
        return Internal("audit record " + std::to_string(row.seq) + " names an unknown agent");
      KY_ASSIGN_OR_RETURN(audit::AuditRecord record, audit::Decode(agent->second, row));
      if (!out) {
        out = std::fopen((dir / "AuditEvent.ndjson").c_str(), "wb");
        if (!out) return Internal("cannot write " + (dir / "AuditEvent.ndjson").string());
      }
      std::string line = json::Write(audit::ToAuditEvent(record, row.seq));
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), out);
      ++count;
    }
    if (static_cast<int64_t>(rows.size()) < q.limit) break;
    q.after = rows.back().seq;
  }
  if (out && std::fclose(out) != 0) return Internal("cannot write the audit trail's file");
  return count;
}

Status Exporter::Run(Spec& job, JobContext& ctx) {
  Spec* spec = &job;
  fs::path dir = fs::path(s_.config.export_dir) / spec->id;
  json::Value state = InitialState(*spec);
  json::Value outputs = json::Value::Array();
  int64_t written = 0, last_save = 0;
  Status failure;
  bool cancelled = false;

  // Saves progress now and then, and learns of a cancellation (perhaps by another process).
  auto checkpoint = [&](const std::string& progress) {
    int64_t now = s_.clock.NowMicros();
    if (now - last_save < kHeartbeat) return;
    last_save = now;
    auto current = LoadJob(s_.store, spec->id);
    if (current.ok() && (!*current || (*current)->status == "cancelled")) {
      cancelled = true;
      return;
    }
    state.Set("progress", Str(progress));
    (void)SaveJob(s_.store, spec->id, state, now);
  };

  // Whether to stop here: the server is stopping, or the job is no longer this process's.
  auto stopping = [&] { return stop_ || ctx.Stopping(); };
  // The state to poll, written again for a job run again (the embedded store keeps states in
  // memory: after a restart it is gone), unless the job was cancelled meanwhile.
  {
    auto current = LoadJob(s_.store, spec->id);
    if (current.ok() && *current && (*current)->status == "cancelled") return Status::Ok();
    KY_RETURN_IF_ERROR(SaveJob(s_.store, spec->id, state, s_.clock.NowMicros()));
  }
  // Started again after a restart: from the beginning, with the files it had begun.
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec)
    failure = Internal("cannot create the export folder " + dir.string() + ": " + ec.message());
  for (size_t t = 0; t < spec->types.size() && failure.ok() && !cancelled && !stopping(); ++t) {
    const std::string& type = spec->types[t];
    if (type == "AuditEvent") {
      auto exported = ExportAuditTrail(*spec, dir, &cancelled);
      if (!exported.ok()) {
        failure = exported.status();
      } else if (*exported > 0) {
        written += *exported;
        json::Value o = json::Value::Object();
        o.Set("type", Str(type));
        o.Set("file", Str("AuditEvent.ndjson"));
        o.Set("count", json::Value::Integer(*exported));
        outputs.Push(std::move(o));
      }
      continue;
    }
    std::vector<store::Query> queries = spec->filters[type];
    if (queries.empty()) {
      store::Query& whole = queries.emplace_back();
      whole.types = {type};
      whole.clauses = spec->access[type];
    }
    for (store::Query& q : queries)
      for (const auto& clause : spec->clauses) q.clauses.push_back(clause);
    std::string name = type + ".ndjson";
    FILE* out = nullptr;
    int64_t count = 0, cursor = 0;
    bool done = false;
    while (!done && failure.ok() && !cancelled && !stopping()) {
      // The next batch of the union of the type's searches, in row-id order: every search's
      // rows up to the smallest last row of a search that filled its batch.
      std::vector<int64_t> rids;
      std::vector<store::StoredResource> rows;
      {
        auto txn = s_.store.BeginRead();
        if (!txn.ok()) {
          failure = txn.status();
          break;
        }
        int64_t bound = INT64_MAX;
        for (store::Query& q : queries) {
          q.after_rid = cursor;
          auto found = (*txn)->Search(q, kBatch);
          if (!found.ok()) {
            failure = found.status();
            break;
          }
          if (static_cast<int64_t>(found->size()) == kBatch) bound = std::min(bound, found->back());
          rids.insert(rids.end(), found->begin(), found->end());
        }
        if (!failure.ok()) break;
        std::sort(rids.begin(), rids.end());
        rids.erase(std::unique(rids.begin(), rids.end()), rids.end());
        rids.erase(std::upper_bound(rids.begin(), rids.end(), bound), rids.end());
        done = bound == INT64_MAX;
        if (rids.empty()) break;
        auto read = (*txn)->ReadRows(rids);
        if (!read.ok()) {
          failure = read.status();
          break;
        }
        rows = std::move(read).value();
      }
      cursor = rids.back();
      if (!out && !rows.empty()) {
        out = std::fopen((dir / name).c_str(), "wb");
        if (!out) {
          failure = Internal("cannot write " + (dir / name).string());
          break;
        }
      }
      for (const store::StoredResource& r : rows) {
        if (spec->deidentify) {
          auto resource = json::Parse(r.body);
          if (!resource.ok()) continue;  // stored bytes are valid JSON; never write them raw here
          Deidentify(&*resource, spec->pseudonym_key);
          std::string line = json::Write(*resource);
          std::fwrite(line.data(), 1, line.size(), out);
        } else {
          std::fwrite(r.body.data(), 1, r.body.size(), out);
        }
        std::fputc('\n', out);
      }
      count += static_cast<int64_t>(rows.size());
      written += static_cast<int64_t>(rows.size());
      checkpoint(type + " (type " + std::to_string(t + 1) + " of " +
                 std::to_string(spec->types.size()) + "): " + std::to_string(written) +
                 " resources written");
    }
    if (out && std::fclose(out) != 0 && failure.ok())
      failure = Internal("cannot write " + (dir / name).string());
    if (count > 0) {
      json::Value o = json::Value::Object();
      o.Set("type", Str(type));
      o.Set("file", Str(name));
      o.Set("count", json::Value::Integer(count));
      outputs.Push(std::move(o));
    }
  }

  int64_t now = s_.clock.NowMicros();
  if (!cancelled && stopping()) {
    // Stopped because it was cancelled (the job runner's cancel comes first)?
    auto current = LoadJob(s_.store, spec->id);
    cancelled = current.ok() && (!*current || (*current)->status == "cancelled");
  }
  if (cancelled) {
    fs::remove_all(dir, ec);
  } else if (stopping()) {
    // Queued again by the job runner, to run from the beginning in this process or another.
    return Status(StatusCode::kUnavailable, "the export stopped with its server");
  } else if (!failure.ok()) {
    Log(LogLevel::kError, "export " + spec->id + " failed: " + failure.message());
    fs::remove_all(dir, ec);
    state.Set("status", Str("error"));
    state.Set("code", json::Value::Integer(static_cast<int64_t>(failure.code())));
    state.Set("error", Str(failure.message()));
    (void)SaveJob(s_.store, spec->id, state, now);
    ctx.Save(state);
  } else {
    auto current = LoadJob(s_.store, spec->id);
    if (current.ok() && *current && (*current)->status != "cancelled") {
      state.Set("status", Str("complete"));
      state.Set("output", std::move(outputs));
      state.Set("progress", Str(std::to_string(written) + " resources written"));
      (void)SaveJob(s_.store, spec->id, state, now);
      // Also with the job runner's job, which every store keeps (the embedded store keeps
      // job states in memory only): the manifest outlives a restart.
      ctx.Save(state);
      Log(LogLevel::kInfo,
          "export " + spec->id + " complete: " + std::to_string(written) + " resources");
    } else {
      fs::remove_all(dir, ec);
    }
  }
  return Status::Ok();
}

namespace {

// A job's state: as last saved, or else as the job runner holds the job (queued; or after a
// restart of the embedded store, which keeps saved states in memory only: the state a job
// ended with is also its progress with the job runner).
Result<std::optional<JobState>> FindJob(Engine& s, const std::string& id) {
  KY_ASSIGN_OR_RETURN(std::optional<JobState> job, LoadJob(s.store, id));
  if (job) return job;
  KY_ASSIGN_OR_RETURN(auto held, s.jobs->Get(id));
  if (!held || held->kind != Exporter::kJobKind) return job;
  auto params = json::Parse(held->params);
  if (!params.ok()) return job;
  const json::Value* p = params->Find("principal");
  std::string owner = p ? std::string(p->GetString("subject")) : "";
  auto progress = json::Parse(held->progress);
  JobState st;
  st.updated = held->updated;
  if (held->status == "queued" || held->status == "running") {
    st.status = "in-progress";
    st.json.Set("status", Str("in-progress"));
    st.json.Set("progress", Str("queued"));
    st.updated = s.clock.NowMicros();
  } else if (progress.ok() && progress->Find("status")) {
    st.json = std::move(*progress);  // the state it ended with
    st.status = StateString(st.json, "status");
  } else {
    st.status = "error";
    st.json.Set("status", Str("error"));
    st.json.Set("error", Str(held->error.empty() ? "the export stopped" : held->error));
  }
  st.json.Set("owner", Str(owner));
  return std::optional<JobState>(std::move(st));
}

// The job a status request names (_jobId), unless it is unknown or cancelled.
Result<std::pair<std::string, JobState>> LiveJob(Engine& s, const FhirRequest& req) {
  std::string id;
  for (const auto& [k, v] : req.query)
    if (k == "_jobId") id = v;
  KY_ASSIGN_OR_RETURN(std::optional<JobState> job, FindJob(s, id));
  if (!job || job->status == "cancelled" || StateString(job->json, "owner") != Owner(req))
    return NotFound("No export job '" + id + "'");
  return std::pair{id, std::move(*job)};
}

// Whether the job runner still holds the job (queued, or running in some process).
bool Held(Engine& s, const std::string& id) {
  auto held = s.jobs->Get(id);
  return held.ok() && *held && ((*held)->status == "queued" || (*held)->status == "running");
}

}  // namespace

Result<FhirResponse> Exporter::Poll(const FhirRequest& req) {
  KY_ASSIGN_OR_RETURN(auto found, LiveJob(s_, req));
  auto& [id, state] = found;
  JobState* job = &state;
  int64_t now = s_.clock.NowMicros();
  FhirResponse r;
  if (job->status == "in-progress") {
    if (now - job->updated > kStale && !Held(s_, id))
      return Status(StatusCode::kUnavailable,
                    "The export stopped: the server process running it went away. Start it again");
    r.status = 202;
    r.SetHeader("X-Progress", StateString(job->json, "progress"));
    r.SetHeader("Retry-After", "1");
    return r;
  }
  if (job->status == "error") {
    const json::Value* code = job->json.Find("code");
    auto status_code =
        code ? static_cast<StatusCode>(std::stoi(code->str())) : StatusCode::kInternal;
    return Status(status_code, "The export failed: " + StateString(job->json, "error"));
  }
  // The manifest: links are made for the base URL of whoever asks.
  json::Value manifest = json::Value::Object();
  manifest.Set("transactionTime", Str(StateString(job->json, "transactionTime")));
  manifest.Set("request", Str(StateString(job->json, "request")));
  manifest.Set("requiresAccessToken", json::Value::Bool(!Owner(req).empty()));
  json::Value output = json::Value::Array();
  if (const json::Value* list = job->json.Find("output")) {
    for (const json::Value& o : list->items()) {
      json::Value entry = json::Value::Object();
      entry.Set("type", Str(StateString(o, "type")));
      entry.Set("url", Str(req.base_url + "/$export-file/" + PercentEncode(id) + "/" +
                           StateString(o, "file")));
      entry.Set("count", json::Value::Integer(std::stoll(o.Find("count")->str())));
      output.Push(std::move(entry));
    }
  }
  manifest.Set("output", std::move(output));
  manifest.Set("error", json::Value::Array());
  r.body = json::Write(manifest);
  r.SetHeader("Content-Type", "application/json");
  r.SetHeader("Expires", FormatHttpDate(job->updated + kRetention));
  return r;
}

Result<FhirResponse> Exporter::Cancel(const FhirRequest& req) {
  KY_ASSIGN_OR_RETURN(auto found, LiveJob(s_, req));
  auto& [id, state] = found;
  JobState* job = &state;
  // A running job sees this at its next checkpoint and removes its own files.
  if (job->status != "in-progress") {
    std::error_code ec;
    fs::remove_all(fs::path(s_.config.export_dir) / id, ec);
  }
  job->json.Set("status", Str("cancelled"));
  KY_RETURN_IF_ERROR(SaveJob(s_.store, id, job->json, s_.clock.NowMicros()));
  (void)s_.jobs->Cancel(id);  // one still queued never runs
  FhirResponse r;
  r.status = 202;
  r.body = InformationOutcome("The export was cancelled and its files are removed");
  return r;
}

Result<FhirResponse> Exporter::File(const FhirRequest& req, const std::string& job_id,
                                    const std::string& name) {
  KY_ASSIGN_OR_RETURN(std::optional<JobState> job, FindJob(s_, job_id));
  if (!job || job->status != "complete" || StateString(job->json, "owner") != Owner(req))
    return NotFound("No completed export job '" + job_id + "'");
  // Only a file the manifest lists: the name never reaches the file system otherwise.
  const json::Value* list = job->json.Find("output");
  bool listed = false;
  for (const json::Value& o : list ? list->items() : std::vector<json::Value>{})
    listed = listed || o.GetString("file") == name;
  if (!listed) return NotFound("Export job '" + job_id + "' has no file '" + name + "'");
  fs::path path = fs::path(s_.config.export_dir) / job_id / name;
  if (!fs::exists(path))
    return NotFound("The file '" + name + "' is not on this server (is the export folder shared?)");
  FhirResponse r;
  r.file_path = path.string();
  r.SetHeader("Content-Type", "application/fhir+ndjson");
  return r;
}

void Exporter::RemoveExpired() {
  auto jobs = s_.store.ListJobs();
  if (!jobs.ok()) return;
  int64_t now = s_.clock.NowMicros();
  for (const store::JobRecord& job : *jobs) {
    if (now - job.updated < kRetention) continue;
    std::error_code ec;
    fs::remove_all(fs::path(s_.config.export_dir) / job.id, ec);
    (void)s_.store.DeleteJob(job.id);
  }
}

void Exporter::Stop() { stop_ = true; }

}  // namespace kangyun::services::bulk_data
