#include "base/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

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

}  // namespace kangyun
