#include "services/bulk_data/bulk_data_service.h"

#include "services/bulk_data/bulk_export.h"

namespace kangyun::services {

using bulk_data::Exporter;

BulkDataService::BulkDataService() = default;
BulkDataService::~BulkDataService() { Stop(); }

void BulkDataService::Register(api::ServiceRegistry& registry) {
  engine_ = &registry.engine();
  exporter_ = std::make_unique<Exporter>(registry.engine());
  Exporter* exporter = exporter_.get();
  api::JobKind exports;
  exports.kind = Exporter::kJobKind;
  exports.run = [exporter](api::JobContext& ctx) { return exporter->RunJob(ctx); };
  exports.workers = 2;  // exports at once in each process
  // Another process takes over an export whose process died within this.
  exports.lease_micros = 10'000'000;
  registry.AddJobKind(std::move(exports));
  // The exporter decides what each requester may export, and keeps each job to its owner.
  auto by_exporter = [](api::AccessPolicy&, api::OperationCall&) { return Status::Ok(); };

  using Level = Exporter::Level;
  struct Export {
    unsigned levels;
    const char* type;
    Level level;
    const char* definition;
  };
  for (Export e : {Export{api::kSystemLevel, "", Level::kSystem,
                          "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"},
                   Export{api::kTypeLevel, "Patient", Level::kPatient,
                          "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"},
                   Export{api::kInstanceLevel, "Group", Level::kGroup,
                          "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"}}) {
    api::OperationSpec op;
    op.name = "export";
    op.levels = e.levels;
    if (*e.type) op.types = {e.type};
    op.transaction = api::OperationSpec::kNoTransaction;
    op.definition = e.definition;
    op.authorize = by_exporter;
    op.run = [exporter, level = e.level](api::OperationCall& call) {
      return exporter->KickOff(call.req, level, call.id);
    };
    registry.AddOperation(std::move(op));
  }

  // The asynchronous pattern's URLs, named like operations but not operations.
  api::OperationSpec status;
  status.name = "export-poll-status";
  status.levels = api::kSystemLevel;
  status.post = false;
  status.del = true;
  status.listed = false;
  status.transaction = api::OperationSpec::kNoTransaction;
  status.authorize = by_exporter;
  status.run = [exporter](api::OperationCall& call) {
    return call.req.method == "DELETE" ? exporter->Cancel(call.req) : exporter->Poll(call.req);
  };
  registry.AddOperation(std::move(status));

  api::OperationSpec file;
  file.name = "export-file";
  file.levels = api::kSystemLevel;
  file.post = false;
  file.extra_segments = 2;  // {job}/{file}
  file.listed = false;
  file.transaction = api::OperationSpec::kNoTransaction;
  file.authorize = by_exporter;
  file.run = [exporter](api::OperationCall& call) {
    return exporter->File(call.req, call.rest[0], call.rest[1]);
  };
  registry.AddOperation(std::move(file));
}

void BulkDataService::Stop() {
  if (exporter_) exporter_->Stop();
}

Result<bulk_data::ImportResult> BulkDataService::Import(bulk_data::ImportSource& source,
                                                        const bulk_data::ImportOptions& options,
                                                        const bulk_data::ImportProgress& progress) {
  if (!engine_) return Internal("the bulk data service is not registered");
  return bulk_data::Import(*engine_, source, options, progress);
}

}  // namespace kangyun::services
