// Routing of FHIR requests to interactions, transaction handling around them, and FhirApi.
#include <exception>
#include <set>

#include "api/access_policy.h"
#include "api/engine.h"
#include "api/fhir_api.h"
#include "api/outcome.h"
#include "api/write_retry.h"
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
    kReindex,  // $reindex: GET lists the jobs, POST queues one, DELETE cancels one
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
    kCompartmentSearch,
    kOperation,  // a registered operation (api/service.h), in `op`
  };
  Kind kind = Kind::kCapabilities;
  std::string type, id, version, compartment_type;
  bool form_search = false;  // POST _search: parameters in the body
  const OperationSpec* op = nullptr;
  std::vector<std::string> rest;  // the path after an operation's $name
};

Route Only(Route::Kind k) {
  Route r;
  r.kind = k;
  return r;
}

Status MethodNotAllowed(const FhirRequest& req) {
  return {StatusCode::kMethodNotAllowed,
          "Method " + req.method + " is not allowed on /" + req.path};
}

bool IsWrite(const Route& r) {
  using K = Route::Kind;
  K k = r.kind;
  return k == K::kCreate || k == K::kConditionalUpdate || k == K::kConditionalDelete ||
         k == K::kUpdate || k == K::kPatch || k == K::kDelete ||
         (k == K::kOperation && r.op->transaction == OperationSpec::kWrite);
}

// An operation invoked outside any transaction (bulk export's kick-off): its work is in the
// background, and its answer is not read from the store.
bool OutsideTransaction(const Route& r) {
  return r.kind == Route::Kind::kOperation && r.op->transaction == OperationSpec::kNoTransaction;
}

// Where an operation is defined, for the answer to one invoked elsewhere: "the system,
// Patient and Group".
std::string PlacesOf(const ServiceRegistry& registry, std::string_view name) {
  std::vector<std::string> places;
  for (const OperationSpec& op : registry.operations()) {
    if (op.name != name) continue;
    if (op.levels & kSystemLevel) places.push_back("the system");
    for (const std::string& t : op.types)
      if (std::find(places.begin(), places.end(), t) == places.end()) places.push_back(t);
  }
  std::string out;
  for (size_t i = 0; i < places.size(); ++i)
    out += (i == 0 ? "" : i + 1 == places.size() ? " and " : ", ") + places[i];
  return out;
}

// The operation route for `$name` at `level` on `type`, or 404/405.
Result<Route> OperationRoute(const Engine& s, const FhirRequest& req, std::string_view name,
                             OperationLevel level, Route r) {
  const OperationSpec* op = s.registry.FindOperation(name, level, r.type);
  if (!op) {
    std::string op_name = "$" + std::string(name);
    if (!s.registry.AnyOperationNamed(name))
      return Status(StatusCode::kNotFound, "Unknown operation " + op_name);
    if (level == kInstanceLevel && s.registry.FindOperation(name, kTypeLevel, r.type))
      return Status(StatusCode::kNotFound, op_name + " is invoked on " + r.type + " itself (" +
                                               r.type + "/" + op_name + "), not on an instance");
    if (level == kTypeLevel && s.registry.FindOperation(name, kInstanceLevel, r.type))
      return Status(StatusCode::kNotFound, op_name + " is invoked on one " + r.type + " (" +
                                               r.type + "/[id]/" + op_name + ")");
    return Status(StatusCode::kNotFound, op_name + " is defined on " + PlacesOf(s.registry, name));
  }
  bool get = req.method == "GET" || req.method == "HEAD";
  bool allowed = get                      ? op->get
                 : req.method == "POST"   ? op->post
                 : req.method == "DELETE" ? op->del
                                          : false;
  if (!allowed) return MethodNotAllowed(req);
  if (r.rest.size() != op->extra_segments)
    return Status(StatusCode::kNotFound, "No such endpoint: /" + req.path);
  r.kind = Route::Kind::kOperation;
  r.op = op;
  return r;
}

Result<Route> Resolve(const Engine& s, const FhirRequest& req) {
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
  if (seg.size() == 1 && seg[0] == "$reindex") {
    if (!get && m != "POST" && m != "DELETE") return MethodNotAllowed(req);
    return Only(K::kReindex);
  }
  if (seg[0][0] == '$') {
    r.rest.assign(seg.begin() + 1, seg.end());
    return OperationRoute(s, req, std::string_view(seg[0]).substr(1), kSystemLevel, r);
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
  if (seg.size() == 2 && seg[1][0] == '$')
    return OperationRoute(s, req, std::string_view(seg[1]).substr(1), kTypeLevel, r);
  if (seg[1][0] == '$') return Status(StatusCode::kNotFound, "No such endpoint: /" + req.path);
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
  if (seg.size() == 3 && seg[2][0] == '$')
    return OperationRoute(s, req, std::string_view(seg[2]).substr(1), kInstanceLevel, r);
  if (seg.size() == 3 && s.defs.IsResourceType(seg[2])) {
    if (!get) return MethodNotAllowed(req);
    const fhir::Definitions::Compartment* compartment = s.defs.CompartmentOf(r.type);
    if (!compartment)
      return Status(StatusCode::kNotFound, r.type + " has no compartment (those with one: " +
                                               Join(s.defs.CompartmentOwners(), ", ") + ")");
    if (!compartment->count(seg[2]))
      return Status(StatusCode::kNotFound, seg[2] + " is not in the " + r.type + " compartment");
    // The audit trail is not stored as resources: it is searched by resident only.
    if (seg[2] == "AuditEvent" && r.type != "Patient")
      return Status(StatusCode::kNotFound,
                    "AuditEvent is searched in the Patient compartment only (AuditEvent?patient=)");
    r.kind = K::kCompartmentSearch;
    r.compartment_type = seg[2];
    return r;
  }
  return Status(StatusCode::kNotFound, "No such endpoint: /" + req.path);
}

// GET $reindex lists the jobs; POST $reindex?type=T… queues one over those types (every type
// without any); DELETE $reindex?job=ID cancels one.
Result<FhirResponse> ReindexRoute(Engine& s, const FhirRequest& req) {
  FhirResponse r;
  if (req.method == "POST") {
    std::vector<std::string> types;
    for (const auto& [k, v] : req.query) {
      if (k != "type") return Invalid("$reindex takes 'type' parameters only", k);
      for (std::string& t : Split(v, ',')) {
        if (!s.defs.IsResourceType(t)) return Invalid("Unknown resource type '" + t + "'", k);
        types.push_back(std::move(t));
      }
    }
    KY_ASSIGN_OR_RETURN(std::string id, s.reindexer->Enqueue("", std::move(types)));
    r.status = 202;
    r.SetHeader("Content-Location", req.base_url + "/$reindex");
    r.body = InformationOutcome("Re-index job " + id + " queued");
    return r;
  }
  if (req.method == "DELETE") {
    std::string job;
    for (const auto& [k, v] : req.query)
      if (k == "job") job = v;
    if (job.empty()) return Invalid("DELETE $reindex needs job=ID", "job");
    KY_RETURN_IF_ERROR(s.reindexer->Cancel(job));
    r.body = InformationOutcome("Re-index job " + job + " cancelled");
    return r;
  }
  KY_ASSIGN_OR_RETURN(r.body, s.reindexer->StatusJson());
  return r;
}

// The clause of a compartment search: in the Patient compartment, as the store keeps it; in
// another (Encounter, Practitioner, RelatedPerson, Device), a reference to the owner through
// any of the parameters its CompartmentDefinition names for the type ("{def}": the owner
// itself).
std::vector<store::Condition> InCompartment(const Engine& s, const std::string& owner_type,
                                            const std::string& owner_id, const std::string& type) {
  std::vector<store::Condition> any;
  if (owner_type == "Patient") {
    store::Condition c;
    c.kind = store::Condition::Kind::kCompartment;
    c.text = owner_id;
    any.push_back(std::move(c));
    return any;
  }
  const fhir::Definitions::Compartment* compartment = s.defs.CompartmentOf(owner_type);
  auto params = compartment->find(type);
  for (const std::string& param : params->second) {
    store::Condition c;
    if (param == "{def}") {
      c.kind = store::Condition::Kind::kId;
      c.text = owner_id;
    } else {
      auto def = s.params.Find(type, param);
      if (!def || def->type != "reference") continue;
      c.kind = store::Condition::Kind::kIndex;
      c.table = store::IndexTable::kReference;
      c.param = param;
      c.target_types = {owner_type};
      c.target_id = owner_id;
    }
    any.push_back(std::move(c));
  }
  if (any.empty()) {
    store::Condition never;
    never.kind = store::Condition::Kind::kNever;
    any.push_back(std::move(never));
  }
  return any;
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

}  // namespace

Status AllowRead(AccessPolicy& access, store::ReadTransaction& txn, const std::string& type,
                 const std::string& id) {
  KY_RETURN_IF_ERROR(access.Allow(type, auth::kRead));
  if (access.SeesAllOf({type})) return Status::Ok();  // a deletion answers 410 then
  KY_ASSIGN_OR_RETURN(bool visible, access.CanSee(txn, type, id, auth::kRead));
  if (!visible) return NotFound(type + "/" + id + " is not known");
  return Status::Ok();
}

namespace {

// What the principal must be allowed before the route runs (api/access_policy.h). A resource
// the principal may not see answers exactly as one that does not exist.
// *nothing_to_delete: a delete of a resource the principal may not see, answered as one of a
// missing resource.
Status Authorize(Engine& s, AccessPolicy& access, const Route& route, const FhirRequest& req,
                 store::ReadTransaction& txn, bool* nothing_to_delete) {
  using K = Route::Kind;
  auto unseen = [&](const std::string& type, const std::string& id,
                    auth::Permission perm) -> Result<bool> {
    KY_ASSIGN_OR_RETURN(bool visible, access.CanSee(txn, type, id, perm));
    return !visible;
  };
  auto exists = [&](const std::string& type, const std::string& id) -> Result<bool> {
    KY_ASSIGN_OR_RETURN(auto current, txn.ReadCurrent(type, id));
    return current && !current->deleted;
  };
  switch (route.kind) {
    case K::kCapabilities:
    case K::kSystemSearch:  // types and residents restricted in Search
    case K::kBundle:
      return Status::Ok();
    case K::kOperation: {
      OperationCall call{s, req, route.type, route.id, route.rest, &txn, nullptr};
      return route.op->authorize(access, call);
    }
    case K::kReindex:
      // Re-indexing walks whole types: for administrators only (docs/security.md).
      if (!access.SeesAllOf({})) return Status(StatusCode::kForbidden, "For administrators");
      return Status::Ok();
    case K::kTypeSearch:
      return access.Allow(route.type, auth::kSearch);
    case K::kCompartmentSearch: {
      // The owner is read as a read would: one the requester may not see is not known.
      KY_RETURN_IF_ERROR(access.Allow(route.compartment_type, auth::kSearch));
      KY_ASSIGN_OR_RETURN(bool hidden, unseen(route.type, route.id, auth::kSearch));
      if (hidden) return NotFound(route.type + "/" + route.id + " is not known");
      return Status::Ok();
    }
    case K::kSystemHistory:
    case K::kTypeHistory: {
      if (!route.type.empty()) KY_RETURN_IF_ERROR(access.Allow(route.type, auth::kSearch));
      std::vector<std::string> types;
      if (!route.type.empty()) types.push_back(route.type);
      if (!access.SeesAllOf(types))
        return Status(StatusCode::kForbidden,
                      "History across resources is open only to those who may see every "
                      "resource it lists; read the history of one resource instead");
      return Status::Ok();
    }
    case K::kRead:
    case K::kVRead:
    case K::kInstanceHistory:
      return AllowRead(access, txn, route.type, route.id);
    case K::kCreate:
      return access.Allow(route.type, auth::kCreate);
    case K::kConditionalUpdate:
      return access.Allow(route.type, auth::kUpdate);
    case K::kConditionalDelete:
      return access.Allow(route.type, auth::kDelete);
    case K::kUpdate:
    case K::kPatch:
    case K::kDelete: {
      auto perm = route.kind == K::kDelete ? auth::kDelete : auth::kUpdate;
      KY_RETURN_IF_ERROR(access.Allow(route.type, perm));
      // A principal who does not see every resource of the type finds a hidden one exactly
      // as a missing one (docs/security.md, "Hidden is missing"): a patch is 404, a delete
      // succeeds and changes nothing, and an update is 405, since creating with an id of one's
      // own choosing (update as create) would tell a taken id from a free one.
      if (access.SeesAllOf({route.type})) return Status::Ok();
      KY_ASSIGN_OR_RETURN(bool present, exists(route.type, route.id));
      bool hidden = !present;
      if (present) {
        KY_ASSIGN_OR_RETURN(hidden, unseen(route.type, route.id, perm));
      }
      if (!hidden) return Status::Ok();
      if (route.kind == K::kPatch) return NotFound(route.type + "/" + route.id + " is not known");
      if (route.kind == K::kUpdate) return UpdateAsCreateRefused(route.type, route.id);
      *nothing_to_delete = true;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

bool ReadsAuditTrail(const Route& route) {
  return route.type == "AuditEvent" || route.compartment_type == "AuditEvent";
}

// The audit trail is kept in the audit log, not as stored resources: AuditEvent reads and
// searches are answered from it (api/audit_interactions.cpp), with its own access rules;
// nullopt for every other route.
std::optional<Result<FhirResponse>> AuditTrailRoute(Engine& s, const Route& route,
                                                    const FhirRequest& req,
                                                    store::ReadTransaction& txn) {
  using K = Route::Kind;
  if (!ReadsAuditTrail(route)) return std::nullopt;
  switch (route.kind) {
    case K::kRead:
      return AuditEventRead(s, txn, req, route.id);
    case K::kVRead:
      if (route.version != "1") return NotFound("AuditEvent records have one version");
      return AuditEventRead(s, txn, req, route.id);
    case K::kTypeSearch: {
      search::QueryParams params = req.query;
      if (route.form_search) {
        auto form = search::ParseQueryString(req.body);
        params.insert(params.end(), form.begin(), form.end());
      }
      return AuditEventSearch(s, txn, req, params, "");
    }
    case K::kCompartmentSearch:
      return AuditEventSearch(s, txn, req, req.query, route.id);
    case K::kTypeHistory:
    case K::kInstanceHistory:
      return Result<FhirResponse>(
          Invalid("AuditEvent records have no history: each is written once and never changed; "
                  "search them instead"));
    default:
      return std::nullopt;  // writes: refused by the access rules
  }
}

Result<FhirResponse> Execute(Engine& s, const Route& route, const FhirRequest& req,
                             store::ReadTransaction& rtxn, Txn* wtxn) {
  using K = Route::Kind;
  if (auto audit = AuditTrailRoute(s, route, req, rtxn)) return std::move(*audit);
  {
    AccessPolicy access(s, req.principal);
    bool nothing_to_delete = false;
    KY_RETURN_IF_ERROR(Authorize(s, access, route, req, rtxn, &nothing_to_delete));
    if (nothing_to_delete) {  // deleting what is not there (for the principal) succeeds
      FhirResponse r;
      r.status = 204;
      return r;
    }
  }
  auto body_resource = [&]() { return ParseResource(s, req.body); };
  switch (route.kind) {
    case K::kCapabilities: {
      FhirResponse r;
      r.body = s.CapabilityStatement();
      return r;
    }
    case K::kReindex:
      return ReindexRoute(s, req);
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
    case K::kCompartmentSearch:
      return Search(s, rtxn, req, {route.compartment_type}, req.query,
                    {InCompartment(s, route.type, route.id, route.compartment_type)});
    case K::kSystemHistory:
    case K::kTypeHistory:
    case K::kInstanceHistory:
      return History(s, rtxn, req, route.type, route.id);
    case K::kRead:
      return Read(s, rtxn, req, route.type, route.id);
    case K::kVRead:
      return VRead(s, rtxn, req, route.type, route.id, route.version);
    case K::kOperation: {
      if (route.op->transaction == OperationSpec::kNoTransaction)
        return Invalid("$" + route.op->name + " is not available inside a Bundle");
      OperationCall call{s, req, route.type, route.id, route.rest, &rtxn, wtxn};
      return route.op->run(call);
    }
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
  }
  return Internal("unrouted request");
}

}  // namespace

Result<FhirResponse> DispatchIn(Engine& s, Txn& txn, const FhirRequest& req) {
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

// An operation registered to run outside any transaction (bulk export's kick-off, polls and
// files: its jobs run in the background, and its answers are not resources of the store).
Result<FhirResponse> OutsideTransactionRoute(Engine& s, const Route& route,
                                             const FhirRequest& req) {
  AccessPolicy access(s, req.principal);
  OperationCall call{s, req, route.type, route.id, route.rest, nullptr, nullptr};
  KY_RETURN_IF_ERROR(route.op->authorize(access, call));
  return route.op->run(call);
}

// The interaction's name in the audit trail (http://hl7.org/fhir/restful-interaction), and
// its action (C R U D E).
std::pair<std::string, char> InteractionOf(const Route& route) {
  using K = Route::Kind;
  switch (route.kind) {
    case K::kCapabilities:
      return {"capabilities", 'R'};
    case K::kSystemSearch:
      return {"search-system", 'E'};
    case K::kTypeSearch:
    case K::kCompartmentSearch:
      return {"search-type", 'E'};
    case K::kSystemHistory:
      return {"history-system", 'R'};
    case K::kTypeHistory:
      return {"history-type", 'R'};
    case K::kInstanceHistory:
      return {"history-instance", 'R'};
    case K::kRead:
      return {"read", 'R'};
    case K::kVRead:
      return {"vread", 'R'};
    case K::kCreate:
      return {"create", 'C'};
    case K::kUpdate:
    case K::kConditionalUpdate:
      return {"update", 'U'};
    case K::kPatch:
      return {"patch", 'U'};
    case K::kDelete:
    case K::kConditionalDelete:
      return {"delete", 'D'};
    case K::kBundle:
      return {"transaction", 'E'};
    case K::kOperation:
    case K::kReindex:
      return {"operation", 'E'};
  }
  return {"operation", 'E'};
}

FhirResponse Respond(Engine& s, const FhirRequest& req, Result<Route>& route);

}  // namespace

namespace {

Status CheckAcceptable(const FhirRequest& req);

// Records req in the audit trail and gives back its answer, or 503 when the record could not
// be made. `durable`: wait until the record is on disk (what changed data must be on record
// before the answer goes); otherwise reads' records follow within a batch.
FhirResponse Audited(Engine& s, const FhirRequest& req, const Result<Route>& route,
                     FhirResponse resp, bool durable) {
  if (!s.audit || (route.ok() && route->kind == Route::Kind::kCapabilities)) return resp;
  auto [subtype, action] =
      route.ok() ? InteractionOf(*route) : std::pair{std::string("operation"), 'E'};
  audit::AuditRecord record = AuditRecordFor(s, req, subtype, action, resp);
  if (req.principal && !req.principal->break_glass.empty()) durable = true;
  Status recorded = s.audit->Record(record, durable);
  if (recorded.ok()) recorded = NotifyBreakGlass(s, req, record);
  // No answer leaves without its audit record.
  if (!recorded.ok())
    return ErrorResponse(Status(StatusCode::kUnavailable,
                                "The request could not be recorded in the audit trail; try again"));
  return resp;
}

bool ChangesData(const FhirRequest& req) { return req.method != "GET" && req.method != "HEAD"; }

// One write of a batch, inside txn: checked, executed and reviewed as Respond does for a
// request of its own.
FhirResponse RespondInBatch(Engine& s, const FhirRequest& req, const Route& route,
                            ApiTransaction& txn) {
  if (Status acceptable = CheckAcceptable(req); !acceptable.ok()) return ErrorResponse(acceptable);
  if (Status ct = CheckContentType(req, route); !ct.ok()) return ErrorResponse(ct);
  size_t from = txn.written().size();
  try {
    auto result = Execute(s, route, req, txn, &txn);
    if (!result.ok()) return ErrorResponse(result.status());
    if (result->status < 400) {
      auto changed = ReviewWrites(s, req, txn, from);
      if (!changed.ok()) return ErrorResponse(changed.status());
      result->patients_changed = std::move(changed).value();
    }
    return std::move(result).value();
  } catch (const std::exception& e) {
    Log(LogLevel::kError, req.method + " /" + req.path + ": unexpected exception: " + e.what());
    return ErrorResponse(Internal(e.what()));
  }
}

}  // namespace

FhirResponse Dispatch(Engine& s, const FhirRequest& req) {
  Result<Route> route = Resolve(s, req);
  FhirResponse resp = Respond(s, req, route);
  return Audited(s, req, route, std::move(resp), ChangesData(req));
}

std::vector<FhirResponse> DispatchBatch(Engine& s, const std::vector<FhirRequest>& reqs) {
  std::vector<FhirResponse> out(reqs.size());
  std::vector<Result<Route>> routes;
  for (const FhirRequest& req : reqs) routes.push_back(Resolve(s, req));
  auto is_write = [&](size_t i) { return routes[i].ok() && IsWrite(*routes[i]); };
  // Entries are handled in order. A run of writes shares one transaction and its commit,
  // each inside a savepoint so that it succeeds or fails alone; a read after writes sees
  // them, since the run is committed before it.
  for (size_t i = 0; i < reqs.size();) {
    if (!is_write(i)) {
      out[i] = Audited(s, reqs[i], routes[i], Respond(s, reqs[i], routes[i]), ChangesData(reqs[i]));
      ++i;
      continue;
    }
    size_t end = i;
    while (end < reqs.size() && is_write(end)) ++end;
    auto txn = BeginWrite(s);
    std::vector<size_t> kept;
    for (size_t k = i; k < end; ++k) {
      if (!txn.ok()) {
        out[k] = ErrorResponse(txn.status());
        continue;
      }
      ApiTransaction& t = **txn;
      Status saved = t.Savepoint();
      FhirResponse r =
          saved.ok() ? RespondInBatch(s, reqs[k], *routes[k], t) : ErrorResponse(saved);
      if (saved.ok() && r.status < 400) {
        Status released = t.ReleaseSavepoint();
        if (released.ok())
          kept.push_back(k);
        else
          r = ErrorResponse(released);
      } else if (saved.ok()) {
        if (Status undone = t.RollbackToSavepoint(); !undone.ok()) {
          // The transaction is no longer sound: none of the run is kept.
          Log(LogLevel::kError, "batch: " + undone.message());
          txn = undone;
        }
      }
      out[k] = std::move(r);
    }
    Status committed = txn.ok() ? (*txn)->Commit() : txn.status();
    if (!committed.ok())
      for (size_t k : kept) out[k] = ErrorResponse(committed);
    // On record, in order, once committed, all with one commit that waits for the disk.
    if (s.audit) {
      std::vector<audit::AuditRecord> records;
      for (size_t k = i; k < end; ++k) {
        auto [subtype, action] = InteractionOf(*routes[k]);
        records.push_back(AuditRecordFor(s, reqs[k], subtype, action, out[k]));
      }
      Status recorded = s.audit->RecordAll(records);
      for (size_t k = i; k < end && recorded.ok(); ++k)
        recorded = NotifyBreakGlass(s, reqs[k], records[k - i]);
      if (!recorded.ok())
        for (size_t k = i; k < end; ++k)
          out[k] = ErrorResponse(Status(StatusCode::kUnavailable,
                                        "The request could not be recorded in the audit trail; "
                                        "try again"));
    }
    i = end;
  }
  return out;
}

namespace {

FhirResponse Respond(Engine& s, const FhirRequest& req, Result<Route>& route) {
  try {
    if (route.ok() && OutsideTransaction(*route)) {
      auto result = OutsideTransactionRoute(s, *route, req);
      return result.ok() ? std::move(result).value() : ErrorResponse(result.status());
    }
    if (Status acceptable = CheckAcceptable(req); !acceptable.ok())
      return ErrorResponse(acceptable);
    if (!route.ok()) return ErrorResponse(route.status());
    Status ct = CheckContentType(req, *route);
    if (!ct.ok()) return ErrorResponse(ct);
    if (route->kind == Route::Kind::kBundle) return ProcessBundle(s, req);
    Result<FhirResponse> result = Internal("not run");
    if (IsWrite(*route)) {
      result = RetryAborted([&](bool alone) -> Result<FhirResponse> {
        KY_ASSIGN_OR_RETURN(auto txn, BeginWrite(s, alone));
        KY_ASSIGN_OR_RETURN(FhirResponse written, Execute(s, *route, req, *txn, txn.get()));
        if (written.status < 400) {
          KY_ASSIGN_OR_RETURN(written.patients_changed, ReviewWrites(s, req, *txn));
          KY_RETURN_IF_ERROR(txn->Commit());
        }
        return written;
      });
    } else {
      // Whoever reads the trail sees every request answered before they asked.
      if (s.audit && ReadsAuditTrail(*route)) (void)s.audit->Flush();
      auto txn = s.store.BeginRead();
      if (!txn.ok()) return ErrorResponse(txn.status());
      // Searches learn of parameters another process added within a second.
      if (s.clock.NowMicros() - s.search_parameters_checked.load() > 1'000'000) {
        auto synced = SyncStoredSearchParameters(s, **txn);
        if (!synced.ok()) return ErrorResponse(synced.status());
      }
      if (auto profiles = SyncStoredProfiles(s, **txn); !profiles.ok())
        return ErrorResponse(profiles.status());
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

}  // namespace

Engine::Engine(const fhir::Definitions& d, fhir::SearchParameterRegistry& p, store::Store& st,
               Clock& c, IdSource& i, ApiConfig cfg, ServiceList list)
    : defs(d),
      params(p),
      store(st),
      clock(c),
      ids(i),
      config(cfg),
      validator(d),
      extractor(d, p),
      planner(d, p, &terminology),
      jobs(std::make_unique<JobRunner>(st, c, i)),
      reindexer(std::make_unique<Reindexer>(*this)),
      registry(p, *this),
      services(std::move(list)) {
  if (config.audit) audit = std::make_unique<audit::AuditTrail>(store, clock);
  RegisterEngineOperations(registry);
  RegisterValidateOperation(registry, defs);
  RegisterPlatformSearchParameters(params);
  for (const auto& service : services) service->Register(registry);
  for (const JobKind& kind : registry.job_kinds()) jobs->AddKind(kind);
  params.SealBuiltIns();
  if (Status loaded = LoadTerminology(*this); !loaded.ok())
    Log(LogLevel::kError, "terminology: " + loaded.message());
}

Engine::~Engine() = default;

FhirApi::FhirApi(const fhir::Definitions& defs, fhir::SearchParameterRegistry& params,
                 store::Store& store, Clock& clock, IdSource& ids, ApiConfig config,
                 ServiceList services)
    : engine_(
          std::make_unique<Engine>(defs, params, store, clock, ids, config, std::move(services))) {}

FhirApi::~FhirApi() { Shutdown(); }

FhirResponse FhirApi::Handle(const FhirRequest& request) { return Dispatch(*engine_, request); }

std::shared_ptr<StreamHandler> FhirApi::OpenStream(const std::string& path,
                                                   std::shared_ptr<MessageStream> stream) {
  const StreamEndpoint* endpoint = engine_->registry.FindStreamEndpoint(path);
  return endpoint ? endpoint->open(std::move(stream)) : nullptr;
}

bool FhirApi::ServesStream(const std::string& path) const {
  return engine_->registry.FindStreamEndpoint(path) != nullptr;
}

void FhirApi::StartBackgroundJobs() { engine_->jobs->Start(); }

void FhirApi::Shutdown() {
  for (const auto& service : engine_->services) service->Stop();
  engine_->jobs->Stop();
  if (engine_->audit) engine_->audit->Stop();
}

void FhirApi::SetAuthorizationServer(const std::string& issuer) {
  engine_->config.oauth_issuer = issuer;
  engine_->ForgetCapabilityStatement();
}

Status FhirApi::Audit(audit::AuditRecord record) {
  if (!engine_->audit) return Status::Ok();
  return engine_->audit->Record(std::move(record));
}

Status FhirApi::InstallPlatformContent() { return api::InstallPlatformContent(*engine_); }

Status FhirApi::LoadStoredSearchParameters() {
  KY_ASSIGN_OR_RETURN(auto txn, engine_->store.BeginRead());
  return SyncStoredSearchParameters(*engine_, *txn).status();
}

Status FhirApi::LoadStoredProfiles() {
  KY_ASSIGN_OR_RETURN(auto txn, engine_->store.BeginRead());
  return SyncStoredProfiles(*engine_, *txn).status();
}

Result<bool> SyncStoredSearchParameters(Engine& s, store::ReadTransaction& txn) {
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
    if (!param.ok()) continue;
    // One stored before built-in parameters were protected is left out.
    if (Status adds = s.params.CheckAddsOnly(**param); !adds.ok()) {
      Log(LogLevel::kWarning,
          "stored SearchParameter/" + row.id + " is not used: " + adds.message());
      continue;
    }
    s.params.Add(*param);
  }
  s.search_parameter_versions = n;
  return true;
}

Result<std::unique_ptr<ApiTransaction>> BeginWrite(Engine& s, bool alone) {
  KY_ASSIGN_OR_RETURN(auto txn, BeginApiTransaction(s.store, alone));
  KY_RETURN_IF_ERROR(SyncStoredSearchParameters(s, *txn).status());
  KY_RETURN_IF_ERROR(SyncStoredProfiles(s, *txn).status());
  for (const auto& listener : s.registry.commit_listeners()) txn->AfterCommit(listener);
  return txn;
}

}  // namespace kangyun::api
