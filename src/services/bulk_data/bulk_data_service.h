// Bulk data (https://hl7.org/fhir/uv/bulkdata/): $export of the system, of every Patient's
// compartment or of a Group's members, in the asynchronous request pattern
// ($export-poll-status, $export-file), with regulators' exports de-identified; and bulk
// loading (`kangyun load`), validated and indexed as the API writes.
#pragma once

#include <memory>

#include "api/service.h"
#include "services/bulk_data/bulk_import.h"

namespace kangyun::services {

namespace bulk_data {
class Exporter;
}

class BulkDataService : public api::Service {
 public:
  BulkDataService();
  ~BulkDataService() override;
  std::string_view name() const override { return "bulk-data"; }
  void Register(api::ServiceRegistry& registry) override;
  void Stop() override;

  // Loads resources from `source` (services/bulk_data/bulk_import.h). REQUIRES: registered.
  Result<bulk_data::ImportResult> Import(bulk_data::ImportSource& source,
                                         const bulk_data::ImportOptions& options,
                                         const bulk_data::ImportProgress& progress = {});

 private:
  api::Engine* engine_ = nullptr;
  std::unique_ptr<bulk_data::Exporter> exporter_;
};

}  // namespace kangyun::services
