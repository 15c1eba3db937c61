// Search result lists kept in memory for paging, for a store whose server is one process
// (the embedded SQLite store). Thread-safe; bounded: the sets closest to expiry go first.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kangyun::store {

class ResultSetCache {
 public:
  // 4 million rows are 32 MB: the paging lists of 400 searches of 10,000 matches. A server
  // answering thousands of large searches a second drops the oldest lists (their next pages
  // answer 410, search again) instead of growing.
  explicit ResultSetCache(size_t max_rows = 4'000'000) : max_rows_(max_rows) {}

  void Put(const std::string& id, std::vector<int64_t> rids, int64_t expires_at);
  // Rows [offset, offset + count) of a set, or nullopt when it is unknown or expired at `now`.
  std::optional<std::vector<int64_t>> Get(const std::string& id, int64_t offset, int64_t count,
                                          int64_t now);

 private:
  struct Entry {
    std::vector<int64_t> rids;
    int64_t expires_at;
  };
  void Erase(const std::string& id);  // REQUIRES: mu_
  std::mutex mu_;
  std::unordered_map<std::string, Entry> sets_;
  std::set<std::pair<int64_t, std::string>> by_expiry_;  // (expires_at, id) of every set
  size_t rows_ = 0;
  size_t max_rows_;
};

}  // namespace kangyun::store
