#include "base/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "base/env.h"

namespace kangyun {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_mu;
}  // namespace

void SetLogLevel(LogLevel level) { g_level = level; }

void Log(LogLevel level, std::string_view message) {
  if (level < g_level.load()) return;
  static const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  auto now = SystemClock()->NowMicros();
  std::lock_guard lock(g_mu);
  std::fprintf(stderr, "%s %s %.*s\n", FormatInstant(now).c_str(), kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
}

void ThrottledLog::operator()(std::string_view message) {
  int64_t now = SystemClock()->NowMicros();
  int64_t left_out = 0;
  {
    std::lock_guard lock(mu_);
    if (last_ != 0 && now - last_ < kIntervalMicros) {
      ++left_out_;
      return;
    }
    last_ = now;
    left_out = left_out_;
    left_out_ = 0;
  }
  if (left_out == 0)
    Log(level_, message);
  else
    Log(level_, std::string(message) + " (and " + std::to_string(left_out) +
                    " more from here since the last line)");
}

}  // namespace kangyun
