// The HTTP/1.1 server: connections, limits and timeouts, and the mapping of HTTP messages to
// FhirRequest/FhirResponse. Boost.Beast stays inside http/ (session_impl.h).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "api/fhir_api.h"
#include "auth/auth_server.h"
#include "base/status.h"
#include "http/static_files.h"

namespace kangyun::http {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 8;                       // request threads (handlers block on the store)
  size_t body_limit = 16 * 1024 * 1024;  // larger bodies get 413
  size_t header_limit = 16 * 1024;
  int read_timeout_seconds = 30;  // slow or abandoned connections are closed
  int max_connections = 1024;
  // Per client: requests a second (0: no limit; bursts of twice as many), and open
  // connections from one network address (0: no limit).
  double rate_limit = 0;
  int max_connections_per_address = 0;
  // HTTPS when both are set: a PEM certificate chain and its PEM private key.
  std::string tls_certificate, tls_key;
  // Public base URL of the FHIR endpoint. When empty it is made from the Host header if that
  // names one of allowed_hosts (or the bind address, localhost, 127.0.0.1, [::1]), and from
  // the bind address otherwise: a client must not choose the links others are sent to.
  std::string public_base_url;
  std::vector<std::string> allowed_hosts;
  // The web portal, served at / (every path outside /fhir, /auth and /healthz); without it,
  // / describes the server in JSON.
  std::shared_ptr<const StaticFiles> portal;
};

class Server {
 public:
  // With auth, every FHIR request but the CapabilityStatement needs a valid access token, and
  // /auth/* serves the authorization server; without it, the server is open (a demo).
  Server(api::FhirApi& api, ServerConfig config, auth::AuthServer* auth = nullptr);
  ~Server();
  // Binds, serves until SIGINT/SIGTERM or Stop(), then returns after in-flight requests end.
  Status Run();
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kangyun::http
