// Citizen identity numbers (公民身份号码, GB 11643-1999): 6-digit region code (GB/T 2260),
// birth date YYYYMMDD, 3-digit sequence (odd for men, even for women) and an ISO 7064
// MOD 11-2 check character. The legacy 15-digit form has a 2-digit birth year and no check
// character.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace kangyun::cn {

// The check character ('0'-'9' or 'X') of the first 17 digits. REQUIRES: 17 ASCII digits.
char CitizenIdCheckChar(std::string_view first17);

// An 18-digit number from its parts. REQUIRES: region is 6 digits, birth_date is YYYYMMDD,
// 0 <= sequence <= 999.
std::string MakeCitizenId(std::string_view region, std::string_view birth_date, int sequence);

struct CitizenIdInfo {
  std::string region;      // 6 digits
  std::string birth_date;  // YYYY-MM-DD
  bool male = false;
};

// Checks an 18- or 15-digit number: shape, a province-level region code, a real calendar date
// not after `today` (YYYY-MM-DD; "" for no limit), and for 18 digits the check character. The
// error says what is wrong.
Result<CitizenIdInfo> ParseCitizenId(std::string_view number, std::string_view today);

}  // namespace kangyun::cn
