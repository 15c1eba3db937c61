// kangyun serve: load the FHIR definitions, open the store, serve HTTP until a signal.
#include <cstdio>
#include <cstdlib>

#include "base/log.h"
#include "cli/commands.h"
#include "cli/platform.h"
#include "http/server.h"

namespace kangyun::cli {

int ServeCommand(const Args& args) {
  std::string db, definitions, export_dir;
  http::ServerConfig config;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&] { return OptionValue("serve", args, &i); };
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
    else if (a == "--export-dir")
      export_dir = value();
    else if (a == "--definitions")
      definitions = value();
    else {
      std::fprintf(stderr, "kangyun serve: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  auto platform = OpenPlatform(db, definitions, export_dir);
  if (!platform.ok()) {
    Log(LogLevel::kError, platform.status().message());
    return platform.status().code() == StatusCode::kInvalid ? 2 : 1;
  }
  api::FhirApi& api = *(*platform)->api;
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
