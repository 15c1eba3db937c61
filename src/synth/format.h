// printf-style formatting into a std::string, for the generator's ids, names and numbers.
#pragma once

#include <cstdio>
#include <string>

namespace kangyun::synth {

// REQUIRES: the result fits in 255 bytes (ids, names and numbers of the generator do).
template <typename... Args>
std::string Format(const char* pattern, Args... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, pattern, args...);
  return buf;
}

}  // namespace kangyun::synth
