// How two Persons compare, field by field: each field gets a level, from "missing" (one side
// has no value) through "disagree" to the closest kind of agreement. The levels are what the
// matching model weighs (mpi/match_model.h); they name the errors registration clerks make.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "mpi/person.h"

namespace kangyun::mpi {

enum Field : int { kCitizenId, kName, kBirthDate, kSex, kPhone, kAddress, kFieldCount };
inline constexpr int kMaxLevels = 5;

// Levels per field; 0 is always "missing" and 1 "disagree".
namespace level {
inline constexpr int kMissing = 0, kDisagree = 1;
// kName
inline constexpr int kNameSimilar = 2;  // one character (or up to two letters of pinyin) differs
inline constexpr int kNameSameSound =
    3;                                // same pinyin, other characters (homophones), or pinyin only
inline constexpr int kNameExact = 4;  // the same characters
// kBirthDate
inline constexpr int kBirthOneDigit = 2;  // one digit differs
inline constexpr int kBirthSwapped = 3;   // day and month swapped
inline constexpr int kBirthExact = 4;
// kAddress
inline constexpr int kAddressDistrict = 2;  // same district, other street address
inline constexpr int kAddressExact = 3;
// kCitizenId, kSex, kPhone
inline constexpr int kAgree = 2;
}  // namespace level

// How many levels each field has.
inline constexpr std::array<int, kFieldCount> kLevelCount = {3, 5, 5, 3, 3, 4};

const char* FieldName(int field);
const char* LevelName(int field, int level);

struct Comparison {
  std::array<uint8_t, kFieldCount> levels{};
  // The records share another identifier (a health card, a passport, one institution's record
  // number): each names one person, like the citizen ID number. Not a field of the model (few
  // pairs share one), but a rule of GradeOf.
  bool shared_identifier = false;
  // The levels packed into one number (mixed radix), for counting patterns.
  uint32_t Pattern() const;
  static Comparison FromPattern(uint32_t pattern);
};
inline constexpr uint32_t kPatternCount = 3 * 5 * 5 * 3 * 3 * 4;

Comparison Compare(const Person& a, const Person& b);

// Levenshtein distance between two byte strings (pinyin is ASCII).
int EditDistance(std::string_view a, std::string_view b);

}  // namespace kangyun::mpi
