#include "http/outbound.h"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>

namespace kangyun::http {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMillis(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool WaitFor(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  return poll(&p, 1, RemainingMillis(deadline)) == 1;
}

// A connected non-blocking socket, or -1 with *error set.
int Connect(const std::string& host, int port, Clock::time_point deadline, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    *error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
  *error = "no address for " + host;
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) return fd;
    if (errno == EINPROGRESS && WaitFor(fd, POLLOUT, deadline)) {
      int so_error = 0;
      socklen_t len = sizeof so_error;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error == 0) return fd;
      *error =
          "cannot connect to " + host + ":" + std::to_string(port) + ": " + std::strerror(so_error);
    } else {
      *error = "cannot connect to " + host + ":" + std::to_string(port) + ": " +
               (errno == EINPROGRESS ? "timed out" : std::strerror(errno));
    }
    close(fd);
  }
  return -1;
}

// The connection, plain or TLS: one interface for writing and reading with a deadline.
class Channel {
 public:
  Channel(int fd, Clock::time_point deadline) : fd_(fd), deadline_(deadline) {}
  ~Channel() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    close(fd_);
  }

  bool StartTls(const std::string& host, const std::string& ca_file, std::string* error) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) return Fail("TLS unavailable", error);
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_)
                                 : SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    if (loaded != 1) return Fail("cannot load trusted certificates", error);
    ssl_ = SSL_new(ctx_);
    if (!ssl_) return Fail("TLS unavailable", error);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, host.c_str());
    SSL_set1_host(ssl_, host.c_str());
    while (true) {
      int rc = SSL_connect(ssl_);
      if (rc == 1) return true;
      if (!Wait(SSL_get_error(ssl_, rc))) {
        long verify = SSL_get_verify_result(ssl_);
        return Fail(verify != X509_V_OK ? std::string("certificate not trusted: ") +
                                              X509_verify_cert_error_string(verify)
                                        : "TLS handshake failed",
                    error);
      }
    }
  }

  bool Write(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n;
      if (ssl_) {
        int rc = SSL_write(ssl_, data.data() + sent, static_cast<int>(data.size() - sent));
        if (rc <= 0) {
          if (!Wait(SSL_get_error(ssl_, rc))) return false;
          continue;
        }
        n = rc;
      } else {
        n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) {
          if (!WaitFor(fd_, POLLOUT, deadline_)) return false;
          continue;
        }
        if (n <= 0) return false;
      }
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Appends what arrives; false at the end of the stream or the deadline.
  bool Read(std::string* out) {
    char buf[16384];
    while (true) {
      ssize_t n;
      if (ssl_) {
        int rc = SSL_read(ssl_, buf, sizeof buf);
        if (rc <= 0) {
          if (!Wait(SSL_get_error(ssl_, rc))) return false;
          continue;
        }
        n = rc;
      } else {
        n = recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && errno == EAGAIN) {
          if (!WaitFor(fd_, POLLIN, deadline_)) return false;
          continue;
        }
        if (n <= 0) return false;
      }
      out->append(buf, static_cast<size_t>(n));
      return true;
    }
  }

 private:
  bool Wait(int ssl_error) {
    if (ssl_error == SSL_ERROR_WANT_READ) return WaitFor(fd_, POLLIN, deadline_);
    if (ssl_error == SSL_ERROR_WANT_WRITE) return WaitFor(fd_, POLLOUT, deadline_);
    return false;
  }
  static bool Fail(const std::string& why, std::string* error) {
    *error = why;
    ERR_clear_error();
    return false;
  }

  int fd_;
  Clock::time_point deadline_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

}  // namespace

bool ParseOutboundUrl(const std::string& text, OutboundUrl* url) {
  std::string rest;
  if (text.starts_with("https://")) {
    url->tls = true;
    rest = text.substr(8);
  } else if (text.starts_with("http://")) {
    url->tls = false;
    rest = text.substr(7);
  } else {
    return false;
  }
  size_t end = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, end);
  std::string target = end == std::string::npos ? "/" : rest.substr(end);
  if (size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  if (target.empty() || target[0] != '/') target = "/" + target;
  url->target = target;
  if (authority.find('@') != std::string::npos) return false;  // no credentials in URLs
  url->port = url->tls ? 443 : 80;
  std::string host, port;
  if (!authority.empty() && authority[0] == '[') {  // [::1]:8080
    size_t close = authority.find(']');
    if (close == std::string::npos) return false;
    host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty() && after[0] != ':') return false;
    if (!after.empty()) port = after.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
    url->port = std::stoi(port);
  }
  url->host = host;
  return !url->host.empty() && url->port > 0 && url->port < 65536 &&
         url->host.find_first_of(" \t\r\n/") == std::string::npos;
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

OutboundResult OutboundCall(const OutboundUrl& url, const std::string& method,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body, const OutboundOptions& options) {
  OutboundResult result;
  auto deadline = Clock::now() + std::chrono::seconds(options.timeout_seconds);
  int fd = Connect(url.host, url.port, deadline, &result.error);
  if (fd < 0) return result;
  Channel channel(fd, deadline);
  if (url.tls && !channel.StartTls(url.host, options.ca_file, &result.error)) return result;
  bool default_port = url.port == (url.tls ? 443 : 80);
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  std::string request = method + " " + url.target + " HTTP/1.1\r\nHost: " + host +
                        (default_port ? "" : ":" + std::to_string(url.port)) +
                        "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n" + body;
  if (!channel.Write(request)) {
    result.error = "the endpoint stopped receiving the request";
    return result;
  }
  std::string answer;
  while (answer.find("\r\n") == std::string::npos && answer.size() < 8192)
    if (!channel.Read(&answer)) break;
  // "HTTP/1.1 200 OK"
  if (answer.size() >= 12 && answer.starts_with("HTTP/1.")) {
    int status = std::atoi(answer.c_str() + 9);
    if (status >= 100 && status < 600) {
      result.status = status;
      return result;
    }
  }
  result.error = answer.empty()
                     ? "no answer within " + std::to_string(options.timeout_seconds) + " s"
                     : "not an HTTP answer";
  return result;
}

}  // namespace kangyun::http
