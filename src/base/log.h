// The one logging facility: timestamped lines on stderr. Thread-safe.
#pragma once

#include <string_view>

namespace kangyun {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

void SetLogLevel(LogLevel level);
void Log(LogLevel level, std::string_view message);

}  // namespace kangyun
