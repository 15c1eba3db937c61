// kangyun serve: load the FHIR definitions, open the store, serve HTTP until a signal.
#include <cstdio>
#include <cstdlib>

#include "api/fhir_api.h"
#include "base/env.h"
#include "base/log.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "fhir/definitions.h"
#include "fhir/search_parameters.h"
#include "http/server.h"
#include "store/sqlite/sqlite_store.h"

namespace kangyun::cli {

int ServeCommand(const Args& args) {
  std::string db, definitions;
  http::ServerConfig config;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "kangyun serve: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return args[++i];
    };
    if (a == "--db")
      db = value();
    else if (a == "--port")
      config.port = std::atoi(value().c_str());
    else if (a == "--host")
      config.host = value();
    else if (a == "--threads")
      config.threads = std::max(1, std::atoi(value().c_str()));
    else if (a == "--body-limit")
      config.body_limit = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--base-url")
      config.public_base_url = value();
    else if (a == "--read-timeout")
      config.read_timeout_seconds = std::max(1, std::atoi(value().c_str()));
    else if (a == "--definitions")
      definitions = value();
    else {
      std::fprintf(stderr, "kangyun serve: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (!StartsWith(db, "sqlite:") || db.size() <= 7) {
    std::fprintf(stderr, "kangyun serve: --db sqlite:PATH is required\n");
    return 2;
  }
  std::string dir = DefinitionsDir(definitions);
  Log(LogLevel::kInfo, "loading FHIR R4 definitions from " + dir);
  auto defs = fhir::Definitions::Load(dir);
  if (!defs.ok()) {
    Log(LogLevel::kError, defs.status().message() + " (run scripts/install-deps)");
    return 1;
  }
  auto params = fhir::SearchParameterRegistry::Load(dir, **defs);
  if (!params.ok()) {
    Log(LogLevel::kError, params.status().message());
    return 1;
  }
  auto store = store::OpenSqliteStore(db.substr(7));
  if (!store.ok()) {
    Log(LogLevel::kError, store.status().message());
    return 1;
  }
  auto clock = SystemClock();
  auto ids = RandomIdSource();
  api::FhirApi api(**defs, **params, **store, *clock, *ids);
  Status loaded = api.LoadStoredSearchParameters();
  if (!loaded.ok()) {
    Log(LogLevel::kError, loaded.message());
    return 1;
  }
  Log(LogLevel::kWarning,
      "authentication is OFF: this server answers anyone who can reach it (demo mode)");
  http::Server server(api, config);
  Status st = server.Run();
  api.Shutdown();
  if (!st.ok()) {
    Log(LogLevel::kError, st.message());
    return 1;
  }
  return 0;
}

}  // namespace kangyun::cli
