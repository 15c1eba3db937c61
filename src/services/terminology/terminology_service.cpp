#include "services/terminology/terminology_service.h"

#include "api/access_policy.h"
#include "services/terminology/terminology_operations.h"

namespace kangyun::services {

void TerminologyService::Register(api::ServiceRegistry& registry) {
  struct Op {
    const char* type;
    const char* name;
    unsigned levels;
  };
  constexpr unsigned kBoth = api::kTypeLevel | api::kInstanceLevel;
  for (Op op : {Op{"CodeSystem", "lookup", api::kTypeLevel},
                Op{"CodeSystem", "validate-code", kBoth}, Op{"ValueSet", "expand", kBoth},
                Op{"ValueSet", "validate-code", kBoth}, Op{"ConceptMap", "translate", kBoth}}) {
    api::OperationSpec spec;
    spec.name = op.name;
    spec.levels = op.levels;
    spec.types = {op.type};
    spec.definition =
        std::string("http://hl7.org/fhir/OperationDefinition/") + op.type + "-" + op.name;
    spec.authorize = [](api::AccessPolicy& access, api::OperationCall& call) {
      return access.Allow(call.type, auth::kSearch);
    };
    spec.run = [name = std::string("$") + op.name](api::OperationCall& call) {
      return TerminologyOperation(call.engine, *call.txn, call.req, call.type, call.id, name);
    };
    registry.AddOperation(std::move(spec));
  }
}

}  // namespace kangyun::services
