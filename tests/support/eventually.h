// Waits, in real time, for something a background thread or another process does.
#pragma once

#include <chrono>
#include <thread>

namespace kangyun::testing {

// Polls `done` every 10 ms for up to `seconds`; whether it held.
template <class F>
bool Eventually(F done, int seconds = 10) {
  for (int i = 0; i < seconds * 100; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace kangyun::testing
