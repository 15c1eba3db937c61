// Requests per second per client, as token buckets: each client may send `rate` requests a
// second on average and `burst` at once; beyond that it is told when to come back (429 with
// Retry-After). Thread-safe. Clients are keyed by the caller: the token's subject, or the
// network address before authentication.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace kangyun::http {

class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}

  // Takes one request from key's bucket at now (micros): nullopt when allowed, else the
  // whole seconds until one is.
  std::optional<int> Take(const std::string& key, int64_t now);

 private:
  struct Bucket {
    double tokens;
    int64_t at;
  };
  double rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// Open connections per network address, capped: one address cannot take every connection.
class ConnectionCounter {
 public:
  explicit ConnectionCounter(int max_per_address) : max_(max_per_address) {}
  // False (nothing counted) when the address is at its cap.
  bool Open(const std::string& address);
  void Close(const std::string& address);

 private:
  int max_;
  std::mutex mu_;
  std::unordered_map<std::string, int> open_;
};

}  // namespace kangyun::http
