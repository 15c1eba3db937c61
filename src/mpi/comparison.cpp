#include "mpi/comparison.h"

#include <algorithm>
#include <vector>

#include "base/utf8.h"

namespace kangyun::mpi {
namespace {

std::vector<uint32_t> CodePoints(std::string_view s) {
  std::vector<uint32_t> out;
  size_t pos = 0;
  uint32_t cp;
  while (pos < s.size()) {
    if (!DecodeUtf8(s, &pos, &cp)) {
      ++pos;
      continue;
    }
    out.push_back(cp);
  }
  return out;
}

int CompareName(const Person& a, const Person& b) {
  if (a.name_pinyin.empty() || b.name_pinyin.empty()) return level::kMissing;
  if (!a.name_han.empty() && a.name_han == b.name_han) return level::kNameExact;
  if (a.name_pinyin == b.name_pinyin) return level::kNameSameSound;
  if (!a.name_han.empty() && !b.name_han.empty()) {
    std::vector<uint32_t> x = CodePoints(a.name_han), y = CodePoints(b.name_han);
    if (x.size() == y.size() && x.size() >= 2) {
      int differing = 0;
      for (size_t i = 0; i < x.size(); ++i) differing += x[i] != y[i];
      // A slip on one character of the given name; the surname is what families share.
      if (differing == 1 && x[0] == y[0]) return level::kNameSimilar;
    }
    return level::kDisagree;
  }
  size_t shorter = std::min(a.name_pinyin.size(), b.name_pinyin.size());
  if (shorter >= 5 && EditDistance(a.name_pinyin, b.name_pinyin) <= 2) return level::kNameSimilar;
  return level::kDisagree;
}

int CompareBirthDate(const std::string& a, const std::string& b) {
  if (a.size() != 10 || b.size() != 10) return level::kMissing;
  if (a == b) return level::kBirthExact;
  // YYYY-MM-DD: month at 5, day at 8.
  if (a.compare(0, 4, b, 0, 4) == 0 && a.compare(5, 2, b, 8, 2) == 0 &&
      a.compare(8, 2, b, 5, 2) == 0)
    return level::kBirthSwapped;
  int differing = 0;
  for (size_t i = 0; i < a.size(); ++i) differing += a[i] != b[i];
  return differing == 1 ? level::kBirthOneDigit : level::kDisagree;
}

int ComparePhones(const Person& a, const Person& b) {
  if (a.phones.empty() || b.phones.empty()) return level::kMissing;
  for (const std::string& p : a.phones)
    if (std::find(b.phones.begin(), b.phones.end(), p) != b.phones.end()) return level::kAgree;
  return level::kDisagree;
}

int CompareAddress(const Person& a, const Person& b) {
  if (a.district.empty() || b.district.empty()) return level::kMissing;
  if (a.district != b.district) return level::kDisagree;
  if (!a.address.empty() && a.address == b.address) return level::kAddressExact;
  return level::kAddressDistrict;
}

}  // namespace

const char* FieldName(int field) {
  static constexpr const char* kNames[] = {"citizen-id", "name",  "birth-date",
                                           "sex",        "phone", "address"};
  return field >= 0 && field < kFieldCount ? kNames[field] : "?";
}

const char* LevelName(int field, int lvl) {
  if (lvl == level::kMissing) return "missing";
  if (lvl == level::kDisagree) return "disagree";
  switch (field) {
    case kName:
      return lvl == level::kNameSimilar     ? "one-character-differs"
             : lvl == level::kNameSameSound ? "same-pinyin"
                                            : "same-characters";
    case kBirthDate:
      return lvl == level::kBirthOneDigit  ? "one-digit-differs"
             : lvl == level::kBirthSwapped ? "day-month-swapped"
                                           : "same";
    case kAddress:
      return lvl == level::kAddressDistrict ? "same-district" : "same-address";
    default:
      return "agree";
  }
}

uint32_t Comparison::Pattern() const {
  uint32_t p = 0;
  for (int f = kFieldCount - 1; f >= 0; --f) p = p * kLevelCount[f] + levels[f];
  return p;
}

Comparison Comparison::FromPattern(uint32_t pattern) {
  Comparison c;
  for (int f = 0; f < kFieldCount; ++f) {
    c.levels[f] = static_cast<uint8_t>(pattern % kLevelCount[f]);
    pattern /= kLevelCount[f];
  }
  return c;
}

Comparison Compare(const Person& a, const Person& b) {
  Comparison c;
  if (!a.citizen_id.empty() && !b.citizen_id.empty())
    c.levels[kCitizenId] = a.citizen_id == b.citizen_id ? level::kAgree : level::kDisagree;
  c.levels[kName] = static_cast<uint8_t>(CompareName(a, b));
  c.levels[kBirthDate] = static_cast<uint8_t>(CompareBirthDate(a.birth_date, b.birth_date));
  if (a.sex && b.sex) c.levels[kSex] = a.sex == b.sex ? level::kAgree : level::kDisagree;
  c.levels[kPhone] = static_cast<uint8_t>(ComparePhones(a, b));
  c.levels[kAddress] = static_cast<uint8_t>(CompareAddress(a, b));
  for (const std::string& identifier : a.identifiers)
    if (std::find(b.identifiers.begin(), b.identifiers.end(), identifier) != b.identifiers.end())
      c.shared_identifier = true;
  return c;
}

int EditDistance(std::string_view a, std::string_view b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace kangyun::mpi
