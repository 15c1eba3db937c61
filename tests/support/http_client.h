// A small blocking HTTP/1.1 client for tests: one request per connection, so every test talks
// to the server the way an independent client would.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace kangyun::testing {

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

// A server process started for a test and killed at the end.
class ServerProcess {
 public:
  // Starts `binary serve --db sqlite:db --port <free port> extra...` and waits for /healthz.
  ServerProcess(const std::string& binary, const std::string& db,
                const std::vector<std::string>& extra = {});
  ~ServerProcess();
  bool ok() const { return pid_ > 0 && ready_; }
  int port() const { return port_; }
  void Kill9();
  void Terminate();  // SIGTERM and wait; returns when the process has exited

 private:
  int pid_ = -1;
  int port_ = 0;
  bool ready_ = false;
};

int FreePort();

}  // namespace kangyun::testing
