// The harness that starts servers for the other tests: the ports it picks must not be ones
// the kernel can hand to an outgoing connection meanwhile (a server of a PostgreSQL run once
// failed to start because its port had become a client connection's).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

TEST(ServerProcess, PicksListenablePortsBelowTheEphemeralRange) {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int first_ephemeral = 0;
  ASSERT_TRUE(range >> first_ephemeral);
  std::set<int> seen;
  for (int i = 0; i < 20; ++i) {
    int port = FreePort();
    EXPECT_GE(port, 1024);
    EXPECT_LT(port, first_ephemeral);
    seen.insert(port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << port;
    EXPECT_EQ(listen(fd, 1), 0) << port;
    close(fd);
  }
  // Drawn at random, so test processes running side by side rarely try the same one.
  EXPECT_GT(seen.size(), 15u);
}

}  // namespace
}  // namespace kangyun::testing
