#include "tests/support/hook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace kangyun::testing {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads one request; false when the peer closed early.
bool ReadRequest(int fd, std::string* head, std::string* body) {
  std::string data;
  char buf[16384];
  size_t header_end = std::string::npos;
  size_t length = 0;
  while (true) {
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::string lower = Lower(data.substr(0, header_end));
        size_t cl = lower.find("content-length:");
        if (cl != std::string::npos) length = std::strtoull(lower.c_str() + cl + 15, nullptr, 10);
      }
    }
    if (header_end != std::string::npos && data.size() >= header_end + 4 + length) break;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    data.append(buf, static_cast<size_t>(n));
  }
  *head = data.substr(0, header_end);
  *body = data.substr(header_end + 4, length);
  return true;
}

}  // namespace

HookReceiver::HookReceiver() { Listen(); }

HookReceiver::~HookReceiver() { Down(); }

std::string HookReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HookReceiver::Listen() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 128) != 0) {
    close(fd);
    std::abort();
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  listener_ = fd;
  stop_ = false;
  thread_ = std::thread([this, fd] { Serve(fd); });
}

void HookReceiver::Serve(int listener) {
  while (!stop_) {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 50) != 1) continue;
    int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    std::string head, body;
    bool read = ReadRequest(fd, &head, &body);
    while (read && stalled_ && !stop_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (read && !stop_) {
      int status = status_;
      if (status >= 200 && status < 300) {
        Received r;
        r.body = body;
        r.at = std::chrono::steady_clock::now();
        size_t pos = head.find("\r\n");
        while (pos != std::string::npos && pos + 2 < head.size()) {
          size_t end = head.find("\r\n", pos + 2);
          std::string line = head.substr(pos + 2, end == std::string::npos ? end : end - pos - 2);
          size_t colon = line.find(':');
          if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            r.headers.emplace_back(Lower(line.substr(0, colon)), value);
          }
          pos = end;
        }
        std::function<void(const std::string&)> notify;
        {
          std::lock_guard lock(mu_);
          accepted_.push_back(std::move(r));
          notify = on_accepted_;
        }
        if (notify) notify(body);
      }
      std::string answer = "HTTP/1.1 " + std::to_string(status) +
                           " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
    close(fd);
  }
}

void HookReceiver::Down() {
  if (listener_ < 0) return;
  stop_ = true;
  thread_.join();
  close(listener_);
  listener_ = -1;
}

void HookReceiver::Up() {
  if (listener_ >= 0) return;
  Listen();
}

std::vector<HookReceiver::Received> HookReceiver::Accepted() {
  std::lock_guard lock(mu_);
  return accepted_;
}

size_t HookReceiver::accepted_count() {
  std::lock_guard lock(mu_);
  return accepted_.size();
}

void HookReceiver::OnAccepted(std::function<void(const std::string&)> f) {
  std::lock_guard lock(mu_);
  on_accepted_ = std::move(f);
}

}  // namespace kangyun::testing
