#include "fhir/datetime.h"

#include <cstdio>

namespace kangyun::fhir {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

constexpr int64_t kMicrosPerSecond = 1000000;

// Fractional seconds after the '.': at least one digit; milliseconds from the first three.
bool Fraction(std::string_view s, size_t* pos, int* millis, int* digits) {
  size_t start = *pos;
  int ms = 0, n = 0;
  while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') {
    if (n < 3) ms = ms * 10 + (s[*pos] - '0');
    ++n;
    ++*pos;
  }
  if (*pos == start) return false;
  for (int k = n; k < 3; ++k) ms *= 10;
  *millis = ms;
  *digits = n;
  return true;
}

}  // namespace

int64_t DaysFromCivil(int y, int m, int d) {
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

DateTimeValue DateTimeFromMicros(int64_t micros) {
  int64_t secs = micros / kMicrosPerSecond;
  int64_t sub = micros % kMicrosPerSecond;
  if (sub < 0) {
    sub += kMicrosPerSecond;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // Howard Hinnant's civil_from_days.
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  DateTimeValue v;
  v.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  v.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  v.year = static_cast<int>(yoe + era * 400 + (v.month <= 2));
  v.hour = static_cast<int>(rem / 3600);
  v.minute = static_cast<int>((rem / 60) % 60);
  v.second = static_cast<int>(rem % 60);
  v.millis = static_cast<int>(sub / 1000);
  v.precision = DatePrecision::kMillisecond;
  v.tz_offset_minutes = 0;
  return v;
}

int DaysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[(m - 1) % 12];
}

std::optional<DateTimeValue> ParseDateTime(std::string_view s, bool allow_partial_time) {
  DateTimeValue v;
  if (!Digits(s, 0, 4, &v.year)) return std::nullopt;
  size_t pos = 4;
  v.precision = DatePrecision::kYear;
  if (pos < s.size()) {
    if (s[pos] != '-' || !Digits(s, pos + 1, 2, &v.month) || v.month < 1 || v.month > 12)
      return std::nullopt;
    pos += 3;
    v.precision = DatePrecision::kMonth;
  }
  if (pos < s.size()) {
    if (s[pos] != '-' || !Digits(s, pos + 1, 2, &v.day) || v.day < 1 ||
        v.day > DaysInMonth(v.year, v.month))
      return std::nullopt;
    pos += 3;
    v.precision = DatePrecision::kDay;
  }
  if (pos < s.size()) {
    if (s[pos] != 'T' || !Digits(s, pos + 1, 2, &v.hour) || v.hour > 23) return std::nullopt;
    pos += 3;
    v.precision = DatePrecision::kHour;
    bool have_second = false;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, &v.minute) || v.minute > 59) return std::nullopt;
      pos += 3;
      v.precision = DatePrecision::kMinute;
      if (pos < s.size() && s[pos] == ':') {
        if (!Digits(s, pos + 1, 2, &v.second) || v.second > 59) return std::nullopt;
        pos += 3;
        v.precision = DatePrecision::kSecond;
        have_second = true;
        if (pos < s.size() && s[pos] == '.') {
          ++pos;
          if (!Fraction(s, &pos, &v.millis, &v.fraction_digits)) return std::nullopt;
          v.precision = DatePrecision::kMillisecond;
        }
      }
    }
    if (!allow_partial_time && !have_second) return std::nullopt;
    if (pos < s.size()) {
      if (s[pos] == 'Z') {
        v.tz_offset_minutes = 0;
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        int hh, mm;
        if (!Digits(s, pos + 1, 2, &hh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !Digits(s, pos + 4, 2, &mm) || hh > 14 || mm > 59)
          return std::nullopt;
        int off = hh * 60 + mm;
        v.tz_offset_minutes = s[pos] == '-' ? -off : off;
        pos += 6;
      } else {
        return std::nullopt;
      }
    }
  }
  if (pos != s.size()) return std::nullopt;
  return v;
}

int64_t DateTimeValue::LowMicros() const {
  int64_t days = DaysFromCivil(year, month, day);
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second;
  if (tz_offset_minutes) secs -= *tz_offset_minutes * 60;
  return secs * kMicrosPerSecond + int64_t{millis} * 1000;
}

int64_t DateTimeValue::HighMicros() const {
  DateTimeValue end = *this;
  switch (precision) {
    case DatePrecision::kYear:
      end.month = 12;
      end.day = 31;
      [[fallthrough]];
    case DatePrecision::kMonth:
      end.day = DaysInMonth(end.year, end.month);
      [[fallthrough]];
    case DatePrecision::kDay:
      end.hour = 23;
      [[fallthrough]];
    case DatePrecision::kHour:
      end.minute = 59;
      [[fallthrough]];
    case DatePrecision::kMinute:
      end.second = 59;
      [[fallthrough]];
    case DatePrecision::kSecond:
      end.millis = 999;
      return end.LowMicros() + 999;
    case DatePrecision::kMillisecond:
      return end.LowMicros() + 999;
  }
  return end.LowMicros();
}

std::string DateTimeValue::ToString() const {
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d", year);
  if (precision >= DatePrecision::kMonth)
    n += std::snprintf(buf + n, sizeof buf - n, "-%02d", month);
  if (precision >= DatePrecision::kDay) n += std::snprintf(buf + n, sizeof buf - n, "-%02d", day);
  if (precision >= DatePrecision::kHour) n += std::snprintf(buf + n, sizeof buf - n, "T%02d", hour);
  if (precision >= DatePrecision::kMinute)
    n += std::snprintf(buf + n, sizeof buf - n, ":%02d", minute);
  if (precision >= DatePrecision::kSecond)
    n += std::snprintf(buf + n, sizeof buf - n, ":%02d", second);
  if (precision >= DatePrecision::kMillisecond)
    n += std::snprintf(buf + n, sizeof buf - n, ".%03d", millis);
  if (tz_offset_minutes && precision >= DatePrecision::kHour) {
    int off = *tz_offset_minutes;
    if (off == 0) {
      n += std::snprintf(buf + n, sizeof buf - n, "Z");
    } else {
      char sign = off < 0 ? '-' : '+';
      if (off < 0) off = -off;
      n += std::snprintf(buf + n, sizeof buf - n, "%c%02d:%02d", sign, off / 60, off % 60);
    }
  }
  return std::string(buf, static_cast<size_t>(n));
}

std::optional<TimeValue> ParseTime(std::string_view s) {
  TimeValue t;
  if (!Digits(s, 0, 2, &t.hour) || t.hour > 23) return std::nullopt;
  t.precision = DatePrecision::kHour;
  size_t pos = 2;
  if (pos < s.size()) {
    if (s[pos] != ':' || !Digits(s, pos + 1, 2, &t.minute) || t.minute > 59) return std::nullopt;
    pos += 3;
    t.precision = DatePrecision::kMinute;
  }
  if (pos < s.size()) {
    if (s[pos] != ':' || !Digits(s, pos + 1, 2, &t.second) || t.second > 59) return std::nullopt;
    pos += 3;
    t.precision = DatePrecision::kSecond;
  }
  if (pos < s.size()) {
    if (s[pos] != '.') return std::nullopt;
    ++pos;
    int digits;
    if (!Fraction(s, &pos, &t.millis, &digits) || pos != s.size()) return std::nullopt;
    t.precision = DatePrecision::kMillisecond;
  }
  return t;
}

}  // namespace kangyun::fhir
