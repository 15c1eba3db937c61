// Seams for what tests must control: the clock and id generation.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>

namespace kangyun {

// Wall-clock time in microseconds since the Unix epoch (UTC).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMicros() = 0;
};

// Server-assigned resource ids. Thread-safe.
class IdSource {
 public:
  virtual ~IdSource() = default;
  virtual std::string NewId() = 0;
};

std::unique_ptr<Clock> SystemClock();
// Random version-4 UUIDs, seeded from the OS; unguessable, so ids leak no counts.
std::unique_ptr<IdSource> RandomIdSource();

// A clock that tests set by hand.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t micros) : now_(micros) {}
  int64_t NowMicros() override { return now_; }
  void Advance(int64_t micros) { now_ += micros; }

 private:
  std::atomic<int64_t> now_;  // read by background threads (the job runner's) as tests move it
};

// Formats microseconds since the epoch as an R4 instant with millisecond precision:
// "2026-11-23T14:38:00.123Z".
std::string FormatInstant(int64_t micros);
// HTTP-date (RFC 7231), for Last-Modified.
std::string FormatHttpDate(int64_t micros);

}  // namespace kangyun
