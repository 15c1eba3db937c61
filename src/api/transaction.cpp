// Batch and transaction Bundles (http://hl7.org/fhir/R4/http.html#transaction). A transaction
// runs in one store transaction: every entry succeeds or nothing is kept. Entries are processed
// in the spec's order (DELETE, POST, PUT/PATCH, GET/HEAD); urn:uuid: and conditional references
// are resolved before any resource is written.
#include <map>
#include <set>

#include "api/access_policy.h"
#include "api/engine.h"
#include "api/outcome.h"
#include "api/write_retry.h"
#include "base/strings.h"

namespace kangyun::api {
namespace {

struct Entry {
  size_t index = 0;
  std::string full_url;
  std::string method;
  std::string url;
  const json::Value* resource = nullptr;
  const json::Value* request = nullptr;
};

int MethodOrder(const std::string& m) {
  if (m == "DELETE") return 0;
  if (m == "POST") return 1;
  if (m == "PUT" || m == "PATCH") return 2;
  return 3;
}

std::string StatusLine(int status) {
  switch (status) {
    case 200:
      return "200 OK";
    case 201:
      return "201 Created";
    case 204:
      return "204 No Content";
    case 304:
      return "304 Not Modified";
    default:
      return std::to_string(status);
  }
}

// Builds the FhirRequest an entry stands for.
FhirRequest EntryRequest(const FhirRequest& outer, const Entry& e, const std::string& body) {
  FhirRequest r;
  r.method = e.method;
  r.base_url = outer.base_url;
  r.principal = outer.principal;
  std::string url = e.url;
  if (StartsWith(url, outer.base_url + "/")) url = url.substr(outer.base_url.size() + 1);
  if (!url.empty() && url[0] == '/') url = url.substr(1);
  auto q = url.find('?');
  r.path = url.substr(0, q);
  if (q != std::string::npos) {
    r.raw_query = url.substr(q + 1);
    r.query = search::ParseQueryString(r.raw_query);
  }
  r.body = body;
  // A PATCH entry carries JSON Patch in a Binary, or FHIRPath Patch as Parameters.
  bool json_patch =
      e.method == "PATCH" && !(e.resource && e.resource->GetString("resourceType") == "Parameters");
  r.headers["content-type"] = json_patch ? "application/json-patch+json" : "application/fhir+json";
  if (auto p = outer.Header("prefer"); !p.empty()) r.headers["prefer"] = std::string(p);
  if (e.request) {
    auto copy = [&](const char* field, const char* header) {
      std::string_view v = e.request->GetString(field);
      if (!v.empty()) r.headers[header] = std::string(v);
    };
    copy("ifMatch", "if-match");
    copy("ifNoneMatch", "if-none-match");
    copy("ifNoneExist", "if-none-exist");
    copy("ifModifiedSince", "if-modified-since");
  }
  return r;
}

// Replaces every string equal to a key of `ids` (references to urn:uuid: full URLs and
// resolved conditional references) by its value.
void RewriteReferences(json::Value* v, const std::map<std::string, std::string>& ids) {
  switch (v->type()) {
    case json::Type::kString: {
      auto it = ids.find(v->str());
      if (it != ids.end()) *v = json::Value::String(it->second);
      return;
    }
    case json::Type::kArray:
      for (auto& item : v->items()) RewriteReferences(&item, ids);
      return;
    case json::Type::kObject:
      for (auto& m : v->members()) RewriteReferences(&m.value, ids);
      return;
    default:
      return;
  }
}

// Conditional references ("Patient?identifier=x|1") found in the resources.
void CollectConditionalReferences(const json::Value& v, std::set<std::string>* out) {
  if (v.is_object()) {
    for (const auto& m : v.members()) {
      if (m.key == "reference" && m.value.is_string() &&
          m.value.str().find('?') != std::string::npos)
        out->insert(m.value.str());
      else
        CollectConditionalReferences(m.value, out);
    }
  } else if (v.is_array()) {
    for (const auto& item : v.items()) CollectConditionalReferences(item, out);
  }
}

// The body an entry's request carries: its resource, or for a PATCH the JSON Patch document
// that travels base64-encoded in a Binary (http://hl7.org/fhir/R4/http.html#transaction).
std::string EntryBody(const Entry& e, const json::Value& resource) {
  if (e.method == "PATCH" && resource.GetString("resourceType") == "Binary") {
    auto decoded = Base64Decode(resource.GetString("data"));
    return decoded ? *decoded : std::string();
  }
  return json::Write(resource);
}

json::Value ResponseEntry(const FhirResponse& r, bool with_resource) {
  json::Value e = json::Value::Object();
  json::Value response = json::Value::Object();
  response.Set("status", json::Value::String(StatusLine(r.status)));
  if (auto loc = r.Header("Location"); !loc.empty())
    response.Set("location", json::Value::String(std::string(loc)));
  if (auto etag = r.Header("ETag"); !etag.empty())
    response.Set("etag", json::Value::String(std::string(etag)));
  if (auto lm = r.Header("Last-Modified"); !lm.empty())
    response.Set("lastModified", json::Value::String(std::string(lm)));
  if (r.status >= 400 && !r.body.empty()) {
    response.Set("outcome", json::Value::Raw(r.body));
  } else if (with_resource && !r.body.empty()) {
    e.Set("resource", json::Value::Raw(r.body));
  }
  e.Set("response", std::move(response));
  return e;
}

Result<std::vector<Entry>> ReadEntries(const json::Value& bundle) {
  std::vector<Entry> entries;
  const json::Value* list = bundle.Find("entry");
  if (!list) return entries;
  for (size_t i = 0; i < list->items().size(); ++i) {
    const json::Value& e = list->items()[i];
    std::string where = "Bundle.entry[" + std::to_string(i) + "]";
    Entry entry;
    entry.index = i;
    entry.full_url = std::string(e.GetString("fullUrl"));
    entry.request = e.Find("request");
    entry.resource = e.Find("resource");
    if (!entry.request) return Invalid("Entry needs a request", where + ".request");
    entry.method = std::string(entry.request->GetString("method"));
    entry.url = std::string(entry.request->GetString("url"));
    if (entry.method.empty())
      return Invalid("Entry needs request.method", where + ".request.method");
    if (entry.url.empty()) return Invalid("Entry needs request.url", where + ".request.url");
    if ((entry.method == "POST" || entry.method == "PUT") && !entry.resource)
      return Invalid("A " + entry.method + " entry needs a resource", where + ".resource");
    entries.push_back(std::move(entry));
  }
  return entries;
}

FhirResponse ProcessBatch(Engine& s, const FhirRequest& req, const std::vector<Entry>& entries) {
  std::vector<FhirRequest> subs;
  subs.reserve(entries.size());
  for (const Entry& e : entries)
    subs.push_back(EntryRequest(req, e, e.resource ? EntryBody(e, *e.resource) : ""));
  json::Value out = json::Value::Array();
  for (const FhirResponse& r : DispatchBatch(s, subs))
    out.Push(ResponseEntry(r, PreferredReturn(req) != PreferReturn::kMinimal));
  json::Value bundle = json::Value::Object();
  bundle.Set("resourceType", json::Value::String("Bundle"));
  bundle.Set("type", json::Value::String("batch-response"));
  bundle.Set("entry", std::move(out));
  FhirResponse resp;
  resp.body = json::Write(bundle);
  return resp;
}

// `alone`: begun with no other write open (BeginWrite), when run again after a deadlock.
Result<FhirResponse> ProcessTransaction(Engine& s, const FhirRequest& req,
                                        const std::vector<Entry>& entries, bool alone) {
  // Identity checks first: a resource may be touched once.
  std::set<std::string> touched;
  for (const Entry& e : entries) {
    if (e.method == "GET" || e.method == "HEAD" || e.method == "POST") continue;
    std::string key =
        e.method == "PATCH" || e.method == "DELETE" || e.url.find('?') == std::string::npos ? e.url
                                                                                            : "";
    if (!key.empty() && !touched.insert(key).second)
      return Invalid("Bundle.entry[" + std::to_string(e.index) + "]: " + e.url +
                         " appears twice in the transaction",
                     "Bundle.entry[" + std::to_string(e.index) + "].request.url");
  }
  KY_ASSIGN_OR_RETURN(auto txn, BeginWrite(s, alone));

  // Ids for created resources, so references to their urn:uuid: full URLs can be rewritten.
  std::map<std::string, std::string> ids;
  std::map<size_t, std::string> assigned_ids;
  std::map<size_t, FhirResponse> early;  // conditional creates that matched
  for (const Entry& e : entries) {
    if (e.method != "POST" || !e.resource) continue;
    std::string type(e.resource->GetString("resourceType"));
    std::string where = "Bundle.entry[" + std::to_string(e.index) + "]";
    if (!s.defs.IsResourceType(type))
      return Invalid("Unknown resource type '" + type + "'", where + ".resource.resourceType");
    std::string id = s.ids.NewId();
    if (e.request) {
      std::string ine(e.request->GetString("ifNoneExist"));
      if (!ine.empty()) {
        if (auto q = ine.find('?'); q != std::string::npos) ine = ine.substr(q + 1);
        KY_ASSIGN_OR_RETURN(auto matches,
                            FindByCriteria(s, *txn, req, type, search::ParseQueryString(ine), 2));
        if (matches.size() > 1)
          return Status(StatusCode::kPreconditionFailed,
                        where + ": ifNoneExist matches more than one " + type);
        if (matches.size() == 1) {
          id = matches[0].id;
          early[e.index] =
              ResourceResponse(matches[0], 200, req.base_url, PreferredReturn(req), true);
        }
      }
    }
    assigned_ids[e.index] = id;
    if (!e.full_url.empty()) ids[e.full_url] = type + "/" + id;
  }
  for (const Entry& e : entries) {
    if (e.method != "PUT" || e.full_url.empty() || e.url.find('?') != std::string::npos) continue;
    ids[e.full_url] = e.url;
  }
  // Conditional references, resolved against the data as it was before the transaction.
  std::set<std::string> conditional;
  for (const Entry& e : entries)
    if (e.resource) CollectConditionalReferences(*e.resource, &conditional);
  for (const std::string& ref : conditional) {
    auto q = ref.find('?');
    std::string type = ref.substr(0, q);
    if (!s.defs.IsResourceType(type))
      return Invalid("Conditional reference '" + ref + "' names an unknown type");
    KY_ASSIGN_OR_RETURN(
        auto matches,
        FindByCriteria(s, *txn, req, type, search::ParseQueryString(ref.substr(q + 1)), 2));
    if (matches.size() != 1)
      return Status(StatusCode::kPreconditionFailed,
                    "Conditional reference '" + ref + "' matches " +
                        std::to_string(matches.size()) + " resources (it must match one)");
    ids[ref] = type + "/" + matches[0].id;
  }

  std::vector<const Entry*> order;
  for (const Entry& e : entries) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return MethodOrder(a->method) < MethodOrder(b->method);
  });
  std::map<size_t, FhirResponse> responses;
  for (const Entry* e : order) {
    std::string where = "Bundle.entry[" + std::to_string(e->index) + "]";
    if (early.count(e->index)) {
      responses[e->index] = early[e->index];
      continue;
    }
    std::string body;
    Entry entry = *e;
    if (e->resource) {
      json::Value resource = *e->resource;
      RewriteReferences(&resource, ids);
      if (e->method == "POST") {
        resource.Set("id", json::Value::String(assigned_ids[e->index]));
      }
      body = EntryBody(*e, resource);
    }
    FhirRequest sub = EntryRequest(req, entry, body);
    Result<FhirResponse> result = Internal("not run");
    if (e->method == "POST") {
      // A create with the id chosen above, so references to it are already rewritten.
      std::vector<std::string> segments = PathSegments(sub.path);
      auto resource = ParseResource(s, body);
      if (segments.size() != 1) {
        result =
            Invalid("request.url must be the resource type for a POST", where + ".request.url");
      } else if (!resource.ok()) {
        result = resource.status();
      } else if (Status allowed = AccessPolicy(s, req.principal).Allow(segments[0], auth::kCreate);
                 !allowed.ok()) {
        result = allowed;
      } else {
        result = CreateWithId(s, *txn, sub, segments[0], std::move(resource).value(),
                              assigned_ids[e->index]);
      }
    } else {
      result = DispatchIn(s, *txn, sub);
    }
    if (!result.ok()) {
      Status st = result.status();
      std::string expr = st.expression().empty() ? where : where + ".resource." + st.expression();
      return Status(st.code(), where + ": " + st.message(), expr);
    }
    if (result->status >= 400) {
      FhirResponse failed = std::move(result).value();
      failed.body = OperationOutcomeJson(
          "error", "processing",
          where + " failed with status " + std::to_string(failed.status) + "; nothing was kept",
          where);
      return failed;
    }
    responses[e->index] = std::move(result).value();
  }
  KY_ASSIGN_OR_RETURN(std::vector<std::string> changed, ReviewWrites(s, req, *txn));
  KY_RETURN_IF_ERROR(txn->Commit());

  json::Value out = json::Value::Array();
  bool with_resource = PreferredReturn(req) != PreferReturn::kMinimal;
  for (const Entry& e : entries) out.Push(ResponseEntry(responses[e.index], with_resource));
  json::Value bundle = json::Value::Object();
  bundle.Set("resourceType", json::Value::String("Bundle"));
  bundle.Set("type", json::Value::String("transaction-response"));
  bundle.Set("entry", std::move(out));
  FhirResponse resp;
  resp.body = json::Write(bundle);
  resp.patients_changed = std::move(changed);
  return resp;
}

}  // namespace

FhirResponse ProcessBundle(Engine& s, const FhirRequest& req) {
  auto bundle = json::Parse(req.body);
  if (!bundle.ok()) return ErrorResponse(bundle.status());
  if (!bundle->is_object() || bundle->GetString("resourceType") != "Bundle")
    return ErrorResponse(Invalid("POST to the base needs a Bundle", "resourceType"));
  std::string type(bundle->GetString("type"));
  if (type != "batch" && type != "transaction")
    return ErrorResponse(
        Invalid("Bundle.type must be batch or transaction, not '" + type + "'", "Bundle.type"));
  auto entries = ReadEntries(*bundle);
  if (!entries.ok()) return ErrorResponse(entries.status());
  if (type == "batch") return ProcessBatch(s, req, *entries);
  auto result =
      RetryAborted([&](bool alone) { return ProcessTransaction(s, req, *entries, alone); });
  if (!result.ok()) return ErrorResponse(result.status());
  return std::move(result).value();
}

}  // namespace kangyun::api
