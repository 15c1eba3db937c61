// kangyun-load: a closed-loop HTTP load generator for `make bench`. Each connection is kept
// alive and sends its next request when the previous answer has arrived; latencies are
// recorded per request. Requests come from a targets file, one per line, taken in turn:
//   GET /fhir/Patient/pat-1
//   POST /fhir/Observation<TAB>{"resourceType":"Observation",...}
// Only for loopback targets.
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
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>
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
  int Exchange(const std::string& request) {
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

// Percent-encodes what may not appear raw in a request target (non-ASCII, spaces, |).
std::string EncodeTarget(const std::string& target) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : target) {
    if (c >= 0x80 || c == ' ' || c == '|') {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// `headers`: lines such as "Authorization: Bearer …" sent with every request.
std::vector<std::string> ReadTargets(const char* path, const std::string& headers) {
  std::vector<std::string> requests;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto space = line.find(' ');
    auto tab = line.find('\t');
    std::string method = line.substr(0, space);
    std::string target = line.substr(space + 1, tab == std::string::npos ? tab : tab - space - 1);
    std::string body = tab == std::string::npos ? "" : line.substr(tab + 1);
    std::string r =
        method + " " + EncodeTarget(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers;
    if (!body.empty())
      r += "Content-Type: application/fhir+json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n";
    requests.push_back(r + "\r\n" + body);
  }
  return requests;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> ports;  // connections go to them in turn (several servers on one database)
  int connections = 1;
  long long requests = 0;
  double seconds = 0;
  int expect = 0;  // the status every answer should have; 0: any 2xx
  std::string name = "workload", system = "kangyun", json_path, targets_path, headers;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool v = i + 1 < argc;
    if (a == "--port" && v) {
      for (std::string_view rest = argv[++i]; !rest.empty();) {
        size_t comma = rest.find(',');
        ports.push_back(std::atoi(std::string(rest.substr(0, comma)).c_str()));
        rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
      }
    } else if (a == "--system" && v)
      system = argv[++i];
    else if (a == "--connections" && v)
      connections = std::atoi(argv[++i]);
    else if (a == "--requests" && v)
      requests = std::atoll(argv[++i]);
    else if (a == "--seconds" && v)
      seconds = std::atof(argv[++i]);
    else if (a == "--name" && v)
      name = argv[++i];
    else if (a == "--json" && v)
      json_path = argv[++i];
    else if (a == "--expect" && v)
      expect = std::atoi(argv[++i]);
    else if (a == "--header" && v)
      headers += std::string(argv[++i]) + "\r\n";
    else
      targets_path = a;
  }
  bool ports_ok = !ports.empty();
  for (int p : ports) ports_ok = ports_ok && p > 0;
  if (!ports_ok || targets_path.empty() || (requests <= 0 && seconds <= 0)) {
    std::fprintf(
        stderr,
        "usage: kangyun-load --port P[,P...] [--connections C] (--requests N | --seconds S)\n"
        "                    [--name NAME] [--system NAME] [--json RESULTS.ndjson]\n"
        "                    [--header 'NAME: VALUE']... [--expect STATUS] TARGETS\n");
    return 2;
  }
  std::vector<std::string> targets = ReadTargets(targets_path.c_str(), headers);
  if (targets.empty()) {
    std::fprintf(stderr, "kangyun-load: no requests in %s\n", targets_path.c_str());
    return 2;
  }

  std::mutex mu;
  std::vector<double> latencies;
  long long errors = 0;
  std::atomic<long long> next{0};
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(seconds > 0 ? seconds : 1e9));
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    int port = ports[static_cast<size_t>(c) % ports.size()];
    threads.emplace_back([&, port] {
      Connection conn;
      std::vector<double> local;
      long long local_errors = 0;
      if (conn.Open(port)) {
        while (true) {
          long long i = next.fetch_add(1);
          if (requests > 0 && i >= requests) break;
          auto t0 = Clock::now();
          if (t0 >= deadline) break;
          int status = conn.Exchange(targets[static_cast<size_t>(i) % targets.size()]);
          local.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          bool expected = expect ? status == expect : status >= 200 && status < 300;
          if (!expected) ++local_errors;
          if (status == 0) break;
        }
        close(conn.fd);
      } else {
        ++local_errors;
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), local.begin(), local.end());
      errors += local_errors;
    });
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  double rps = static_cast<double>(latencies.size()) / elapsed;
  double p50 = Percentile(latencies, 0.50), p99 = Percentile(latencies, 0.99);
  std::printf("%-44s %5d %9.0f %8.2f %8.2f %6lld\n", name.c_str(), connections, rps, p50, p99,
              errors);
  std::fflush(stdout);
  if (!json_path.empty()) {
    FILE* json = std::fopen(json_path.c_str(), "a");
    if (!json) return 1;
    std::fprintf(json,
                 "{\"workload\":\"%s\",\"system\":\"%s\",\"connections\":%d,"
                 "\"requests\":%zu,\"perSecond\":%.1f,\"p50ms\":%.3f,\"p99ms\":%.3f,"
                 "\"errors\":%lld}\n",
                 name.c_str(), system.c_str(), connections, latencies.size(), rps, p50, p99,
                 errors);
    std::fclose(json);
  }
  return errors > 0 ? 1 : 0;
}
