// What `serve` and `load` both open: the FHIR definitions, the search parameters, the store,
// the regional services and the API over them.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "api/fhir_api.h"
#include "base/env.h"
#include "base/status.h"
#include "fhir/definitions.h"
#include "fhir/search_parameters.h"
#include "services/service_set.h"
#include "store/store.h"

namespace kangyun::cli {

struct Platform {
  std::unique_ptr<fhir::Definitions> defs;
  std::unique_ptr<fhir::SearchParameterRegistry> params;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<Clock> clock;
  std::unique_ptr<IdSource> ids;
  services::ServiceSet services;
  std::unique_ptr<api::FhirApi> api;
};

// db is `sqlite:PATH` or a postgresql:// URL; definitions_flag as for DefinitionsDir.
// export_dir is where bulk exports write; by default beside the SQLite file, or for
// PostgreSQL a folder in the system's temporary directory named after the database, so that
// the processes of one host that serve one database share it.
struct PlatformOptions {
  // False only to measure what the audit trail costs (serve --no-audit-trail).
  bool audit = true;
  // The audit trail's archive folder (api::ApiConfig::audit_archive_dir).
  std::string audit_archive_dir;
  // Matches a sorted search pages through (api::ApiConfig); 0 keeps the default.
  int64_t max_search_results = 0;
  // The smallest count a regulator is told (api::ApiConfig); 0 keeps the default.
  int64_t regulator_min_count = 0;
  // The profiles every resource of a type must conform to (serve --require-profile).
  std::map<std::string, std::vector<std::string>> required_profiles;
  // How subscriptions are delivered (serve --subscription-*).
  services::SubscriptionsService::Options subscriptions;
};
Result<std::unique_ptr<Platform>> OpenPlatform(const std::string& db,
                                               const std::string& definitions_flag,
                                               const std::string& export_dir = "",
                                               const PlatformOptions& options = {});

}  // namespace kangyun::cli
