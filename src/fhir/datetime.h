// FHIR date, dateTime, instant and time values with their partial precision, and the
// [low, high] instant range each one covers (search and FHIRPath comparisons rest on it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kangyun::fhir {

enum class DatePrecision { kYear, kMonth, kDay, kHour, kMinute, kSecond, kMillisecond };

struct DateTimeValue {
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
  DatePrecision precision = DatePrecision::kYear;
  // Minutes east of UTC; absent for dates and for dateTimes without a zone.
  std::optional<int> tz_offset_minutes;
  // Number of fractional-second digits as written (0 when none), kept for round-tripping.
  int fraction_digits = 0;

  // Microseconds since the epoch of the first and last instant covered. A value without a zone
  // is taken as UTC.
  int64_t LowMicros() const;
  int64_t HighMicros() const;
  std::string ToString() const;
};

// Parses the FHIR formats: YYYY, YYYY-MM, YYYY-MM-DD, and YYYY-MM-DDThh:mm:ss(.fff)(Z|+hh:mm);
// with allow_partial_time, also YYYY-MM-DDThh and YYYY-MM-DDThh:mm (search values and
// FHIRPath literals). Refuses out-of-range fields (month 13, February 30).
std::optional<DateTimeValue> ParseDateTime(std::string_view s, bool allow_partial_time = false);

struct TimeValue {
  int hour = 0, minute = 0, second = 0, millis = 0;
  DatePrecision precision = DatePrecision::kSecond;
};
std::optional<TimeValue> ParseTime(std::string_view s);

// The UTC calendar fields of an instant (microseconds since the epoch), at millisecond
// precision and zone Z.
DateTimeValue DateTimeFromMicros(int64_t micros);

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int y, int m, int d);
int DaysInMonth(int y, int m);

}  // namespace kangyun::fhir
