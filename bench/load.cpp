// kangyun-load: a small closed-loop HTTP load generator for `make bench`. Each connection is
// kept alive and sends its next request when the previous answer has arrived; latencies are
// recorded per request. Only for loopback targets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Connection {
  int fd = -1;
  std::string buffer;

  bool Open(int port) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    return connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }

  // Sends one request and reads one response; returns the status (0 on failure).
  int Exchange(const std::string& request, std::string* body) {
    size_t sent = 0;
    while (sent < request.size()) {
      ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return 0;
      sent += static_cast<size_t>(n);
    }
    char chunk[65536];
    while (true) {
      auto end = buffer.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        auto cl = buffer.find("Content-Length: ");
        if (cl == std::string::npos) cl = buffer.find("content-length: ");
        if (cl != std::string::npos && cl < end)
          length = std::strtoul(buffer.c_str() + cl + 16, nullptr, 10);
        if (buffer.size() >= end + 4 + length) {
          int status = std::atoi(buffer.c_str() + 9);
          if (body) *body = buffer.substr(end + 4, length);
          buffer.erase(0, end + 4 + length);
          return status;
        }
      }
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return 0;
      buffer.append(chunk, static_cast<size_t>(n));
    }
  }
};

struct Stats {
  std::vector<double> latencies_ms;
  int errors = 0;
  double seconds = 0;
};

std::string Request(const std::string& method, const std::string& target, const std::string& body) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!body.empty())
    r += "Content-Type: application/fhir+json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n";
  return r + "\r\n" + body;
}

// Runs `total` requests over `connections` connections; make(i) builds request i.
template <typename Make>
Stats Run(int port, int connections, int total, Make make,
          std::vector<std::string>* bodies = nullptr) {
  Stats stats;
  std::mutex mu;
  std::atomic<int> next{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&] {
      Connection conn;
      if (!conn.Open(port)) {
        std::lock_guard lock(mu);
        ++stats.errors;
        return;
      }
      std::vector<double> local;
      std::vector<std::string> local_bodies;
      int errors = 0;
      while (true) {
        int i = next.fetch_add(1);
        if (i >= total) break;
        std::string body;
        auto t0 = Clock::now();
        int status = conn.Exchange(make(i), &body);
        auto t1 = Clock::now();
        local.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        if (status < 200 || status >= 300) ++errors;
        if (bodies) local_bodies.push_back(std::move(body));
        if (status == 0) break;
      }
      close(conn.fd);
      std::lock_guard lock(mu);
      stats.latencies_ms.insert(stats.latencies_ms.end(), local.begin(), local.end());
      stats.errors += errors;
      if (bodies) bodies->insert(bodies->end(), local_bodies.begin(), local_bodies.end());
    });
  }
  for (auto& t : threads) t.join();
  stats.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return stats;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void Report(const char* name, int connections, const Stats& s, FILE* json, bool* first) {
  double rps = static_cast<double>(s.latencies_ms.size()) / s.seconds;
  double p50 = Percentile(s.latencies_ms, 0.50), p99 = Percentile(s.latencies_ms, 0.99);
  std::printf("%-34s %5d %10.0f %9.2f %9.2f %7d\n", name, connections, rps, p50, p99, s.errors);
  std::fprintf(json,
               "%s\n    {\"workload\": \"%s\", \"connections\": %d, \"requests_per_second\": %.1f, "
               "\"p50_ms\": %.3f, \"p99_ms\": %.3f, \"errors\": %d}",
               *first ? "" : ",", name, connections, rps, p50, p99, s.errors);
  *first = false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: kangyun-load PORT RESULTS.json [N]\n");
    return 2;
  }
  int port = std::atoi(argv[1]);
  int n = argc > 3 ? std::atoi(argv[3]) : 20000;
  FILE* json = std::fopen(argv[2], "w");
  if (!json) return 1;
  std::fprintf(json, "{\n  \"results\": [");
  bool first = true;
  std::printf("%-34s %5s %10s %9s %9s %7s\n", "workload", "conns", "req/s", "p50 ms", "p99 ms",
              "errors");

  auto patient = [](int i) {
    return std::string(
               R"({"resourceType":"Patient","identifier":[{"system":"urn:bench","value":")") +
           std::to_string(i) + R"("}],"name":[{"family":"王","given":["测试)" +
           std::to_string(i % 997) + R"("]}],"gender":")" + (i % 2 ? "male" : "female") +
           R"(","birthDate":")" + std::to_string(1930 + i % 90) + R"(-0)" +
           std::to_string(1 + i % 9) + R"(-1)" + std::to_string(i % 10) + R"("})";
  };
  std::vector<std::string> created;
  Stats create1 =
      Run(port, 1, n / 10, [&](int i) { return Request("POST", "/fhir/Patient", patient(i)); });
  Report("create Patient", 1, create1, json, &first);
  Stats create8 = Run(
      port, 8, n, [&](int i) { return Request("POST", "/fhir/Patient", patient(n + i)); },
      &created);
  Report("create Patient", 8, create8, json, &first);
  std::vector<std::string> ids;
  for (const std::string& b : created) {
    auto p = b.find("\"id\":\"");
    if (p != std::string::npos) ids.push_back(b.substr(p + 6, b.find('"', p + 6) - p - 6));
  }
  if (ids.empty()) {
    std::fprintf(stderr, "no resources were created\n");
    return 1;
  }
  for (int conns : {1, 32}) {
    Stats read = Run(port, conns, n, [&](int i) {
      return Request("GET", "/fhir/Patient/" + ids[static_cast<size_t>(i) % ids.size()], "");
    });
    Report("read Patient by id", conns, read, json, &first);
  }
  Stats search_token = Run(port, 8, n / 4, [&](int i) {
    return Request("GET", "/fhir/Patient?identifier=urn:bench|" + std::to_string(n + i % n), "");
  });
  Report("search Patient?identifier=", 8, search_token, json, &first);
  Stats search_date = Run(port, 8, n / 20, [&](int i) {
    return Request(
        "GET",
        "/fhir/Patient?birthdate=" + std::to_string(1930 + i % 90) + "-03&gender=male&_count=10",
        "");
  });
  Report("search birthdate=YYYY-MM&gender=", 8, search_date, json, &first);
  std::fprintf(json, "\n  ]\n}\n");
  std::fclose(json);
  return create8.errors + search_token.errors > 0 ? 1 : 0;
}
