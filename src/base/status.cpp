#include "base/status.h"

namespace kangyun {

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = message_;
  if (!expression_.empty()) s += " (at " + expression_ + ")";
  return s;
}

}  // namespace kangyun
