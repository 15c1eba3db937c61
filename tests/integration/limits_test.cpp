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

TEST(Limits, OneAddressHoldsNoMoreConnectionsThanItsShare) {
  ServerProcess server(KANGYUN_BINARY, ScratchDb("conn.db"),
                       {"--max-connections-per-address", "3"});
  ASSERT_TRUE(server.ok());
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(server.port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    held.push_back(fd);
  }
  // Once the server has accepted the three (it does so asynchronously), a fourth is closed at
  // once: the request gets no answer.
  int status = -1;
  for (int attempt = 0; attempt < 30 && status != 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = HttpCall("127.0.0.1", server.port(), "GET", "/healthz", {}, "", 3).status;
  }
  EXPECT_EQ(status, 0);
  for (int fd : held) close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(HttpCall("127.0.0.1", server.port(), "GET", "/healthz", {}, "").status, 200);
}

}  // namespace
}  // namespace kangyun::testing
