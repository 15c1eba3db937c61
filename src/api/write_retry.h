// Running a write again when the store aborted it in a deadlock. Internal to api/.
#pragma once

#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include "base/status.h"

namespace kangyun::api {

// A write transaction that the store aborted because it met another in a cycle
// (StatusCode::kAborted) changed nothing, so it is run again: up to four times in all, each
// after a random pause that grows, so that the two writers do not meet again at once. `run`
// begins, does and commits the whole transaction each time.
template <class Run>
auto RetryAborted(Run&& run) -> decltype(run()) {
  constexpr int kAttempts = 4;
  thread_local std::minstd_rand random(
      static_cast<unsigned>(std::hash<std::thread::id>()(std::this_thread::get_id())));
  for (int attempt = 1;; ++attempt) {
    auto result = run();
    if (result.ok() || result.status().code() != StatusCode::kAborted || attempt == kAttempts)
      return result;
    std::uniform_int_distribution<int> pause(0, 2000 << attempt);  // microseconds
    std::this_thread::sleep_for(std::chrono::microseconds(pause(random)));
  }
}

}  // namespace kangyun::api
