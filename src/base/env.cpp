#include "base/env.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace kangyun {
namespace {

class RealClock : public Clock {
 public:
  int64_t NowMicros() override {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  }
};

class UuidSource : public IdSource {
 public:
  UuidSource() : rng_(std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32)) {}
  std::string NewId() override {
    uint64_t a, b;
    {
      std::lock_guard lock(mu_);
      a = rng_();
      b = rng_();
    }
    a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
    b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 1
    char buf[37];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", unsigned(a >> 32),
                  unsigned((a >> 16) & 0xffff), unsigned(a & 0xffff), unsigned(b >> 48),
                  static_cast<unsigned long long>(b & 0xffffffffffffULL));
    return buf;
  }

 private:
  std::mutex mu_;
  std::mt19937_64 rng_;
};

std::tm ToTm(int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

}  // namespace

std::unique_ptr<Clock> SystemClock() { return std::make_unique<RealClock>(); }
std::unique_ptr<IdSource> RandomIdSource() { return std::make_unique<UuidSource>(); }

std::string FormatInstant(int64_t micros) {
  std::tm tm = ToTm(micros);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((micros / 1000) % 1000));
  return buf;
}

std::string FormatHttpDate(int64_t micros) {
  std::tm tm = ToTm(micros);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace kangyun
