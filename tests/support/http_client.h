// Test support: the HTTP client of http/client.h and server processes started for a test.
#pragma once

#include <string>
#include <vector>

#include "http/client.h"

namespace kangyun::testing {

using http::HttpCall;
using http::HttpResult;
using http::RawExchange;

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

struct CommandOutput {
  std::string text;  // stdout and stderr together
  int exit_code = -1;
};
// Runs `KANGYUN_BINARY args` through the shell and waits for it.
CommandOutput RunKangyun(const std::string& binary, const std::string& args);

}  // namespace kangyun::testing
