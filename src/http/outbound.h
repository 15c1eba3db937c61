// Calls the platform makes to other systems (a subscriber's rest-hook endpoint): http or https
// to a host name or address, one request per connection, with a deadline for the whole call.
// https checks the server's certificate against the system's trusted authorities (or a CA file
// given in the options) and its name; a call that cannot prove whom it talks to is not made.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace kangyun::http {

struct OutboundUrl {
  bool tls = false;
  std::string host;
  int port = 0;
  std::string target = "/";  // path and query
};
// Parses http(s)://host[:port][/path][?query]; false for anything else.
bool ParseOutboundUrl(const std::string& text, OutboundUrl* url);
// Whether the host is this machine (127.0.0.0/8, ::1, localhost).
bool IsLoopbackHost(const std::string& host);

struct OutboundOptions {
  int timeout_seconds = 10;
  std::string ca_file;  // trusted authorities for https; "" for the system's
};

struct OutboundResult {
  int status = 0;     // 0 when no answer came
  std::string error;  // why, when status is 0
};

// Sends one request and waits for the status line of the answer.
OutboundResult OutboundCall(const OutboundUrl& url, const std::string& method,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body, const OutboundOptions& options);

}  // namespace kangyun::http
