// Civil dates as day numbers (days since 1970-01-01), for the generator's date arithmetic.
// Times of the city are Beijing time (+08:00).
#pragma once

#include <cstdint>
#include <string>

namespace kangyun::synth {

struct CivilDate {
  int year, month, day;
};

int64_t DaysFromCivil(int year, int month, int day);
CivilDate CivilFromDays(int64_t days);
// YYYY-MM-DD
std::string FormatDate(int64_t days);
// YYYYMMDD, as in a citizen ID number.
std::string FormatCompactDate(int64_t days);
// YYYY-MM-DDThh:mm:ss+08:00
std::string FormatDateTime(int64_t days, int minute_of_day);
// Days from YYYY-MM-DD. REQUIRES: a valid date.
int64_t ParseDate(const std::string& date);

}  // namespace kangyun::synth
