#include "cli/platform.h"

#include "base/log.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace kangyun::cli {

Result<std::unique_ptr<Platform>> OpenPlatform(const std::string& db,
                                               const std::string& definitions_flag) {
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
  KY_ASSIGN_OR_RETURN(p->params, fhir::SearchParameterRegistry::Load(dir, *p->defs));
  if (postgres) {
    KY_ASSIGN_OR_RETURN(p->store, store::OpenPostgresStore(db));
  } else {
    KY_ASSIGN_OR_RETURN(p->store, store::OpenSqliteStore(db.substr(7)));
  }
  p->clock = SystemClock();
  p->ids = RandomIdSource();
  p->api = std::make_unique<api::FhirApi>(*p->defs, *p->params, *p->store, *p->clock, *p->ids);
  KY_RETURN_IF_ERROR(p->api->LoadStoredSearchParameters());
  return p;
}

}  // namespace kangyun::cli
