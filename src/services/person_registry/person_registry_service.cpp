#include "services/person_registry/person_registry_service.h"

#include "api/access_policy.h"
#include "api/engine.h"
#include "api/operation_definition.h"
#include "base/files.h"
#include "content/platform_content.h"
#include "json/json.h"
#include "services/person_registry/person_registry.h"

namespace kangyun::services {

using namespace person_registry;

PersonRegistryService::PersonRegistryService() : matching_(std::make_shared<Matching>()) {}
PersonRegistryService::~PersonRegistryService() = default;

Status PersonRegistryService::UseMatchModel(const std::string& path) {
  std::optional<std::string> text = ReadFileBytes(path);
  if (!text) return Invalid("cannot read the match model " + path);
  auto parsed = json::Parse(*text);
  if (!parsed.ok()) return Invalid(path + ": " + parsed.status().message());
  auto model = mpi::MatchModel::FromJson(*parsed);
  if (!model.ok()) return Invalid(path + ": " + model.status().message());
  matching_->model = std::move(model).value();
  return Status::Ok();
}

namespace {

Status AllowSearchOfPatients(api::AccessPolicy& access, api::OperationCall&) {
  return access.Allow("Patient", auth::kSearch);
}

// A new Patient is matched and may be linked; an updated one is matched again when what the
// registry compares changed. Links sent with it are checked against the stored ones.
api::WriteHook PatientLinking(std::shared_ptr<Matching> m) {
  api::WriteHook hook;
  hook.name = "person registry: linking";
  hook.types = {"Patient"};
  hook.before_write = [m](api::WriteCall& w, json::Value* patient) -> Result<api::AfterWrite> {
    KY_RETURN_IF_ERROR(SettleLinks(w.engine, w.req, patient, w.replaced));
    Registration plan;
    if (w.replaced) {
      KY_ASSIGN_OR_RETURN(plan, PlanRematch(w.engine, *m, w.txn, patient, w.id, *w.replaced));
    } else {
      KY_ASSIGN_OR_RETURN(plan, PlanRegistration(w.engine, *m, w.txn, patient, w.id));
    }
    return api::AfterWrite([&engine = w.engine, &txn = w.txn, &req = w.req,
                            plan = std::move(plan)](const store::StoredResource&) {
      return CarryOutRegistration(engine, txn, req, plan);
    });
  };
  return hook;
}

// Each institution's medical record numbers have a system of their own, described by a
// NamingSystem the registry keeps.
api::WriteHook InstitutionNamingSystems() {
  api::WriteHook hook;
  hook.name = "person registry: naming systems";
  hook.types = {"Organization"};
  hook.before_write = [](api::WriteCall& w, json::Value* organization) -> Result<api::AfterWrite> {
    if (w.replaced) return api::AfterWrite();
    std::string name(organization->GetString("name"));
    return api::AfterWrite([&w, name](const store::StoredResource& written) -> Status {
      json::Value naming =
          content::MrnNamingSystem(written.id, name.empty() ? "Organization/" + written.id : name);
      std::string naming_id(naming.GetString("id"));
      KY_ASSIGN_OR_RETURN(auto existing, w.txn.ReadCurrent("NamingSystem", naming_id));
      if (existing && !existing->deleted) return Status::Ok();
      return api::WriteVersion(w.engine, w.txn, std::move(naming), naming_id, existing, "PUT",
                               /*by_registry=*/true)
          .status();
    });
  };
  return hook;
}

const char* DescriptionOf(std::string_view op) {
  if (op == "link") return "The two records are the same person; both stay in use (linked)";
  if (op == "unlink") return "Undoes $link: the record stands alone again";
  if (op == "merge") return "The source record is retired into the target (replaced-by)";
  if (op == "unmerge") return "Undoes $merge: the source record is in use again";
  return "The two records are two people: closes the review Task that asked";
}

void AddOperatorDecisions(api::ServiceRegistry& registry) {
  for (const char* name : kRegistryOperations) {
    std::string op_name = name;
    api::OperationSpec op;
    op.name = op_name;
    op.types = {"Patient"};
    op.get = false;
    op.transaction = api::OperationSpec::kWrite;
    op.definition = "https://kangyun.cn/fhir/OperationDefinition/Patient-" + op_name;
    // Linking and merging change records of several institutions: the registry's operators,
    // who see every Patient and Task.
    op.authorize = [](api::AccessPolicy& access, api::OperationCall&) -> Status {
      if (!access.SeesAllOf({"Patient", "Task"}))
        return Status(StatusCode::kForbidden,
                      "Linking and merging records is for the registry's operators");
      return Status::Ok();
    };
    op.run = [op_name](api::OperationCall& call) {
      return RegistryOperation(call.engine, *call.write, call.req, op_name);
    };
    bool needs_target = op_name == "link" || op_name == "merge" || op_name == "distinct";
    std::vector<api::OperationParameter> params = {
        {"source-patient", false, 1, "1", "Reference", "The record the decision is about"}};
    if (needs_target)
      params.push_back({"target-patient", false, 1, "1", "Reference",
                        "The other record (for $link and $merge, the one that stays)"});
    params.push_back({"task", false, op_name == "distinct" ? 1 : 0, "1", "Reference",
                      "The review Task the decision closes"});
    params.push_back({"return", true, 1, "1", "Parameters", "What was done, and the records"});
    op.operation_definition = api::OperationDefinitionFor(
        op, "Patient $" + op_name + " (person registry)", DescriptionOf(op_name), params);
    registry.AddOperation(std::move(op));
  }
}

}  // namespace

void PersonRegistryService::Register(api::ServiceRegistry& registry) {
  RegisterPersonSearchParameters(registry.search_parameters());

  api::WriteHook rules;
  rules.name = "person registry: identifier rules";
  rules.validate = [](const api::Engine& engine, const json::Value& resource) {
    return CheckRegistryRules(engine, resource);
  };
  registry.AddWriteHook(std::move(rules));
  registry.AddWriteHook(PatientLinking(matching_));
  registry.AddWriteHook(InstitutionNamingSystems());

  api::OperationSpec match;
  match.name = "match";
  match.types = {"Patient"};
  match.get = false;
  match.definition = "http://hl7.org/fhir/OperationDefinition/Patient-match";
  match.authorize = AllowSearchOfPatients;
  match.run = [m = matching_](api::OperationCall& call) {
    return Match(call.engine, *m, *call.txn, call.req);
  };
  registry.AddOperation(std::move(match));

  api::OperationSpec pix;
  pix.name = "ihe-pix";
  pix.types = {"Patient"};
  pix.post = false;
  pix.definition = "https://profiles.ihe.net/ITI/PIXm/OperationDefinition/IHE.PIXm.pix";
  pix.authorize = AllowSearchOfPatients;
  pix.run = [](api::OperationCall& call) {
    return CrossReferences(call.engine, *call.txn, call.req);
  };
  registry.AddOperation(std::move(pix));

  AddOperatorDecisions(registry);
}

}  // namespace kangyun::services
