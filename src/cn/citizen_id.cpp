#include "cn/citizen_id.h"

#include <cstdio>

namespace kangyun::cn {
namespace {

constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kCheckChars[] = "10X98765432";

bool AllDigits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool IsCalendarDate(int y, int m, int d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1800 || m < 1 || m > 12 || d < 1) return false;
  int max_day = kDays[m - 1] + (m == 2 && IsLeapYear(y) ? 1 : 0);
  return d <= max_day;
}

int Digits(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Province-level codes of GB/T 2260 (the first two digits of a region code), with 81-83 for
// Hong Kong, Macao and Taiwan residents' residence permits (港澳台居民居住证).
bool IsProvince(int code) {
  static constexpr int kProvinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                                       35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                                       53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83};
  for (int p : kProvinces)
    if (p == code) return true;
  return false;
}

}  // namespace

char CitizenIdCheckChar(std::string_view first17) {
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return kCheckChars[sum % 11];
}

std::string MakeCitizenId(std::string_view region, std::string_view birth_date, int sequence) {
  char seq[4];
  std::snprintf(seq, sizeof seq, "%03d", sequence);
  std::string id;
  id.reserve(18);
  id.append(region).append(birth_date).append(seq);
  id.push_back(CitizenIdCheckChar(id));
  return id;
}

Result<CitizenIdInfo> ParseCitizenId(std::string_view number, std::string_view today) {
  std::string_view birth, sequence;
  if (number.size() == 18) {
    if (!AllDigits(number.substr(0, 17)))
      return Invalid("a citizen ID number has 17 digits before its check character");
    char last = number[17] == 'x' ? 'X' : number[17];
    if (last != CitizenIdCheckChar(number.substr(0, 17)))
      return Invalid("the check character of citizen ID number " + std::string(number) +
                     " should be " + std::string(1, CitizenIdCheckChar(number.substr(0, 17))));
    birth = number.substr(6, 8);
    sequence = number.substr(14, 3);
  } else if (number.size() == 15) {
    if (!AllDigits(number)) return Invalid("a 15-digit citizen ID number has only digits");
    birth = number.substr(6, 6);
    sequence = number.substr(12, 3);
  } else {
    return Invalid("a citizen ID number has 18 characters (or 15 digits in the legacy form), not " +
                   std::to_string(number.size()));
  }
  if (!IsProvince(Digits(number.substr(0, 2))))
    return Invalid("citizen ID number " + std::string(number) + " starts with " +
                   std::string(number.substr(0, 2)) +
                   ", which is no province-level region of GB/T 2260");
  int year = birth.size() == 8 ? Digits(birth.substr(0, 4)) : 1900 + Digits(birth.substr(0, 2));
  int month = Digits(birth.substr(birth.size() - 4, 2));
  int day = Digits(birth.substr(birth.size() - 2, 2));
  if (!IsCalendarDate(year, month, day))
    return Invalid("citizen ID number " + std::string(number) + " holds no valid birth date");
  CitizenIdInfo info;
  info.region = std::string(number.substr(0, 6));
  char date[32];
  std::snprintf(date, sizeof date, "%04d-%02d-%02d", year, month, day);
  info.birth_date = date;
  if (!today.empty() && info.birth_date > today)
    return Invalid("citizen ID number " + std::string(number) + " has a birth date in the future");
  info.male = Digits(sequence) % 2 == 1;
  return info;
}

}  // namespace kangyun::cn
