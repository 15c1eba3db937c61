// How far a long command is, on stderr: on a terminal a bar redrawn in place; otherwise (a log,
// CI) a line every few seconds ($KANGYUN_PROGRESS_SECONDS, 5). Each says what is done, the rate
// and, once the share done is known, the time left. A million Patients take minutes to load:
// a command silent until it ends looks hung.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace kangyun::cli {

class Progress {
 public:
  // "loading", "resources"; `total` when the count is known beforehand (0: not known, the share
  // done comes with each Update, or there is none). Without a unit only the share is shown.
  Progress(std::string what, std::string unit, int64_t total = 0);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` units so far; `share` in [0, 1] when it is known other than as done/total (bytes of
  // the input read, say). Thread-safe; cheap when nothing is due to be shown.
  void Update(int64_t done, double share = -1);
  // Ends the bar (a terminal's line is left to the command's own summary).
  void Finish();

  // "1:05", "2:03:17".
  static std::string Duration(double seconds);

 private:
  void Show(double elapsed);

  std::string what_, unit_;
  int64_t total_;
  bool terminal_;
  double interval_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  int64_t done_ = 0;
  double share_ = -1;
  double last_shown_ = 0;
  bool shown_ = false, finished_ = false;
};

}  // namespace kangyun::cli
