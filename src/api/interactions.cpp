// The instance and type interactions: read, vread, create, update, patch, delete, history, and
// their conditional forms.
#include <algorithm>
#include <cstdlib>

#include "api/access_policy.h"
#include "api/engine.h"
#include "api/outcome.h"
#include "api/reach_model.h"
#include "base/strings.h"
#include "fhir/datetime.h"
#include "fhir/fhirpath_patch.h"

namespace kangyun::api {

Result<json::Value> ParseResource(const Engine& s, const std::string& body) {
  if (body.empty()) return Invalid("The request needs a resource in its body");
  KY_ASSIGN_OR_RETURN(json::Value v, json::Parse(body));
  if (!v.is_object()) return Invalid("The body must be a JSON object (a FHIR resource)");
  KY_RETURN_IF_ERROR(ValidateForWrite(s, v));
  return v;
}

Status ValidateForWrite(const Engine& s, const json::Value& resource) {
  KY_RETURN_IF_ERROR(s.validator.Validate(resource));
  KY_RETURN_IF_ERROR(CheckWriteProfiles(s, resource));
  return ValidateByServices(s, resource);
}

Status ValidateByServices(const Engine& s, const json::Value& resource) {
  for (const WriteHook* hook : s.registry.HooksFor(resource.GetString("resourceType")))
    if (hook->validate) KY_RETURN_IF_ERROR(hook->validate(s, resource));
  return Status::Ok();
}

void StampResource(json::Value* resource, const std::string& id, int64_t version,
                   int64_t last_updated) {
  json::Value meta = json::Value::Object();
  if (const json::Value* old = resource->Find("meta"); old && old->is_object()) meta = *old;
  meta.Erase("versionId");
  meta.Erase("lastUpdated");
  json::Value stamped = json::Value::Object();
  stamped.Set("versionId", json::Value::String(std::to_string(version)));
  stamped.Set("lastUpdated", json::Value::String(FormatInstant(last_updated)));
  for (auto& m : meta.members()) stamped.Set(m.key, std::move(m.value));
  // resourceType, id, meta first; then the rest in the order sent.
  json::Value out = json::Value::Object();
  out.Set("resourceType", *resource->Find("resourceType"));
  out.Set("id", json::Value::String(id));
  out.Set("meta", std::move(stamped));
  for (auto& m : resource->members()) {
    if (m.key == "resourceType" || m.key == "id" || m.key == "meta") continue;
    out.members().push_back(std::move(m));
  }
  *resource = std::move(out);
}

std::string ETag(int64_t version) { return "W/\"" + std::to_string(version) + "\""; }

std::optional<int64_t> ParseETag(std::string_view etag) {
  etag = Trim(etag);
  if (StartsWith(etag, "W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  if (etag.empty() || etag.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : etag) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

PreferReturn PreferredReturn(const FhirRequest& req) {
  std::string_view prefer = req.Header("prefer");
  if (prefer.find("return=minimal") != std::string_view::npos) return PreferReturn::kMinimal;
  if (prefer.find("return=OperationOutcome") != std::string_view::npos)
    return PreferReturn::kOperationOutcome;
  return PreferReturn::kRepresentation;
}

bool PreferStrict(const FhirRequest& req) {
  return req.Header("prefer").find("handling=strict") != std::string_view::npos;
}

FhirResponse ResourceResponse(const store::StoredResource& r, int status,
                              const std::string& base_url, PreferReturn prefer,
                              bool with_location) {
  FhirResponse resp;
  resp.status = status;
  resp.SetHeader("ETag", ETag(r.version));
  resp.SetHeader("Last-Modified", FormatHttpDate(r.last_updated));
  if (with_location) {
    resp.SetHeader("Location",
                   base_url + "/" + r.type + "/" + r.id + "/_history/" + std::to_string(r.version));
  }
  switch (prefer) {
    case PreferReturn::kRepresentation:
      resp.body = r.body;
      break;
    case PreferReturn::kMinimal:
      break;
    case PreferReturn::kOperationOutcome:
      resp.body = InformationOutcome(r.type + "/" + r.id + " version " + std::to_string(r.version) +
                                     " stored");
      break;
  }
  return resp;
}

namespace {

// What FindByCriteria and FindForRegistry share; `as` null for no requester's restriction.
Result<std::vector<store::StoredResource>> Find(Engine& s, store::ReadTransaction& txn,
                                                const FhirRequest* as, const std::string& type,
                                                const search::QueryParams& criteria,
                                                int64_t limit) {
  if (criteria.empty()) return Invalid("A conditional request needs search criteria");
  KY_ASSIGN_OR_RETURN(search::SearchRequest sr, search::ParseSearchRequest(criteria));
  // Unknown criteria would silently match everything: always strict here.
  KY_ASSIGN_OR_RETURN(search::SearchPlan plan,
                      s.planner.Plan({type}, sr, /*strict=*/true, s.clock.NowMicros()));
  if (as) {
    // Conditions match only what the requester may see: a match it may not see must not
    // answer, nor be changed in its name.
    AccessPolicy access(s, as->principal);
    KY_RETURN_IF_ERROR(access.Restrict(txn, &plan.query, auth::kSearch));
  }
  KY_ASSIGN_OR_RETURN(std::vector<int64_t> rids, txn.Search(plan.query, limit));
  return txn.ReadRows(rids);
}

}  // namespace

Result<std::vector<store::StoredResource>> FindByCriteria(Engine& s, store::ReadTransaction& txn,
                                                          const FhirRequest& req,
                                                          const std::string& type,
                                                          const search::QueryParams& criteria,
                                                          int64_t limit) {
  return Find(s, txn, &req, type, criteria, limit);
}

Result<std::vector<store::StoredResource>> FindForRegistry(Engine& s, store::ReadTransaction& txn,
                                                           const std::string& type,
                                                           const search::QueryParams& criteria,
                                                           int64_t limit) {
  return Find(s, txn, nullptr, type, criteria, limit);
}

store::ResourceWrite PrepareVersion(Engine& s, json::Value* resource, const std::string& id,
                                    int64_t version, int64_t last_updated,
                                    const std::string& method) {
  store::ResourceWrite w;
  w.type = std::string(resource->GetString("resourceType"));
  w.id = id;
  w.version = version;
  w.last_updated = last_updated;
  w.method = method;
  StampResource(resource, id, w.version, w.last_updated);
  w.index = s.extractor.Extract(*resource);
  w.body = json::Write(*resource);
  return w;
}

Status RegisterAfterCommit(Engine& s, ApiTransaction& txn, const json::Value& resource) {
  std::string_view type = resource.GetString("resourceType");
  for (const WriteHook* hook : s.registry.HooksFor(type))
    if (hook->after_commit) txn.AfterCommit([&s, hook, r = resource] { hook->after_commit(s, r); });
  // A profile this process stores applies to its next write (api/profiles.cpp).
  if (type == "StructureDefinition") txn.AfterCommit([&s] { s.profiles_checked = 0; });
  if (type == "CodeSystem" || type == "ValueSet" || type == "ConceptMap") {
    // The terminology service knows it once it is stored (an unusable one, without url, is
    // stored but not used).
    txn.AfterCommit([&s, r = resource] { (void)s.terminology.Add(r); });
    return Status::Ok();
  }
  if (type != "SearchParameter") return Status::Ok();
  // A new search parameter: once it is stored, register it and re-index existing data in the
  // background.
  auto param = s.params.Parse(resource);
  if (!param.ok()) return param.status();
  KY_RETURN_IF_ERROR(s.params.CheckAddsOnly(**param));
  txn.AfterCommit([&s, p = *param] {
    s.params.Add(p);
    s.reindexer->Start(*p);
  });
  return Status::Ok();
}

Status UpdateAsCreateRefused(const std::string& type, const std::string& id) {
  return Status(StatusCode::kMethodNotAllowed,
                "There is no " + type + "/" + id +
                    " you may change, and ids of new resources are assigned by the server: "
                    "create it with POST (or a conditional update without an id)");
}

Result<store::StoredResource> WriteVersion(Engine& s, ApiTransaction& txn, json::Value resource,
                                           const std::string& id,
                                           const std::optional<store::StoredResource>& existing,
                                           const std::string& method, bool by_registry) {
  int64_t last_updated = s.clock.NowMicros();
  // Versions of one resource never go back in time, even if the clock does.
  if (existing && last_updated <= existing->last_updated) last_updated = existing->last_updated + 1;
  store::ResourceWrite w =
      PrepareVersion(s, &resource, id, existing ? existing->version + 1 : 1, last_updated, method);
  KY_ASSIGN_OR_RETURN(int64_t rid, txn.Write(w));
  if (!by_registry)
    txn.NoteWritten(w.type, id, existing && !existing->deleted ? auth::kUpdate : auth::kCreate);
  KY_RETURN_IF_ERROR(RegisterAfterCommit(s, txn, resource));
  store::StoredResource out;
  out.rid = rid;
  out.type = w.type;
  out.id = id;
  out.version = w.version;
  out.last_updated = w.last_updated;
  out.method = method;
  out.body = std::move(w.body);
  return out;
}

namespace {

Status CheckType(const json::Value& resource, const std::string& type) {
  if (resource.GetString("resourceType") != type)
    return Invalid("resourceType '" + std::string(resource.GetString("resourceType")) +
                       "' does not match the URL type '" + type + "'",
                   "resourceType");
  return Status::Ok();
}

Status CheckIfMatch(const FhirRequest& req, const std::optional<store::StoredResource>& current) {
  std::string_view if_match = req.Header("if-match");
  if (if_match.empty()) return Status::Ok();
  auto wanted = ParseETag(if_match);
  if (!wanted) return Invalid("Invalid If-Match header '" + std::string(if_match) + "'");
  if (!current || current->deleted || current->version != *wanted)
    return {StatusCode::kPreconditionFailed,
            "Version conflict: If-Match " + std::string(if_match) + " but the current version is " +
                (current && !current->deleted ? std::to_string(current->version) : "none")};
  return Status::Ok();
}

}  // namespace

Result<std::string> SubsetResource(const Engine& s, const std::string& body,
                                   const search::SearchRequest& sr) {
  KY_ASSIGN_OR_RETURN(json::Value r, json::Parse(body));
  std::string type(r.GetString("resourceType"));
  json::Value out = json::Value::Object();
  auto keep = [&](const std::string& key) {
    if (key == "resourceType" || key == "id" || key == "meta") return true;
    if (!sr.elements.empty())
      return std::find(sr.elements.begin(), sr.elements.end(), key) != sr.elements.end();
    if (sr.summary == "text") return key == "text";
    if (sr.summary == "data") return key != "text";
    if (sr.summary == "true") {
      std::string name = key;
      auto child = s.defs.ResolveChild(type, name);
      return child && (child->def->is_summary || child->def->min > 0);
    }
    return true;
  };
  for (auto& m : r.members())
    if (keep(m.key)) out.members().push_back(std::move(m));
  // Mark the resource as incomplete (SUBSETTED), as the spec requires.
  json::Value* meta = out.Find("meta");
  if (!meta) meta = &out.Set("meta", json::Value::Object());
  json::Value* tags = meta->Find("tag");
  if (!tags) tags = &meta->Set("tag", json::Value::Array());
  json::Value tag = json::Value::Object();
  tag.Set("system",
          json::Value::String("http://terminology.hl7.org/CodeSystem/v3-ObservationValue"));
  tag.Set("code", json::Value::String("SUBSETTED"));
  tags->Push(std::move(tag));
  return json::Write(out);
}

namespace {

// A read's response body: the stored bytes, or the subset _summary / _elements ask for.
Status ApplySubsetting(const Engine& s, const FhirRequest& req, FhirResponse* resp) {
  bool wanted = false;
  for (const auto& [k, v] : req.query) wanted = wanted || k == "_summary" || k == "_elements";
  if (!wanted || resp->body.empty()) return Status::Ok();
  KY_ASSIGN_OR_RETURN(search::SearchRequest sr, search::ParseSearchRequest(req.query));
  if (sr.summary == "count") return Invalid("_summary=count applies to searches", "_summary");
  if (sr.summary.empty() && sr.elements.empty()) return Status::Ok();
  if (sr.summary == "false" && sr.elements.empty()) return Status::Ok();
  KY_ASSIGN_OR_RETURN(resp->body, SubsetResource(s, resp->body, sr));
  return Status::Ok();
}

}  // namespace

Result<FhirResponse> Read(Engine& s, store::ReadTransaction& txn, const FhirRequest& req,
                          const std::string& type, const std::string& id) {
  KY_ASSIGN_OR_RETURN(auto current, txn.ReadCurrent(type, id));
  if (!current) return NotFound(type + "/" + id + " is not known");
  if (current->deleted) {
    Status gone(StatusCode::kGone, type + "/" + id + " was deleted");
    FhirResponse r = ErrorResponse(gone);
    r.SetHeader("ETag", ETag(current->version));
    return r;
  }
  if (auto inm = req.Header("if-none-match"); !inm.empty()) {
    auto v = ParseETag(inm);
    if ((v && *v == current->version) || Trim(inm) == "*") {
      FhirResponse r;
      r.status = 304;
      r.SetHeader("ETag", ETag(current->version));
      return r;
    }
  }
  if (auto ims = req.Header("if-modified-since"); !ims.empty()) {
    // RFC 7231 dates, or an ISO instant.
    std::tm tm{};
    int64_t since = -1;
    std::string text(ims);
    if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
      since = static_cast<int64_t>(timegm(&tm)) * 1000000;
    } else if (auto dt = fhir::ParseDateTime(text, true)) {
      since = dt->LowMicros();
    }
    // HTTP dates have whole seconds: compare at that precision.
    if (since >= 0 && current->last_updated / 1000000 <= since / 1000000) {
      FhirResponse r;
      r.status = 304;
      r.SetHeader("ETag", ETag(current->version));
      return r;
    }
  }
  FhirResponse resp =
      ResourceResponse(*current, 200, req.base_url, PreferReturn::kRepresentation, false);
  KY_RETURN_IF_ERROR(ApplySubsetting(s, req, &resp));
  KY_RETURN_IF_ERROR(ListShown(s, txn, {&*current}, &resp));
  return resp;
}

Result<FhirResponse> VRead(Engine& s, store::ReadTransaction& txn, const FhirRequest& req,
                           const std::string& type, const std::string& id,
                           const std::string& version) {
  char* end = nullptr;
  long long v = std::strtoll(version.c_str(), &end, 10);
  if (version.empty() || *end || v < 1) return NotFound("Version '" + version + "' is not known");
  KY_ASSIGN_OR_RETURN(auto stored, txn.ReadVersion(type, id, v));
  if (!stored) return NotFound(type + "/" + id + " has no version " + version);
  if (stored->deleted) {
    FhirResponse r = ErrorResponse(
        {StatusCode::kGone, type + "/" + id + " version " + version + " is a deletion"});
    r.SetHeader("ETag", ETag(stored->version));
    return r;
  }
  FhirResponse resp =
      ResourceResponse(*stored, 200, req.base_url, PreferReturn::kRepresentation, false);
  KY_RETURN_IF_ERROR(ApplySubsetting(s, req, &resp));
  return resp;
}

Result<FhirResponse> Create(Engine& s, Txn& txn, const FhirRequest& req, const std::string& type,
                            json::Value resource) {
  KY_RETURN_IF_ERROR(CheckType(resource, type));
  if (auto ine = req.Header("if-none-exist"); !ine.empty()) {
    std::string criteria(ine);
    if (auto q = criteria.find('?'); q != std::string::npos) criteria = criteria.substr(q + 1);
    KY_ASSIGN_OR_RETURN(auto matches,
                        FindByCriteria(s, txn, req, type, search::ParseQueryString(criteria), 2));
    if (matches.size() > 1)
      return Status(StatusCode::kPreconditionFailed,
                    "If-None-Exist criteria match more than one " + type);
    if (matches.size() == 1)
      return ResourceResponse(matches[0], 200, req.base_url, PreferredReturn(req), true);
  }
  return CreateWithId(s, txn, req, type, std::move(resource), s.ids.NewId());
}

namespace {

// A resource a principal keeps for itself (api/reach_model.h) names its maker: the one of the
// version it replaces, else the requester. What the writer sent there is not kept.
void StampOwner(const FhirRequest& req, json::Value* resource,
                const std::optional<store::StoredResource>& replaced) {
  std::string owner = req.principal ? req.principal->subject : "";
  if (replaced && !replaced->deleted) {
    auto before = json::Parse(replaced->body);
    if (before.ok())
      if (const json::Value* ext = before->Find("extension"))
        for (const json::Value& e : ext->items())
          if (e.GetString("url") == kOwnerExtension)
            owner = std::string(e.GetString("valueString"));
  }
  json::Value kept = json::Value::Array();
  if (const json::Value* ext = resource->Find("extension"))
    for (const json::Value& e : ext->items())
      if (e.GetString("url") != kOwnerExtension) kept.Push(e);
  if (!owner.empty()) {
    json::Value e = json::Value::Object();
    e.Set("url", json::Value::String(kOwnerExtension));
    e.Set("valueString", json::Value::String(owner));
    kept.Push(std::move(e));
  }
  if (kept.items().empty())
    resource->Erase("extension");
  else
    resource->Set("extension", std::move(kept));
}

// Writes a version through the services' hooks (api/service.h): each may change the resource
// or refuse it before it is written, and do more in the same transaction after. `replaced`:
// the stored version an update replaces; nullopt for a create (also over a deleted one).
Result<store::StoredResource> WriteThroughHooks(
    Engine& s, Txn& txn, const FhirRequest& req, json::Value resource, const std::string& id,
    const std::optional<store::StoredResource>& current, const std::string& method,
    const std::optional<store::StoredResource>& replaced) {
  if (IsOwnedType(resource.GetString("resourceType"))) StampOwner(req, &resource, replaced);
  WriteCall call{s, txn, req, id, replaced};
  std::vector<AfterWrite> after;
  for (const WriteHook* hook : s.registry.HooksFor(resource.GetString("resourceType"))) {
    if (!hook->before_write) continue;
    KY_ASSIGN_OR_RETURN(AfterWrite then, hook->before_write(call, &resource));
    if (then) after.push_back(std::move(then));
  }
  KY_ASSIGN_OR_RETURN(store::StoredResource stored,
                      WriteVersion(s, txn, std::move(resource), id, current, method));
  for (AfterWrite& then : after) KY_RETURN_IF_ERROR(then(stored));
  return stored;
}

// Writes a resource that does not exist yet (or was deleted).
Result<store::StoredResource> WriteNew(Engine& s, Txn& txn, const FhirRequest& req,
                                       json::Value resource, const std::string& id,
                                       const std::optional<store::StoredResource>& current,
                                       const std::string& method) {
  return WriteThroughHooks(s, txn, req, std::move(resource), id, current, method, std::nullopt);
}

// Writes a new version of a stored resource.
Result<store::StoredResource> WriteExisting(Engine& s, Txn& txn, const FhirRequest& req,
                                            json::Value resource, const std::string& id,
                                            const std::optional<store::StoredResource>& current,
                                            const std::string& method) {
  return WriteThroughHooks(s, txn, req, std::move(resource), id, current, method, current);
}

}  // namespace

Result<FhirResponse> CreateWithId(Engine& s, Txn& txn, const FhirRequest& req,
                                  const std::string& type, json::Value resource,
                                  const std::string& id) {
  KY_RETURN_IF_ERROR(CheckType(resource, type));
  KY_ASSIGN_OR_RETURN(store::StoredResource stored,
                      WriteNew(s, txn, req, std::move(resource), id, std::nullopt, "POST"));
  return ResourceResponse(stored, 201, req.base_url, PreferredReturn(req), true);
}

Result<FhirResponse> Update(Engine& s, Txn& txn, const FhirRequest& req, const std::string& type,
                            const std::string& id, json::Value resource) {
  KY_RETURN_IF_ERROR(CheckType(resource, type));
  if (!fhir::Validator::IsValidId(id)) return Invalid("'" + id + "' is not a valid resource id");
  std::string_view body_id = resource.GetString("id");
  if (body_id.empty()) return Invalid("The resource in an update needs an id", type + ".id");
  if (body_id != id)
    return Invalid(
        "The resource id '" + std::string(body_id) + "' does not match the URL id '" + id + "'",
        type + ".id");
  KY_ASSIGN_OR_RETURN(auto current, txn.ReadCurrent(type, id));
  KY_RETURN_IF_ERROR(CheckIfMatch(req, current));
  bool created = !current || current->deleted;
  KY_ASSIGN_OR_RETURN(store::StoredResource stored,
                      created
                          ? WriteNew(s, txn, req, std::move(resource), id, current, "PUT")
                          : WriteExisting(s, txn, req, std::move(resource), id, current, "PUT"));
  return ResourceResponse(stored, created ? 201 : 200, req.base_url, PreferredReturn(req), created);
}

Result<FhirResponse> ConditionalUpdate(Engine& s, Txn& txn, const FhirRequest& req,
                                       const std::string& type, json::Value resource) {
  KY_RETURN_IF_ERROR(CheckType(resource, type));
  KY_ASSIGN_OR_RETURN(auto matches, FindByCriteria(s, txn, req, type, req.query, 2));
  if (matches.size() > 1)
    return Status(StatusCode::kPreconditionFailed,
                  "Conditional update criteria match more than one " + type);
  std::string body_id(resource.GetString("id"));
  if (matches.empty()) {
    // An id of the client's choosing could be one the requester may not see: only those who
    // see every resource of the type choose ids.
    if (!body_id.empty() && !AccessPolicy(s, req.principal).SeesAllOf({type}))
      return UpdateAsCreateRefused(type, body_id);
    std::string id = body_id.empty() ? s.ids.NewId() : body_id;
    KY_ASSIGN_OR_RETURN(auto current, txn.ReadCurrent(type, id));
    if (current && !current->deleted)
      return Status(StatusCode::kConflict,
                    type + "/" + id + " exists but does not match the criteria");
    KY_ASSIGN_OR_RETURN(store::StoredResource stored,
                        WriteNew(s, txn, req, std::move(resource), id, current, "PUT"));
    return ResourceResponse(stored, 201, req.base_url, PreferredReturn(req), true);
  }
  const store::StoredResource& match = matches[0];
  if (!body_id.empty() && body_id != match.id)
    return Invalid(
        "The resource id '" + body_id + "' differs from the matching resource '" + match.id + "'",
        type + ".id");
  std::optional<store::StoredResource> current = match;
  KY_RETURN_IF_ERROR(CheckIfMatch(req, current));
  KY_ASSIGN_OR_RETURN(store::StoredResource stored,
                      WriteExisting(s, txn, req, std::move(resource), match.id, current, "PUT"));
  return ResourceResponse(stored, 200, req.base_url, PreferredReturn(req), false);
}

Result<FhirResponse> Patch(Engine& s, Txn& txn, const FhirRequest& req, const std::string& type,
                           const std::string& id) {
  // JSON Patch (RFC 6902), or FHIRPath Patch: a Parameters resource as FHIR JSON.
  std::string ct = AsciiLower(req.Header("content-type"));
  bool json_patch = ct.find("json-patch+json") != std::string::npos;
  if (!json_patch && ct.find("fhir+json") == std::string::npos)
    return Status(StatusCode::kUnsupportedMedia,
                  "PATCH needs Content-Type application/json-patch+json (JSON Patch) or "
                  "application/fhir+json (FHIRPath Patch, a Parameters resource)");
  KY_ASSIGN_OR_RETURN(json::Value patch, json::Parse(req.body));
  KY_ASSIGN_OR_RETURN(auto current, txn.ReadCurrent(type, id));
  if (!current) return NotFound(type + "/" + id + " is not known");
  if (current->deleted) return Status(StatusCode::kGone, type + "/" + id + " was deleted");
  KY_RETURN_IF_ERROR(CheckIfMatch(req, current));
  KY_ASSIGN_OR_RETURN(json::Value doc, json::Parse(current->body));
  Status applied =
      json_patch ? json::ApplyPatch(patch, &doc) : fhir::ApplyFhirPathPatch(s.defs, patch, &doc);
  if (!applied.ok()) {
    if (applied.code() == StatusCode::kUnprocessable) return applied;
    return Unprocessable("JSON Patch failed: " + applied.message());
  }
  if (doc.GetString("resourceType") != type || doc.GetString("id") != id)
    return Unprocessable("A patch may not change resourceType or id");
  KY_RETURN_IF_ERROR(ValidateForWrite(s, doc));
  KY_ASSIGN_OR_RETURN(store::StoredResource stored,
                      WriteExisting(s, txn, req, std::move(doc), id, current, "PATCH"));
  return ResourceResponse(stored, 200, req.base_url, PreferredReturn(req), false);
}

namespace {
Result<FhirResponse> DeleteCurrent(Engine& s, Txn& txn, const store::StoredResource& current) {
  store::ResourceWrite w;
  w.type = current.type;
  w.id = current.id;
  w.version = current.version + 1;
  w.last_updated = std::max(s.clock.NowMicros(), current.last_updated + 1);
  w.deleted = true;
  w.method = "DELETE";
  KY_RETURN_IF_ERROR(txn.Write(w).status());
  txn.NoteWritten(w.type, w.id, auth::kDelete);
  FhirResponse r;
  r.status = 204;
  r.SetHeader("ETag", ETag(w.version));
  return r;
}
}  // namespace

Result<FhirResponse> Delete(Engine& s, Txn& txn, const FhirRequest& req, const std::string& type,
                            const std::string& id) {
  KY_ASSIGN_OR_RETURN(auto current, txn.ReadCurrent(type, id));
  if (!current || current->deleted) {
    FhirResponse r;
    r.status = 204;  // deleting what is not there succeeds (idempotent)
    return r;
  }
  KY_RETURN_IF_ERROR(CheckIfMatch(req, current));
  return DeleteCurrent(s, txn, *current);
}

Result<FhirResponse> ConditionalDelete(Engine& s, Txn& txn, const FhirRequest& req,
                                       const std::string& type) {
  KY_ASSIGN_OR_RETURN(auto matches, FindByCriteria(s, txn, req, type, req.query, 2));
  if (matches.size() > 1)
    return Status(StatusCode::kPreconditionFailed,
                  "Conditional delete criteria match more than one " + type);
  if (matches.empty()) {
    FhirResponse r;
    r.status = 204;
    return r;
  }
  return DeleteCurrent(s, txn, matches[0]);
}

Result<FhirResponse> History(Engine& s, store::ReadTransaction& txn, const FhirRequest& req,
                             const std::string& type, const std::string& id) {
  store::HistoryQuery q;
  q.type = type;
  q.id = id;
  q.count = s.config.default_count;
  int64_t pin = 0;
  for (const auto& [k, v] : req.query) {
    if (k == "_count") {
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 0) return Invalid("Invalid _count '" + v + "'", "_count");
      q.count = std::min<long>(n, s.config.max_count);
    } else if (k == "_since") {
      auto dt = fhir::ParseDateTime(v, true);
      if (!dt) return Invalid("Invalid _since '" + v + "'", "_since");
      q.since = dt->LowMicros();
    } else if (k == "_offset") {
      q.offset = std::strtoll(v.c_str(), nullptr, 10);
      if (q.offset < 0) q.offset = 0;
    } else if (k == "_pin") {
      // Pages after the first see history as it was when the first page was made.
      pin = std::strtoll(v.c_str(), nullptr, 10);
    } else if (k == "_at" || k == "_list") {
      return Invalid("History parameter '" + k + "' is not supported", k);
    }
  }
  if (!id.empty()) {
    KY_ASSIGN_OR_RETURN(auto current, txn.ReadCurrent(type, id));
    if (!current) return NotFound(type + "/" + id + " is not known");
  }
  if (pin == 0) pin = s.clock.NowMicros() + 1;
  q.before = pin;
  KY_ASSIGN_OR_RETURN(int64_t total, txn.CountHistory(q));
  KY_ASSIGN_OR_RETURN(auto versions, txn.History(q));

  std::string self_path = req.base_url + "/" + req.path;
  json::Value bundle = json::Value::Object();
  bundle.Set("resourceType", json::Value::String("Bundle"));
  bundle.Set("type", json::Value::String("history"));
  bundle.Set("total", json::Value::Integer(total));
  json::Value links = json::Value::Array();
  auto link = [&](const char* rel, int64_t offset) {
    std::string url = self_path + "?_count=" + std::to_string(q.count) +
                      "&_offset=" + std::to_string(offset) + "&_pin=" + std::to_string(pin);
    if (q.since) url += "&_since=" + PercentEncode(FormatInstant(q.since));
    json::Value l = json::Value::Object();
    l.Set("relation", json::Value::String(rel));
    l.Set("url", json::Value::String(url));
    links.Push(std::move(l));
  };
  link("self", q.offset);
  if (q.offset + q.count < total) link("next", q.offset + q.count);
  if (q.offset > 0) link("previous", std::max<int64_t>(0, q.offset - q.count));
  bundle.Set("link", std::move(links));
  json::Value entries = json::Value::Array();
  for (const auto& v : versions) {
    json::Value e = json::Value::Object();
    e.Set("fullUrl", json::Value::String(req.base_url + "/" + v.type + "/" + v.id));
    if (!v.deleted) e.Set("resource", json::Value::Raw(v.body));
    json::Value request = json::Value::Object();
    request.Set("method", json::Value::String(v.method));
    request.Set("url", json::Value::String(v.method == "POST" ? v.type : v.type + "/" + v.id));
    e.Set("request", std::move(request));
    json::Value response = json::Value::Object();
    response.Set("status", json::Value::String(v.deleted            ? "204"
                                               : v.method == "POST" ? "201"
                                                                    : "200"));
    response.Set("etag", json::Value::String(ETag(v.version)));
    response.Set("lastModified", json::Value::String(FormatInstant(v.last_updated)));
    e.Set("response", std::move(response));
    entries.Push(std::move(e));
  }
  if (!entries.items().empty()) bundle.Set("entry", std::move(entries));
  FhirResponse r;
  r.body = json::Write(bundle);
  return r;
}

}  // namespace kangyun::api
