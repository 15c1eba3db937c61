// The one logging facility: timestamped lines on stderr. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string_view>

namespace kangyun {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

void SetLogLevel(LogLevel level);
void Log(LogLevel level, std::string_view message);

// Log for a place that may fail at every request while something it needs is down (a store
// that cannot be reached): at most one line a second, which says how many were left out
// since the one before. Thread-safe; one per place, usually a function's static.
class ThrottledLog {
 public:
  explicit ThrottledLog(LogLevel level) : level_(level) {}
  void operator()(std::string_view message);

 private:
  static constexpr int64_t kIntervalMicros = 1'000'000;
  LogLevel level_;
  std::mutex mu_;
  int64_t last_ = 0;
  int64_t left_out_ = 0;
};

}  // namespace kangyun
