// Routing of FHIR requests to interactions, transaction handling around them, and FhirApi.
#include <exception>

#include "api/bulk_export.h"
#include "api/fhir_api.h"
#include "api/outcome.h"
#include "api/services.h"
#include "base/log.h"
#include "base/strings.h"

namespace kangyun::api {
namespace {

struct Route {
  enum class Kind {
    kCapabilities,
    kSystemSearch,
    kSystemHistory,
    kBundle,
    kReindexStatus,
    kTypeSearch,
    kCreate,
    kConditionalUpdate,
    kConditionalDelete,
    kTypeHistory,
    kRead,
    kUpdate,
    kPatch,
    kDelete,
    kInstanceHistory,
    kVRead,
    kEverything,
    kCompartmentSearch,
    kExport,        // $export at any level (type: "", Patient or Group)
    kExportStatus,  // $export-poll-status: GET polls, DELETE cancels
    kExportFile,    // $export-file/{job}/{file}
  };
  Kind kind = Kind::kCapabilities;
  std::string type, id, version, compartment_type;
  bool form_search = false;  // POST _search: parameters in the body
};

Route Only(Route::Kind k) {
  Route r;
  r.kind = k;
  return r;
}

bool IsWrite(Route::Kind k) {
  using K = Route::Kind;
  return k == K::kCreate || k == K::kConditionalUpdate || k == K::kConditionalDelete ||
         k == K::kUpdate || k == K::kPatch || k == K::kDelete;
}

Status MethodNotAllowed(const FhirRequest& req) {
  return {StatusCode::kMethodNotAllowed,
          "Method " + req.method + " is not allowed on /" + req.path};
}

Result<Route> Resolve(const Services& s, const FhirRequest& req) {
  using K = Route::Kind;
  std::vector<std::string> seg = PathSegments(req.path);
  const std::string& m = req.method;
  bool get = m == "GET" || m == "HEAD";
  Route r;
  if (seg.empty()) {
    if (get) return Only(K::kSystemSearch);
    if (m == "POST") return Only(K::kBundle);
    return MethodNotAllowed(req);
  }
  if (seg.size() == 1 && seg[0] == "metadata") {
    if (!get) return MethodNotAllowed(req);
    return Only(K::kCapabilities);
  }
  if (seg.size() == 1 && seg[0] == "_history") {
    if (!get) return MethodNotAllowed(req);
    return Only(K::kSystemHistory);
  }
  if (seg.size() == 1 && seg[0] == "_search") {
    if (m != "POST") return MethodNotAllowed(req);
    r.kind = K::kSystemSearch;
    r.form_search = true;
    return r;
  }
  if (seg[0] == "$export" || seg[0] == "$export-poll-status" || seg[0] == "$export-file") {
    if (seg[0] == "$export" && seg.size() == 1) {
      if (!get && m != "POST") return MethodNotAllowed(req);
      return Only(K::kExport);
    }
    if (seg[0] == "$export-poll-status" && seg.size() == 1) {
      if (!get && m != "DELETE") return MethodNotAllowed(req);
      return Only(K::kExportStatus);
    }
    if (seg[0] == "$export-file" && seg.size() == 3) {
      if (!get) return MethodNotAllowed(req);
      r.kind = K::kExportFile;
      r.id = seg[1];
      r.version = seg[2];  // the file's name
      return r;
    }
    return Status(StatusCode::kNotFound, "No such endpoint: /" + req.path);
  }
  if (seg.size() == 1 && seg[0] == "$reindex") {
    if (!get) return MethodNotAllowed(req);
    return Only(K::kReindexStatus);
  }
  r.type = seg[0];
  if (!s.defs.IsResourceType(r.type))
    return Status(StatusCode::kNotFound, "Unknown resource type '" + r.type + "'");
  if (seg.size() == 1) {
    if (get)
      r.kind = K::kTypeSearch;
    else if (m == "POST")
      r.kind = K::kCreate;
    else if (m == "PUT")
      r.kind = K::kConditionalUpdate;
    else if (m == "DELETE")
      r.kind = K::kConditionalDelete;
    else
      return MethodNotAllowed(req);
    if ((r.kind == K::kConditionalUpdate || r.kind == K::kConditionalDelete) && req.query.empty())
      return Invalid("A conditional " + m + " needs search criteria in the URL");
    return r;
  }
  if (seg.size() == 2 && seg[1] == "_search") {
    if (m != "POST") return MethodNotAllowed(req);
    r.kind = K::kTypeSearch;
    r.form_search = true;
    return r;
  }
  if (seg.size() == 2 && seg[1] == "_history") {
    if (!get) return MethodNotAllowed(req);
    r.kind = K::kTypeHistory;
    return r;
  }
  if (seg.size() == 2 && seg[1] == "$export") {
    if (r.type != "Patient")
      return Status(StatusCode::kNotFound, "$export is defined on the system, Patient and Group");
    if (!get && m != "POST") return MethodNotAllowed(req);
    r.kind = K::kExport;
    return r;
  }
  if (seg[1][0] == '$') return Status(StatusCode::kNotFound, "Unknown operation " + seg[1]);
  r.id = seg[1];
  if (seg.size() == 2) {
    if (get)
      r.kind = K::kRead;
    else if (m == "PUT")
      r.kind = K::kUpdate;
    else if (m == "PATCH")
      r.kind = K::kPatch;
    else if (m == "DELETE")
      r.kind = K::kDelete;
    else
      return MethodNotAllowed(req);
    return r;
  }
  if (seg.size() == 3 && seg[2] == "_history") {
    if (!get) return MethodNotAllowed(req);
    r.kind = K::kInstanceHistory;
    return r;
  }
  if (seg.size() == 4 && seg[2] == "_history") {
    if (!get) return MethodNotAllowed(req);
    r.kind = K::kVRead;
    r.version = seg[3];
    return r;
  }
  if (seg.size() == 3 && seg[2] == "$export") {
    if (r.type != "Group")
      return Status(StatusCode::kNotFound, "$export is defined on the system, Patient and Group");
    if (!get && m != "POST") return MethodNotAllowed(req);
    r.kind = K::kExport;
    return r;
  }
  if (seg.size() == 3 && seg[2] == "$everything") {
    if (r.type != "Patient")
      return Status(StatusCode::kNotFound, "$everything is defined on Patient");
    if (!get && m != "POST") return MethodNotAllowed(req);
    r.kind = K::kEverything;
    return r;
  }
  if (seg.size() == 3 && s.defs.IsResourceType(seg[2])) {
    if (!get) return MethodNotAllowed(req);
    if (r.type != "Patient")
      return Status(StatusCode::kNotFound, "Only the Patient compartment is supported");
    if (!s.defs.PatientCompartment().count(seg[2]))
      return Status(StatusCode::kNotFound, seg[2] + " is not in the Patient compartment");
    r.kind = K::kCompartmentSearch;
    r.compartment_type = seg[2];
    return r;
  }
  return Status(StatusCode::kNotFound, "No such endpoint: /" + req.path);
}

// JSON bodies must say so; a missing Content-Type is read as FHIR JSON.
Status CheckContentType(const FhirRequest& req, const Route& route) {
  std::string ct = AsciiLower(req.Header("content-type"));
  if (auto semi = ct.find(';'); semi != std::string::npos) ct.resize(semi);
  ct = std::string(Trim(ct));
  if (route.form_search) {
    if (!ct.empty() && ct != "application/x-www-form-urlencoded")
      return {StatusCode::kUnsupportedMedia,
              "_search needs Content-Type application/x-www-form-urlencoded"};
    return Status::Ok();
  }
  if (route.kind == Route::Kind::kPatch) return Status::Ok();  // checked by Patch
  bool has_body = req.method == "POST" || req.method == "PUT";
  if (!has_body || ct.empty()) return Status::Ok();
  if (ct != "application/fhir+json" && ct != "application/json" && ct != "text/json")
    return {StatusCode::kUnsupportedMedia,
            "Unsupported Content-Type '" + ct + "'; this server speaks application/fhir+json"};
  return Status::Ok();
}

Result<FhirResponse> Execute(Services& s, const Route& route, const FhirRequest& req,
                             store::ReadTransaction& rtxn, Txn* wtxn) {
  using K = Route::Kind;
  auto body_resource = [&]() { return ParseResource(s, req.body); };
  switch (route.kind) {
    case K::kCapabilities: {
      FhirResponse r;
      r.body = s.CapabilityStatement();
      return r;
    }
    case K::kReindexStatus: {
      FhirResponse r;
      r.body = s.reindexer->StatusJson();
      return r;
    }
    case K::kSystemSearch:
    case K::kTypeSearch: {
      search::QueryParams params = req.query;
      if (route.form_search) {
        auto form = search::ParseQueryString(req.body);
        params.insert(params.end(), form.begin(), form.end());
      }
      std::vector<std::string> types;
      if (!route.type.empty()) types.push_back(route.type);
      return Search(s, rtxn, req, types, params);
    }
    case K::kCompartmentSearch: {
      store::Condition in_compartment;
      in_compartment.kind = store::Condition::Kind::kCompartment;
      in_compartment.text = route.id;
      return Search(s, rtxn, req, {route.compartment_type}, req.query, {{in_compartment}});
    }
    case K::kSystemHistory:
    case K::kTypeHistory:
    case K::kInstanceHistory:
      return History(s, rtxn, req, route.type, route.id);
    case K::kRead:
      return Read(s, rtxn, req, route.type, route.id);
    case K::kVRead:
      return VRead(s, rtxn, req, route.type, route.id, route.version);
    case K::kEverything:
      return Everything(s, rtxn, req, route.id);
    case K::kCreate: {
      KY_ASSIGN_OR_RETURN(json::Value resource, body_resource());
      return Create(s, *wtxn, req, route.type, std::move(resource));
    }
    case K::kUpdate: {
      KY_ASSIGN_OR_RETURN(json::Value resource, body_resource());
      return Update(s, *wtxn, req, route.type, route.id, std::move(resource));
    }
    case K::kConditionalUpdate: {
      KY_ASSIGN_OR_RETURN(json::Value resource, body_resource());
      return ConditionalUpdate(s, *wtxn, req, route.type, std::move(resource));
    }
    case K::kPatch:
      return Patch(s, *wtxn, req, route.type, route.id);
    case K::kDelete:
      return Delete(s, *wtxn, req, route.type, route.id);
    case K::kConditionalDelete:
      return ConditionalDelete(s, *wtxn, req, route.type);
    case K::kBundle:
      return Invalid("A Bundle inside a Bundle is not processed");
    case K::kExport:
    case K::kExportStatus:
    case K::kExportFile:
      return Invalid("Bulk export is not available inside a Bundle");
  }
  return Internal("unrouted request");
}

}  // namespace

Result<FhirResponse> DispatchIn(Services& s, Txn& txn, const FhirRequest& req) {
  KY_ASSIGN_OR_RETURN(Route route, Resolve(s, req));
  return Execute(s, route, req, txn, &txn);
}

namespace {

// This server writes JSON only: `_format` or an Accept header that rules JSON out is a 406.
Status CheckAcceptable(const FhirRequest& req) {
  for (const auto& [k, v] : req.query) {
    if (k != "_format") continue;
    std::string f = AsciiLower(v);
    if (f != "json" && f != "application/json" && f != "application/fhir+json")
      return {StatusCode::kNotAcceptable, "_format '" + v + "' is not supported; use json"};
  }
  std::string accept = AsciiLower(req.Header("accept"));
  if (accept.empty()) return Status::Ok();
  for (const std::string& part : Split(accept, ',')) {
    std::string type(Trim(part.substr(0, part.find(';'))));
    if (type == "*/*" || type == "application/*" || type == "application/json" ||
        type == "application/fhir+json" || type == "text/json")
      return Status::Ok();
  }
  return {StatusCode::kNotAcceptable,
          "This server answers in application/fhir+json; the Accept header rules it out"};
}

// Bulk export answers outside any transaction: its jobs run in the background, and its
// responses (a manifest, NDJSON files) are not FHIR JSON resources.
Result<FhirResponse> ExportRoute(Services& s, const Route& route, const FhirRequest& req) {
  using K = Route::Kind;
  switch (route.kind) {
    case K::kExport: {
      using Level = Exporter::Level;
      Level level = route.type.empty()        ? Level::kSystem
                    : route.type == "Patient" ? Level::kPatient
                                              : Level::kGroup;
      return s.exporter->KickOff(req, level, route.id);
    }
    case K::kExportStatus:
      return req.method == "DELETE" ? s.exporter->Cancel(req) : s.exporter->Poll(req);
    default:
      return s.exporter->File(route.id, route.version);
  }
}

bool IsExport(Route::Kind k) {
  return k == Route::Kind::kExport || k == Route::Kind::kExportStatus ||
         k == Route::Kind::kExportFile;
}

}  // namespace

FhirResponse Dispatch(Services& s, const FhirRequest& req) {
  try {
    auto route = Resolve(s, req);
    if (route.ok() && IsExport(route->kind)) {
      auto result = ExportRoute(s, *route, req);
      return result.ok() ? std::move(result).value() : ErrorResponse(result.status());
    }
    if (Status acceptable = CheckAcceptable(req); !acceptable.ok())
      return ErrorResponse(acceptable);
    if (!route.ok()) return ErrorResponse(route.status());
    Status ct = CheckContentType(req, *route);
    if (!ct.ok()) return ErrorResponse(ct);
    if (route->kind == Route::Kind::kBundle) return ProcessBundle(s, req);
    Result<FhirResponse> result = Internal("not run");
    if (IsWrite(route->kind)) {
      auto txn = BeginWrite(s);
      if (!txn.ok()) return ErrorResponse(txn.status());
      result = Execute(s, *route, req, **txn, txn->get());
      if (result.ok() && result->status < 400) {
        Status committed = (*txn)->Commit();
        if (!committed.ok()) return ErrorResponse(committed);
      }
    } else {
      auto txn = s.store.BeginRead();
      if (!txn.ok()) return ErrorResponse(txn.status());
      // Searches learn of parameters another process added within a second.
      if (s.clock.NowMicros() - s.search_parameters_checked.load() > 1'000'000) {
        auto synced = SyncStoredSearchParameters(s, **txn);
        if (!synced.ok()) return ErrorResponse(synced.status());
      }
      result = Execute(s, *route, req, **txn, nullptr);
    }
    if (!result.ok()) {
      if (result.status().code() == StatusCode::kInternal)
        Log(LogLevel::kError, req.method + " /" + req.path + ": " + result.status().message());
      return ErrorResponse(result.status());
    }
    return std::move(result).value();
  } catch (const std::exception& e) {
    Log(LogLevel::kError, req.method + " /" + req.path + ": unexpected exception: " + e.what());
    return ErrorResponse(Internal(e.what()));
  }
}

Services::Services(const fhir::Definitions& d, fhir::SearchParameterRegistry& p, store::Store& st,
                   Clock& c, IdSource& i, ApiConfig cfg)
    : defs(d),
      params(p),
      store(st),
      clock(c),
      ids(i),
      config(cfg),
      validator(d),
      extractor(d, p),
      planner(d, p),
      reindexer(std::make_unique<Reindexer>(*this)),
      exporter(std::make_unique<Exporter>(*this)) {}

Services::~Services() = default;

FhirApi::FhirApi(const fhir::Definitions& defs, fhir::SearchParameterRegistry& params,
                 store::Store& store, Clock& clock, IdSource& ids, ApiConfig config)
    : services_(std::make_unique<Services>(defs, params, store, clock, ids, config)) {}

FhirApi::~FhirApi() { Shutdown(); }

FhirResponse FhirApi::Handle(const FhirRequest& request) { return Dispatch(*services_, request); }

Result<ImportResult> FhirApi::Import(ImportSource& source, const ImportOptions& options,
                                     const ImportProgress& progress) {
  return api::Import(*services_, source, options, progress);
}

void FhirApi::Shutdown() {
  services_->reindexer->Stop();
  services_->exporter->Stop();
}

Status FhirApi::LoadStoredSearchParameters() {
  KY_ASSIGN_OR_RETURN(auto txn, services_->store.BeginRead());
  return SyncStoredSearchParameters(*services_, *txn).status();
}

Result<bool> SyncStoredSearchParameters(Services& s, store::ReadTransaction& txn) {
  store::HistoryQuery versions;
  versions.type = "SearchParameter";
  KY_ASSIGN_OR_RETURN(int64_t n, txn.CountHistory(versions));
  s.search_parameters_checked = s.clock.NowMicros();
  if (n == s.search_parameter_versions.load()) return false;
  store::Query q;
  q.types = {"SearchParameter"};
  KY_ASSIGN_OR_RETURN(auto rids, txn.Search(q, 100000));
  KY_ASSIGN_OR_RETURN(auto rows, txn.ReadRows(rids));
  for (const auto& row : rows) {
    KY_ASSIGN_OR_RETURN(json::Value r, json::Parse(row.body));
    auto param = s.params.Parse(r);
    if (param.ok()) s.params.Add(*param);
  }
  s.search_parameter_versions = n;
  return true;
}

Result<std::unique_ptr<ApiTransaction>> BeginWrite(Services& s) {
  KY_ASSIGN_OR_RETURN(auto txn, BeginApiTransaction(s.store));
  KY_RETURN_IF_ERROR(SyncStoredSearchParameters(s, *txn).status());
  return txn;
}

}  // namespace kangyun::api
