// What the HTTP server hands a new connection, and the two kinds of connection it starts: plain
// TCP and TLS. Each kind is compiled in a file of its own (session_plain.cpp, session_tls.cpp)
// from the templates of session_impl.h. Internal to http/.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <string>

#include "api/fhir_api.h"
#include "auth/auth_server.h"
#include "http/rate_limiter.h"
#include "http/server.h"

namespace kangyun::http {

// What the server's connections share.
struct SessionContext {
  api::FhirApi& api;
  const ServerConfig& config;
  std::atomic<int>& connections;
  auth::AuthServer* auth;
  RateLimiter* limiter;  // null: no rate limit
  ConnectionCounter& per_address;
};

// Serve HTTP (and websocket upgrades) on an accepted socket until the connection ends.
void StartPlainSession(const SessionContext& context, std::string address,
                       boost::asio::ip::tcp::socket socket);
// The same over TLS, after the handshake with `tls`.
void StartTlsSession(const SessionContext& context, std::string address,
                     boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls);

}  // namespace kangyun::http
