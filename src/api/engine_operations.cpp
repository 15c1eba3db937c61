// The engine's own operations, registered on the same seam as the services' (api/service.h):
// Patient/$everything.
#include "api/access_policy.h"
#include "api/engine.h"

namespace kangyun::api {

void RegisterEngineOperations(ServiceRegistry& registry) {
  OperationSpec everything;
  everything.name = "everything";
  everything.levels = kInstanceLevel;
  everything.types = {"Patient"};
  everything.definition = "http://hl7.org/fhir/OperationDefinition/Patient-everything";
  everything.authorize = [](AccessPolicy& access, OperationCall& call) {
    return AllowRead(access, *call.txn, "Patient", call.id);
  };
  everything.run = [](OperationCall& call) {
    return Everything(call.engine, *call.txn, call.req, call.id);
  };
  registry.AddOperation(std::move(everything));
}

}  // namespace kangyun::api
