#include "store/result_set_cache.h"

#include <algorithm>

namespace kangyun::store {

void ResultSetCache::Put(const std::string& id, std::vector<int64_t> rids, int64_t expires_at) {
  std::lock_guard lock(mu_);
  Erase(id);
  // The sets closest to expiry go first, found at the front of the expiry order: a full cache
  // is the normal state of a busy server, so this runs for nearly every search.
  while (!by_expiry_.empty() && rows_ + rids.size() > max_rows_) Erase(by_expiry_.begin()->second);
  rows_ += rids.size();
  by_expiry_.emplace(expires_at, id);
  sets_[id] = Entry{std::move(rids), expires_at};
}

void ResultSetCache::Erase(const std::string& id) {
  auto it = sets_.find(id);
  if (it == sets_.end()) return;
  rows_ -= it->second.rids.size();
  by_expiry_.erase({it->second.expires_at, id});
  sets_.erase(it);
}

std::optional<std::vector<int64_t>> ResultSetCache::Get(const std::string& id, int64_t offset,
                                                        int64_t count, int64_t now) {
  std::lock_guard lock(mu_);
  auto it = sets_.find(id);
  if (it == sets_.end()) return std::nullopt;
  if (it->second.expires_at < now) {
    Erase(id);
    return std::nullopt;
  }
  const auto& rids = it->second.rids;
  size_t start =
      static_cast<size_t>(std::clamp<int64_t>(offset, 0, static_cast<int64_t>(rids.size())));
  size_t end = std::min(rids.size(), start + static_cast<size_t>(std::max<int64_t>(count, 0)));
  return std::vector<int64_t>(rids.begin() + static_cast<long>(start),
                              rids.begin() + static_cast<long>(end));
}

}  // namespace kangyun::store
