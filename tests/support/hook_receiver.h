// A subscriber's rest-hook endpoint for tests (and the benchmark): an HTTP server on loopback, in
// the test's process, that keeps every notification posted to it, answers with a status the
// test chooses, and can go down and come back on the same port.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kangyun::testing {

class HookReceiver {
 public:
  HookReceiver();  // listening on a free port
  ~HookReceiver();

  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;

  // The status it answers notifications with (200 by default).
  void Answer(int status) { status_ = status; }
  // Stalled: requests are read and never answered (the connection is held until it is closed
  // by the caller or the stall ends).
  void Stall(bool stalled) { stalled_ = stalled; }
  // Down: the port refuses connections until Up.
  void Down();
  void Up();

  struct Received {
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
    std::chrono::steady_clock::time_point at;
  };
  // What was posted and answered 2xx, in order.
  std::vector<Received> Accepted();
  size_t accepted_count();
  // Called with each accepted body as it arrives (the benchmark's clock).
  void OnAccepted(std::function<void(const std::string&)> f);

 private:
  void Listen();
  void Serve(int listener);

  int port_ = 0;
  std::atomic<int> status_{200};
  std::atomic<bool> stalled_{false};
  std::mutex mu_;
  std::vector<Received> accepted_;
  std::function<void(const std::string&)> on_accepted_;
  int listener_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

}  // namespace kangyun::testing
