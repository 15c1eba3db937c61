// kangyun serve: load the FHIR definitions, open the store, serve HTTP until a signal.
#include <cstdio>
#include <cstdlib>

#include "base/log.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/platform.h"
#include "http/server.h"

namespace kangyun::cli {
namespace {

// Account changes are recorded under a code system of their own (user-create, client-update,
// ...), so that an audit search finds who changed which account.
constexpr const char* kAccountChangeSystem = "https://kangyun.cn/fhir/CodeSystem/account-change";

audit::AuditRecord AuthAuditRecord(const auth::AuthEvent& e) {
  audit::AuditRecord r;
  r.authentication = !e.account_change;
  r.subtype = e.action;
  r.action = 'E';
  if (e.account_change) {
    r.subtype_system = kAccountChangeSystem;
    r.action = EndsWith(e.action, "-create") ? 'C' : 'U';
  }
  r.outcome = e.success ? 0 : 4;
  r.outcome_text = e.detail;
  r.who_subject = e.subject;
  r.role = e.success ? auth::RoleName(e.role) : "";
  r.client_id = e.client_id;
  r.address = e.address;
  // A resident sees the sign-ins to their own account among the accesses to their record.
  if (!e.patient.empty()) r.patients.push_back(e.patient);
  return r;
}

}  // namespace

int ServeCommand(const Args& args) {
  std::string db, definitions, export_dir, issuer, match_model;
  std::string portal_dir = KANGYUN_DEFAULT_PORTAL;
  bool auth_flag = false, insecure_open = false;
  PlatformOptions options;
  double rate_limit = -1;  // unset: 500 a second per client with authentication, else none
  int64_t token_seconds = 300;
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
    else if (a == "--allowed-host")
      config.allowed_hosts.push_back(value());
    else if (a == "--read-timeout")
      config.read_timeout_seconds = std::max(1, std::atoi(value().c_str()));
    else if (a == "--export-dir")
      export_dir = value();
    else if (a == "--definitions")
      definitions = value();
    else if (a == "--auth")
      auth_flag = true;
    else if (a == "--tls-cert")
      config.tls_certificate = value();
    else if (a == "--tls-key")
      config.tls_key = value();
    else if (a == "--rate-limit")
      rate_limit = std::atof(value().c_str());
    else if (a == "--max-connections-per-address")
      config.max_connections_per_address = std::max(0, std::atoi(value().c_str()));
    else if (a == "--insecure-open")
      insecure_open = true;
    else if (a == "--no-audit-trail")
      options.audit = false;
    else if (a == "--audit-archive")
      options.audit_archive_dir = value();
    else if (a == "--max-search-results")
      options.max_search_results = std::max<int64_t>(1, std::atoll(value().c_str()));
    else if (a == "--regulator-min-count")
      options.regulator_min_count = std::max<int64_t>(1, std::atoll(value().c_str()));
    else if (a == "--require-profile") {
      // TYPE=URL: every TYPE written must conform to the profile URL.
      std::string v = value();
      size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) {
        std::fprintf(stderr, "kangyun serve: --require-profile is TYPE=URL, not %s\n", v.c_str());
        return 2;
      }
      options.required_profiles[v.substr(0, eq)].push_back(v.substr(eq + 1));
    } else if (a == "--match-model")
      match_model = value();
    else if (a == "--issuer")
      issuer = value();
    else if (a == "--subscription-retry-hours")
      options.subscriptions.runner.retry_micros =
          static_cast<int64_t>(std::max(0.0, std::atof(value().c_str())) * 3600e6);
    else if (a == "--subscription-http-endpoints")
      options.subscriptions.allow_http = true;
    else if (a == "--subscription-ca-file")
      options.subscriptions.runner.outbound.ca_file = value();
    else if (a == "--portal")
      portal_dir = value();
    else if (a == "--access-token-seconds")
      token_seconds = std::max(1, std::atoi(value().c_str()));
    else {
      std::fprintf(stderr, "kangyun serve: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (!portal_dir.empty()) {
    auto portal = http::StaticFiles::Load(portal_dir);
    if (portal.ok()) {
      config.portal = std::move(portal).value();
      Log(LogLevel::kInfo, "the portal is served at / from " + portal_dir);
    } else {
      Log(LogLevel::kInfo, "no portal: " + portal.status().message() + " (make portal builds it)");
    }
  }
  auto platform = OpenPlatform(db, definitions, export_dir, options);
  if (!options.audit)
    Log(LogLevel::kWarning,
        "THE AUDIT TRAIL IS OFF: nothing this server does is recorded (for measuring what the "
        "trail costs; never serve residents' data this way)");
  if (!platform.ok()) {
    Log(LogLevel::kError, platform.status().message());
    return platform.status().code() == StatusCode::kInvalid ? 2 : 1;
  }
  api::FhirApi& api = *(*platform)->api;
  if (!match_model.empty()) {
    if (Status st = (*platform)->services.person_registry->UseMatchModel(match_model); !st.ok()) {
      Log(LogLevel::kError, st.message());
      return 2;
    }
    Log(LogLevel::kInfo, "the person registry matches with the model in " + match_model);
  }
  if (auth_flag && insecure_open) {
    Log(LogLevel::kError, "--auth and --insecure-open contradict each other");
    return 2;
  }
  // The server store serves a city: authentication is on unless explicitly refused.
  bool postgres = !StartsWith(db, "sqlite:");
  bool auth_on = auth_flag || (postgres && !insecure_open);
  std::unique_ptr<auth::AuthServer> auth;
  if (auth_on) {
    auth::AuthConfig ac;
    ac.issuer = issuer.empty() ? std::string(config.tls_certificate.empty() ? "http" : "https") +
                                     "://" + config.host + ":" + std::to_string(config.port)
                               : issuer;
    ac.access_token_seconds = token_seconds;
    auth = std::make_unique<auth::AuthServer>(*(*platform)->store, *(*platform)->clock, ac);
    if (Status st = auth->Start(); !st.ok()) {
      Log(LogLevel::kError, "authentication: " + st.message());
      return 1;
    }
    auth->SetEventSink([&api](const auth::AuthEvent& e) { (void)api.Audit(AuthAuditRecord(e)); });
    api.SetAuthorizationServer(ac.issuer);
    Log(LogLevel::kInfo, "authentication is on: tokens from " + ac.issuer + "/auth/token");
  } else {
    for (int i = 0; i < 3; ++i)
      Log(LogLevel::kWarning,
          "AUTHENTICATION IS OFF: this server answers anyone who can reach it, with every "
          "resident's data (demo mode; serve with --auth to require tokens)");
  }
  // Links follow the Host header only for names the server knows as its own (server.h).
  if (config.public_base_url.empty() && config.allowed_hosts.empty() &&
      (config.host == "0.0.0.0" || config.host == "::"))
    Log(LogLevel::kWarning, "serving on all interfaces: links in answers will name " + config.host +
                                ":" + std::to_string(config.port) +
                                " unless --base-url or --allowed-host says the server's name");
  config.rate_limit = rate_limit >= 0 ? rate_limit : auth_on ? 500 : 0;
  if (config.max_connections_per_address == 0 && auth_on) config.max_connections_per_address = 256;
  http::Server server(api, config, auth.get());
  api.StartBackgroundJobs();
  Status st = server.Run();
  api.Shutdown();
  if (!st.ok()) {
    Log(LogLevel::kError, st.message());
    return 1;
  }
  return 0;
}

}  // namespace kangyun::cli
