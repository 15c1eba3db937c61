// The engine's own operations, registered on the same seam as the services' (api/service.h):
// Patient/$everything, and bulk export's kick-off at the system, Patient and Group levels
// (https://hl7.org/fhir/uv/bulkdata/).
#include "api/access_policy.h"
#include "api/bulk_export.h"
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

  using Level = Exporter::Level;
  struct Export {
    unsigned levels;
    const char* type;
    Level level;
    const char* definition;
  };
  for (Export e : {Export{kSystemLevel, "", Level::kSystem,
                          "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"},
                   Export{kTypeLevel, "Patient", Level::kPatient,
                          "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"},
                   Export{kInstanceLevel, "Group", Level::kGroup,
                          "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"}}) {
    OperationSpec op;
    op.name = "export";
    op.levels = e.levels;
    if (*e.type) op.types = {e.type};
    op.transaction = OperationSpec::kNoTransaction;
    op.definition = e.definition;
    // The exporter decides what each requester may export, and keeps each job to its owner.
    op.authorize = [](AccessPolicy&, OperationCall&) { return Status::Ok(); };
    op.run = [level = e.level](OperationCall& call) {
      return call.engine.exporter->KickOff(call.req, level, call.id);
    };
    registry.AddOperation(std::move(op));
  }
}

}  // namespace kangyun::api
