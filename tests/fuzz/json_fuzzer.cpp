// libFuzzer target: the JSON reader must never crash, and what it accepts must write back to
// text that parses to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "json/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto v = kangyun::json::Parse(text);
  if (!v.ok()) return 0;
  std::string written = kangyun::json::Write(*v);
  auto again = kangyun::json::Parse(written);
  if (!again.ok() || !(*again == *v)) std::abort();
  return 0;
}
