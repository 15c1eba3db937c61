#include "cli/platform.h"

#include <cstdio>
#include <filesystem>

#include "base/log.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace kangyun::cli {

namespace {

std::string DefaultExportDir(const std::string& db, bool postgres) {
  if (!postgres) return db.substr(7) + ".exports";
  char name[48];  // named by a hash of the URL: one folder per database
  std::snprintf(name, sizeof name, "kangyun-exports-%016llx",
                static_cast<unsigned long long>(Fnv1a(db)));
  return (std::filesystem::temp_directory_path() / name).string();
}

}  // namespace

Result<std::unique_ptr<Platform>> OpenPlatform(const std::string& db,
                                               const std::string& definitions_flag,
                                               const std::string& export_dir,
                                               const PlatformOptions& options) {
  bool postgres = StartsWith(db, "postgresql://") || StartsWith(db, "postgres://");
  if (!postgres && (!StartsWith(db, "sqlite:") || db.size() <= 7))
    return Invalid("--db sqlite:PATH or --db postgresql://… is required");
  auto p = std::make_unique<Platform>();
  std::string dir = DefinitionsDir(definitions_flag);
  Log(LogLevel::kInfo, "loading FHIR R4 definitions from " + dir);
  auto defs = fhir::Definitions::Load(dir);
  if (!defs.ok())
    return Status(defs.status().code(), defs.status().message() + " (run scripts/install-deps)");
  p->defs = std::move(defs).value();
  for (const auto& [type, urls] : options.required_profiles)
    if (!p->defs->IsResourceType(type))
      return Invalid("--require-profile: '" + type + "' is not a FHIR R4 resource type");
  KY_ASSIGN_OR_RETURN(p->params, fhir::SearchParameterRegistry::Load(dir, *p->defs));
  if (postgres) {
    KY_ASSIGN_OR_RETURN(p->store, store::OpenPostgresStore(db));
  } else {
    KY_ASSIGN_OR_RETURN(p->store, store::OpenSqliteStore(db.substr(7)));
  }
  p->clock = SystemClock();
  p->ids = RandomIdSource();
  api::ApiConfig config;
  config.export_dir = export_dir.empty() ? DefaultExportDir(db, postgres) : export_dir;
  config.audit = options.audit;
  config.audit_archive_dir = options.audit_archive_dir;
  if (options.max_search_results > 0) config.max_search_results = options.max_search_results;
  if (options.regulator_min_count > 0) config.regulator_min_count = options.regulator_min_count;
  config.required_profiles = options.required_profiles;
  p->services.subscriptions->SetOptions(options.subscriptions);
  p->api = std::make_unique<api::FhirApi>(*p->defs, *p->params, *p->store, *p->clock, *p->ids,
                                          config, p->services.All());
  KY_RETURN_IF_ERROR(p->api->LoadStoredSearchParameters());
  KY_RETURN_IF_ERROR(p->api->LoadStoredProfiles());
  KY_RETURN_IF_ERROR(p->api->InstallPlatformContent());
  return p;
}

}  // namespace kangyun::cli
