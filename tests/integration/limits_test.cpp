// Limits per client: a client past its request rate gets 429 with Retry-After while others
// are served, and is served again once it waits; one address cannot hold more connections
// than its share.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

namespace fs = std::filesystem;

std::string ScratchDb(const std::string& name) {
  static const std::string dir = ScratchFolder("kangyun-limits");
  return (fs::path(dir) / name).string();
}

TEST(Limits, AClientPastItsRateIsToldWhenToComeBack) {
  ServerProcess server(KANGYUN_BINARY, ScratchDb("rate.db"), {"--rate-limit", "5"});
  ASSERT_TRUE(server.ok());
  int ok = 0, limited = 0;
  std::string retry_after;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 30; ++i) {
    HttpResult r = HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient?_count=1", {}, "");
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited;
      retry_after = r.headers["retry-after"];
      EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos);
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A burst of twice the rate passes, then the rate refills it (a slow machine, or a
  // sanitizer build, refills more while the loop runs).
  EXPECT_GE(ok, 10);
  EXPECT_LE(ok, 10 + static_cast<int>(5 * seconds) + 1);
  EXPECT_EQ(ok + limited, 30);
  if (seconds < 3) {
    EXPECT_GT(limited, 0);
    EXPECT_EQ(retry_after, "1");
  }
  EXPECT_EQ(HttpCall("127.0.0.1", server.port(), "GET", "/healthz", {}, "").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient?_count=1", {}, "").status,
            200);
}

// A connection the server has answered on and keeps open: the answer proves the server
// accepted and counted it. A connection the kernel completed but the server closed at once (its
// share was still taken by an earlier connection being torn down) fails and is made again.
int HeldConnection(int port) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      const std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      char answer[512];
      if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
              static_cast<ssize_t>(request.size()) &&
          recv(fd, answer, sizeof answer, 0) > 0)
        return fd;
    }
    close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

TEST(Limits, OneAddressHoldsNoMoreConnectionsThanItsShare) {
  ServerProcess server(KANGYUN_BINARY, ScratchDb("conn.db"),
                       {"--max-connections-per-address", "3"});
  ASSERT_TRUE(server.ok());
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(HeldConnection(server.port()));
    ASSERT_GE(held.back(), 0);
  }
  // The three are open on the server: a fourth is closed at once, its request unanswered.
  EXPECT_EQ(HttpCall("127.0.0.1", server.port(), "GET", "/healthz", {}, "", 3).status, 0);
  for (int fd : held) close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(HttpCall("127.0.0.1", server.port(), "GET", "/healthz", {}, "").status, 200);
}

}  // namespace
}  // namespace kangyun::testing
