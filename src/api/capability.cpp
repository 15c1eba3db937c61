// The CapabilityStatement, generated from what is actually served: every resource type of the
// loaded definitions, every search parameter of the registry (R4's and added ones), and every
// operation registered on the seam (api/service.h).
#include <algorithm>

#include "api/engine.h"

namespace kangyun::api {
namespace {

json::Value Code(const char* c) {
  json::Value o = json::Value::Object();
  o.Set("code", json::Value::String(c));
  return o;
}

json::Value Operation(const std::string& name, const std::string& definition) {
  json::Value op = json::Value::Object();
  op.Set("name", json::Value::String(name));
  op.Set("definition", json::Value::String(definition));
  return op;
}

// The registered operations (api/service.h) on `type` at the type or instance level, or at
// the system level when type is "".
json::Value OperationsOn(const ServiceRegistry& registry, const std::string& type) {
  json::Value ops = json::Value::Array();
  for (const OperationSpec& op : registry.operations()) {
    bool here = type.empty()
                    ? (op.levels & kSystemLevel) != 0
                    : (op.levels & (kTypeLevel | kInstanceLevel)) != 0 &&
                          std::find(op.types.begin(), op.types.end(), type) != op.types.end();
    if (here && op.listed) ops.Push(Operation(op.name, op.definition));
  }
  return ops;
}

json::Value Strings(std::initializer_list<const char*> list) {
  json::Value a = json::Value::Array();
  for (const char* s : list) a.Push(json::Value::String(s));
  return a;
}

}  // namespace

std::string Engine::CapabilityStatement() {
  auto snap = params.snapshot();
  std::lock_guard lock(capability_mu_);
  if (capability_generation_ == snap->generation) return capability_;
  json::Value cs = json::Value::Object();
  cs.Set("resourceType", json::Value::String("CapabilityStatement"));
  cs.Set("status", json::Value::String("active"));
  cs.Set("date", json::Value::String(FormatInstant(clock.NowMicros()).substr(0, 10)));
  cs.Set("publisher", json::Value::String("Kangyun"));
  cs.Set("kind", json::Value::String("instance"));
  json::Value software = json::Value::Object();
  software.Set("name", json::Value::String("Kangyun (康云) regional health cloud"));
  software.Set("version", json::Value::String("0.1.0"));
  cs.Set("software", std::move(software));
  cs.Set("fhirVersion", json::Value::String("4.0.1"));
  cs.Set("format", Strings({"application/fhir+json", "json"}));
  cs.Set("patchFormat", Strings({"application/json-patch+json", "application/fhir+json"}));
  json::Value rest = json::Value::Object();
  rest.Set("mode", json::Value::String("server"));
  json::Value resources = json::Value::Array();
  for (const std::string& type : defs.ResourceTypes()) {
    json::Value r = json::Value::Object();
    r.Set("type", json::Value::String(type));
    // The audit trail is the platform's own log (api/audit_interactions.cpp): read and
    // searched by the parameters audits use, never written or included.
    bool audit = type == "AuditEvent";
    json::Value interactions = json::Value::Array();
    for (const char* i : {"read", "vread", "update", "patch", "delete", "history-instance",
                          "history-type", "create", "search-type"})
      if (!audit || std::string_view(i) == "read" || std::string_view(i) == "vread" ||
          std::string_view(i) == "search-type")
        interactions.Push(Code(i));
    r.Set("interaction", std::move(interactions));
    r.Set("versioning", json::Value::String("versioned"));
    r.Set("readHistory", json::Value::Bool(true));
    r.Set("updateCreate", json::Value::Bool(true));
    r.Set("conditionalCreate", json::Value::Bool(true));
    r.Set("conditionalRead", json::Value::String("full-support"));
    r.Set("conditionalUpdate", json::Value::Bool(true));
    r.Set("conditionalDelete", json::Value::String("single"));
    if (!audit) {
      r.Set("searchInclude", Strings({"*"}));
      r.Set("searchRevInclude", Strings({"*"}));
    }
    json::Value sps = json::Value::Array();
    auto it = snap->by_type.find(type);
    if (it != snap->by_type.end()) {
      for (const auto& p : it->second) {
        // Parameters that cannot be evaluated are not claimed; _text and _content are answered
        // from the text index (search/resource_text.h), not an expression.
        bool text = p->code == "_text" || p->code == "_content";
        if (!text && (p->type == "special" || (!p->compiled && p->type != "composite"))) continue;
        if (audit && !AuditTrailParameters().count(p->code)) continue;
        json::Value sp = json::Value::Object();
        sp.Set("name", json::Value::String(p->code));
        sp.Set("definition", json::Value::String(p->url));
        sp.Set("type", json::Value::String(p->type));
        sps.Push(std::move(sp));
      }
    }
    r.Set("searchParam", std::move(sps));
    json::Value ops = OperationsOn(registry, type);
    if (!ops.items().empty()) r.Set("operation", std::move(ops));
    resources.Push(std::move(r));
  }
  rest.Set("resource", std::move(resources));
  // Parameters of every type's search beyond each type's own.
  json::Value common = json::Value::Array();
  json::Value filter = json::Value::Object();
  filter.Set("name", json::Value::String("_filter"));
  filter.Set("type", json::Value::String("special"));
  filter.Set("documentation",
             json::Value::String("http://hl7.org/fhir/R4/search_filter.html: eq ne co sw gt lt "
                                 "ge le sa eb ap pr in ni sb ss, and/or/not, chains"));
  common.Push(std::move(filter));
  for (const char* text : {"_text", "_content"}) {
    json::Value sp = json::Value::Object();
    sp.Set("name", json::Value::String(text));
    sp.Set("type", json::Value::String("string"));
    sp.Set("documentation",
           json::Value::String(std::string(text) == "_text"
                                   ? "Words of the narrative, each found as a substring (Chinese "
                                     "needs no spaces); comma-separated values are alternatives"
                                   : "Words of all of the resource's text, each found as a "
                                     "substring; comma-separated values are alternatives"));
    common.Push(std::move(sp));
  }
  rest.Set("searchParam", std::move(common));
  json::Value interactions = json::Value::Array();
  for (const char* i : {"transaction", "batch", "search-system", "history-system"})
    interactions.Push(Code(i));
  rest.Set("interaction", std::move(interactions));
  rest.Set("operation", OperationsOn(registry, ""));
  json::Value compartments = json::Value::Array();
  for (std::string owner : defs.CompartmentOwners()) {
    owner[0] = static_cast<char>(owner[0] - 'A' + 'a');  // the canonical's spelling: relatedPerson
    compartments.Push(json::Value::String("http://hl7.org/fhir/CompartmentDefinition/" + owner));
  }
  rest.Set("compartment", std::move(compartments));
  if (!config.oauth_issuer.empty()) {
    // SMART App Launch: the service, and where its endpoints are (also in
    // .well-known/smart-configuration).
    json::Value security = json::Value::Object();
    json::Value service = json::Value::Object();
    json::Value coding = json::Value::Object();
    coding.Set("system", json::Value::String(
                             "http://terminology.hl7.org/CodeSystem/restful-security-service"));
    coding.Set("code", json::Value::String("SMART-on-FHIR"));
    json::Value codings = json::Value::Array();
    codings.Push(std::move(coding));
    service.Set("coding", std::move(codings));
    json::Value services = json::Value::Array();
    services.Push(std::move(service));
    json::Value uris = json::Value::Object();
    uris.Set("url", json::Value::String(
                        "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"));
    json::Value endpoints = json::Value::Array();
    for (const char* name : {"token", "authorize"}) {
      json::Value e = json::Value::Object();
      e.Set("url", json::Value::String(name));
      e.Set("valueUri", json::Value::String(config.oauth_issuer + "/auth/" + name));
      endpoints.Push(std::move(e));
    }
    uris.Set("extension", std::move(endpoints));
    json::Value extensions = json::Value::Array();
    extensions.Push(std::move(uris));
    security.Set("extension", std::move(extensions));
    security.Set("service", std::move(services));
    security.Set("description",
                 json::Value::String("OAuth 2.0 bearer tokens (SMART App Launch v2, SMART Backend "
                                     "Services); see .well-known/smart-configuration"));
    rest.Set("security", std::move(security));
  }
  json::Value rests = json::Value::Array();
  rests.Push(std::move(rest));
  cs.Set("rest", std::move(rests));
  capability_ = json::Write(cs);
  capability_generation_ = snap->generation;
  return capability_;
}

}  // namespace kangyun::api
