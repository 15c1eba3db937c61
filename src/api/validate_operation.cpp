// [type]/$validate and [type]/[id]/$validate (R4 Resource-validate): a resource checked as a
// write would check it (structure, bindings, the base invariants, the services' rules) without
// storing it, answered with every issue found, warnings too, in an OperationOutcome (200: the
// validation ran; 400 only when there is nothing to validate). The body is the resource, or
// Parameters with `resource`, `mode` (create, update, delete) and `profile` (a profile checked
// besides those a write checks, api/profiles.cpp; one the server does not know is an error).
#include "api/access_policy.h"
#include "api/engine.h"
#include "fhir/binding_advice.h"
#include "fhir/invariants.h"
#include "fhir/outcome.h"
#include "json/json.h"

namespace kangyun::api {
namespace {

// The resource, mode and profile of the request: from Parameters, or the body itself, and the
// query string.
struct ValidateRequest {
  std::optional<json::Value> resource;
  std::string mode, profile;
};

Result<ValidateRequest> ReadRequest(const FhirRequest& req) {
  ValidateRequest out;
  for (const auto& [k, v] : req.query) {
    if (k == "mode") out.mode = v;
    if (k == "profile") out.profile = v;
  }
  if (req.body.empty()) return out;
  KY_ASSIGN_OR_RETURN(json::Value body, json::Parse(req.body));
  if (!body.is_object()) return Invalid("The body must be a resource or Parameters");
  if (body.GetString("resourceType") != "Parameters") {
    out.resource = std::move(body);
    return out;
  }
  if (const json::Value* params = body.Find("parameter"); params && params->is_array()) {
    for (const json::Value& p : params->items()) {
      std::string_view name = p.GetString("name");
      if (name == "resource" && p.Find("resource")) out.resource = *p.Find("resource");
      if (name == "mode") out.mode = p.GetString("valueCode");
      if (name == "profile") out.profile = p.GetString("valueUri");
    }
  }
  return out;
}

Result<FhirResponse> Validate(OperationCall& call) {
  Engine& s = call.engine;
  KY_ASSIGN_OR_RETURN(ValidateRequest v, ReadRequest(call.req));
  if (!v.mode.empty() && v.mode != "create" && v.mode != "update" && v.mode != "delete")
    return Invalid("mode is create, update or delete, not '" + v.mode + "'", "mode");
  json::Value issues = json::Value::Array();
  if (v.mode == "delete") {
    // Deleting is refused only by the access rules, checked before the operation ran.
    if (call.id.empty()) return Invalid("mode=delete validates a resource by its id", "mode");
  } else {
    if (!v.resource && !call.id.empty()) {
      KY_ASSIGN_OR_RETURN(auto stored, call.txn->ReadCurrent(call.type, call.id));
      if (stored && !stored->deleted) {
        KY_ASSIGN_OR_RETURN(json::Value parsed, json::Parse(stored->body));
        v.resource = std::move(parsed);
      }
    }
    if (!v.resource) return Invalid("There is no resource to validate: send one in the body");
    const json::Value& r = *v.resource;
    std::string_view type = r.GetString("resourceType");
    if (!call.type.empty() && type != call.type)
      issues.Push(fhir::OutcomeIssue(
          "error", "invalid", "The resource is a " + std::string(type) + ", not a " + call.type,
          "resourceType"));
    if (v.mode == "update" && r.GetString("id").empty())
      issues.Push(
          fhir::OutcomeIssue("error", "required", "An update needs the resource's id", "id"));
    // What a write checks, in its order, each part answered in full: the structure (which
    // stops at its first error), then every invariant, warnings too (dom-6, ...), and the
    // services' rules.
    auto refused = [&](const Status& st) {
      issues.Push(fhir::OutcomeIssue(
          "error", st.code() == StatusCode::kUnprocessable ? "invalid" : "structure", st.message(),
          st.expression()));
    };
    if (Status structure = s.validator.ValidateStructure(r); !structure.ok()) {
      refused(structure);
    } else {
      for (const fhir::InvariantFailure& f : fhir::FailedInvariants(s.defs, r, true))
        issues.Push(fhir::OutcomeIssue(f.constraint->error ? "error" : "warning", "invariant",
                                       f.constraint->key + ": " + f.constraint->human, f.path));
      for (const fhir::BindingAdvice& advice : fhir::AdvisoryBindingWarnings(s.defs, r))
        issues.Push(fhir::OutcomeIssue("warning", "code-invalid", advice.message, advice.path));
      // The profiles a write would check, and the one asked for.
      if (Status usable = CheckUsableAsProfile(s, r); !usable.ok()) refused(usable);
      std::vector<std::string> profiles = ProfilesToCheck(s, r);
      std::vector<fhir::ProfileIssue> found = CheckExtensionDefinitions(s, r);
      for (fhir::ProfileIssue& issue : CheckProfiles(s, r, profiles))
        found.push_back(std::move(issue));
      if (!v.profile.empty() &&
          std::find(profiles.begin(), profiles.end(), v.profile) == profiles.end())
        for (fhir::ProfileIssue& issue : CheckProfiles(s, r, {v.profile}, "profile"))
          found.push_back(std::move(issue));
      for (const fhir::ProfileIssue& issue : found)
        issues.Push(fhir::OutcomeIssue(issue.severity, issue.code, issue.message, issue.path));
      if (Status rules = ValidateByServices(s, r); !rules.ok()) refused(rules);
    }
  }
  if (issues.items().empty())
    issues.Push(fhir::OutcomeIssue("information", "informational", "No issues found", ""));
  FhirResponse response;
  response.body = json::Write(fhir::OperationOutcomeOf(std::move(issues)));
  return response;
}

}  // namespace

void RegisterValidateOperation(ServiceRegistry& registry, const fhir::Definitions& defs) {
  OperationSpec validate;
  validate.name = "validate";
  validate.levels = kTypeLevel | kInstanceLevel;
  validate.types = defs.ResourceTypes();
  validate.get = false;
  validate.definition = "http://hl7.org/fhir/OperationDefinition/Resource-validate";
  validate.authorize = [](AccessPolicy& access, OperationCall& call) -> Status {
    // Checking a resource one sends discloses nothing; one stored is read as a read would.
    if (call.id.empty()) return access.Allow(call.type, auth::kRead);
    return AllowRead(access, *call.txn, call.type, call.id);
  };
  validate.run = Validate;
  registry.AddOperation(std::move(validate));
}

}  // namespace kangyun::api
