#include "http/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace kangyun::http {
namespace {

int Connect(const std::string& host, int port, int timeout_seconds) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{timeout_seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

HttpResult HttpCall(const std::string& host, int port, const std::string& method,
                    const std::string& target,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    const std::string& body, int timeout_seconds) {
  HttpResult result;
  int fd = Connect(host, port, timeout_seconds);
  if (fd < 0) {
    result.error = "connect failed";
    return result;
  }
  bool has_host = false;
  for (const auto& [k, v] : headers) has_host = has_host || Lower(k) == "host";
  std::string req = method + " " + target + " HTTP/1.1\r\n" +
                    (has_host ? "" : "Host: " + host + ":" + std::to_string(port) + "\r\n") +
                    "Connection: close\r\n";
  bool has_length = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (Lower(k) == "content-length") has_length = true;
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH"))
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  if (!SendAll(fd, req)) {
    // The server may answer (413) before reading the whole body; read what it said.
  }
  std::string raw = ReadAll(fd);
  close(fd);
  auto header_end = raw.find("\r\n\r\n");
  if (header_end == std::string::npos) {
    result.error = "incomplete response: " + raw.substr(0, 200);
    return result;
  }
  std::string head = raw.substr(0, header_end);
  result.body = raw.substr(header_end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() > 12) result.status = std::atoi(status_line.c_str() + 9);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value[0] == ' ') value.erase(0, 1);
      result.headers[Lower(line.substr(0, colon))] = value;
    }
    pos = end + 2;
  }
  return result;
}

std::string RawExchange(const std::string& host, int port, const std::string& bytes,
                        int timeout_seconds) {
  int fd = Connect(host, port, timeout_seconds);
  if (fd < 0) return "";
  SendAll(fd, bytes);
  std::string out = ReadAll(fd);
  close(fd);
  return out;
}

bool ParseHttpUrl(const std::string& text, Url* url) {
  const std::string scheme = "http://";
  if (text.compare(0, scheme.size(), scheme) != 0) return false;
  std::string rest = text.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  url->path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!url->path.empty() && url->path.back() == '/') url->path.pop_back();
  size_t colon = authority.rfind(':');
  url->host = authority.substr(0, colon);
  url->port = 80;
  if (colon != std::string::npos) {
    std::string port = authority.substr(colon + 1);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos) return false;
    url->port = std::atoi(port.c_str());
  }
  if (url->host == "localhost") url->host = "127.0.0.1";
  return !url->host.empty() && url->port > 0 && url->port < 65536;
}

}  // namespace kangyun::http
