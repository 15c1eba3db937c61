// A small blocking HTTP/1.1 client (plain TCP, no TLS): one request per connection. Used by
// `kangyun load --url` and by the tests, which talk to the server as independent clients.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace kangyun::http {

struct HttpResult {
  int status = 0;                              // 0 when the connection failed
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string error;
};

HttpResult HttpCall(const std::string& host, int port, const std::string& method,
                    const std::string& target,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    const std::string& body, int timeout_seconds = 60);

// Sends raw bytes and returns whatever the server answers before closing (or timeout).
std::string RawExchange(const std::string& host, int port, const std::string& bytes,
                        int timeout_seconds);

struct Url {
  std::string host;
  int port = 80;
  std::string path;  // without a trailing slash
};
// Parses http://HOST[:PORT][/PATH]; false for anything else (https is not spoken here).
bool ParseHttpUrl(const std::string& text, Url* url);

}  // namespace kangyun::http
