#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace kangyun::cli {
namespace {

std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

Progress::Progress(std::string what, std::string unit, int64_t total)
    : what_(std::move(what)),
      unit_(std::move(unit)),
      total_(total),
      terminal_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {
  const char* env = std::getenv("KANGYUN_PROGRESS_SECONDS");
  interval_ = terminal_ ? 0.2 : 5.0;
  if (env && *env) interval_ = std::max(0.0, std::atof(env));
}

Progress::~Progress() { Finish(); }

std::string Progress::Duration(double seconds) {
  auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  return buf;
}

void Progress::Update(int64_t done, double share) {
  std::lock_guard lock(mu_);
  if (finished_) return;
  done_ = done;
  share_ = share;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (elapsed - last_shown_ < interval_) return;
  last_shown_ = elapsed;
  Show(elapsed);
}

void Progress::Finish() {
  std::lock_guard lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (terminal_ && shown_) std::fputs("\r\033[K", stderr);  // the summary line takes its place
}

void Progress::Show(double elapsed) {
  double share = share_ >= 0 ? share_ : total_ > 0 ? static_cast<double>(done_) / total_ : -1;
  if (share > 1) share = 1;
  std::string line = what_ + " ";
  if (share >= 0) {
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3.0f%% ", share * 100);
    line += pct;
    if (terminal_) {
      constexpr int kWidth = 24;
      int filled = static_cast<int>(share * kWidth);
      line += "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
    }
  }
  if (!unit_.empty()) {
    line += Grouped(done_);
    if (total_ > 0) line += "/" + Grouped(total_);
    line += " " + unit_;
    if (elapsed > 0) line += "  " + Grouped(static_cast<int64_t>(done_ / elapsed)) + "/s";
    line += " ";
  }
  line += " " + Duration(elapsed);
  if (share > 0.001 && share < 1) line += ", " + Duration(elapsed * (1 - share) / share) + " left";
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
  shown_ = true;
}

}  // namespace kangyun::cli
