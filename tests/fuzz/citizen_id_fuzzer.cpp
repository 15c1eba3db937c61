// libFuzzer target: the citizen ID parser must never crash on any bytes, and a number it
// accepts in the 18-character form must be exactly what its parts make again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cn/citizen_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string number(reinterpret_cast<const char*>(data), size);
  auto info = kangyun::cn::ParseCitizenId(number, "2026-01-01");
  if (!info.ok() || number.size() != 18) return 0;
  std::string birth =
      info->birth_date.substr(0, 4) + info->birth_date.substr(5, 2) + info->birth_date.substr(8, 2);
  int sequence = std::atoi(number.substr(14, 3).c_str());
  std::string made = kangyun::cn::MakeCitizenId(info->region, birth, sequence);
  if (number[17] == 'x') number[17] = 'X';
  if (made != number || info->male != (sequence % 2 == 1)) std::abort();
  return 0;
}
