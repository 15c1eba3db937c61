// A websocket client for tests: connects to a server on loopback, sends and receives text
// messages, each receive with a deadline. Boost.Beast stays inside websocket_client.cpp.
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace kangyun::testing {

class WebSocketClient {
 public:
  // Connects to ws://127.0.0.1:port/path; ok() says whether it did.
  WebSocketClient(int port, const std::string& path);
  ~WebSocketClient();
  bool ok() const;
  bool Send(const std::string& text);
  // The next message, or nullopt when none came within `seconds` or the server closed.
  std::optional<std::string> Receive(int seconds);
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kangyun::testing
