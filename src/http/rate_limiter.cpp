#include "http/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace kangyun::http {

std::optional<int> RateLimiter::Take(const std::string& key, int64_t now) {
  std::lock_guard lock(mu_);
  // Buckets that have filled up again say nothing a new bucket would not: drop them when the
  // map grows, so that many passing clients do not pile up.
  if (buckets_.size() > 100000) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      double refilled = it->second.tokens + (now - it->second.at) / 1e6 * rate_;
      it = refilled >= burst_ ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + std::max<int64_t>(0, now - b.at) / 1e6 * rate_);
  b.at = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / rate_)));
}

bool ConnectionCounter::Open(const std::string& address) {
  if (max_ <= 0) return true;
  std::lock_guard lock(mu_);
  int& n = open_[address];
  if (n >= max_) return false;
  ++n;
  return true;
}

void ConnectionCounter::Close(const std::string& address) {
  if (max_ <= 0) return;
  std::lock_guard lock(mu_);
  auto it = open_.find(address);
  if (it != open_.end() && --it->second <= 0) open_.erase(it);
}

}  // namespace kangyun::http
