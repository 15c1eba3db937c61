// What the registry reads from a Patient, how two compare field by field, and the blocking keys
// that bring them together.
#include <gtest/gtest.h>

#include <algorithm>

#include "cn/citizen_id.h"
#include "json/json.h"
#include "mpi/blocking.h"
#include "mpi/comparison.h"
#include "mpi/person.h"

namespace kangyun::mpi {
namespace {

const std::string kId = cn::MakeCitizenId("510107", "19850307", 123);  // a man

Person FromJson(const std::string& text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status().message();
  return PersonFromPatient(v.value());
}

// 王明, born 1985-03-07, male, with phone, address and citizen ID.
Person Base() {
  return FromJson(R"({"resourceType":"Patient","id":"a",
    "identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":")" +
                  kId + R"("},
      {"system":"https://kangyun.cn/fhir/sid/mrn/org-1","value":"000123"}],
    "name":[{"family":"王","given":["明"]}],
    "telecom":[{"system":"phone","value":"+86 138-0000-1234"}],
    "gender":"male","birthDate":"1985-03-07",
    "address":[{"use":"home","line":["人民南路 1 号"],"district":"武侯区"}]})");
}

TEST(Person, ReadsWhatTheRegistryCompares) {
  Person p = Base();
  EXPECT_EQ(p.id, "a");
  EXPECT_EQ(p.citizen_id, kId);
  EXPECT_EQ(p.identifiers,
            (std::vector<std::string>{"https://kangyun.cn/fhir/sid/mrn/org-1|000123"}));
  EXPECT_EQ(p.name_han, "王明");
  EXPECT_EQ(p.name_pinyin, "wangming");
  EXPECT_EQ(p.birth_date, "1985-03-07");
  EXPECT_EQ(p.sex, 'M');
  EXPECT_EQ(p.phones, (std::vector<std::string>{"13800001234"}));  // +86 and separators gone
  EXPECT_EQ(p.district, "武侯区");
  EXPECT_EQ(p.address, "人民南路1号");
}

TEST(Person, WidensALegacyFifteenDigitNumber) {
  // 110105491231002 is the 18-digit 11010519491231002X without century and check character.
  EXPECT_EQ(CanonicalCitizenId("110105491231002"), "11010519491231002X");
  EXPECT_EQ(CanonicalCitizenId("11010519491231002x"), "11010519491231002X");
  EXPECT_EQ(CanonicalCitizenId("110105194912310021"), "");  // wrong check character
}

TEST(Person, APinyinOnlyNameAndMissingPartsAreEmpty) {
  Person p = FromJson(R"({"resourceType":"Patient","name":[{"family":"Wang","given":["Ming"]}],
                          "birthDate":"1985"})");
  EXPECT_EQ(p.name_han, "");
  EXPECT_EQ(p.name_pinyin, "wangming");
  EXPECT_EQ(p.birth_date, "");  // a partial date is not compared
  EXPECT_EQ(p.sex, 0);
  EXPECT_TRUE(p.phones.empty());
  EXPECT_EQ(p.citizen_id, "");
}

TEST(Comparison, NameLevels) {
  Person a = Base(), b = Base();
  EXPECT_EQ(Compare(a, b).levels[kName], level::kNameExact);
  b.name_han = "王铭";  // a homophone
  EXPECT_EQ(Compare(a, b).levels[kName], level::kNameSameSound);
  b.name_han = "";  // pinyin only
  EXPECT_EQ(Compare(a, b).levels[kName], level::kNameSameSound);
  b = Base();
  b.name_han = "王亮";
  b.name_pinyin = "wangliang";  // one character differs
  EXPECT_EQ(Compare(a, b).levels[kName], level::kNameSimilar);
  b.name_han = "李明";
  b.name_pinyin = "liming";  // the surname differs: another family
  EXPECT_EQ(Compare(a, b).levels[kName], level::kDisagree);
  b.name_pinyin = "";
  EXPECT_EQ(Compare(a, b).levels[kName], level::kMissing);
}

TEST(Comparison, BirthDateLevels) {
  Person a = Base(), b = Base();
  EXPECT_EQ(Compare(a, b).levels[kBirthDate], level::kBirthExact);
  b.birth_date = "1985-07-03";
  EXPECT_EQ(Compare(a, b).levels[kBirthDate], level::kBirthSwapped);
  b.birth_date = "1985-03-08";
  EXPECT_EQ(Compare(a, b).levels[kBirthDate], level::kBirthOneDigit);
  b.birth_date = "1958-03-07";
  EXPECT_EQ(Compare(a, b).levels[kBirthDate], level::kDisagree);
  b.birth_date = "";
  EXPECT_EQ(Compare(a, b).levels[kBirthDate], level::kMissing);
}

TEST(Comparison, IdentifierSexPhoneAndAddressLevels) {
  Person a = Base(), b = Base();
  Comparison same = Compare(a, b);
  EXPECT_EQ(same.levels[kCitizenId], level::kAgree);
  EXPECT_EQ(same.levels[kSex], level::kAgree);
  EXPECT_EQ(same.levels[kPhone], level::kAgree);
  EXPECT_EQ(same.levels[kAddress], level::kAddressExact);
  EXPECT_TRUE(same.shared_identifier);
  b.citizen_id = cn::MakeCitizenId("510107", "19850307", 125);
  b.sex = 'F';
  b.phones = {"13900000000"};
  b.address = "其他路2号";
  b.identifiers.clear();
  Comparison other = Compare(a, b);
  EXPECT_EQ(other.levels[kCitizenId], level::kDisagree);
  EXPECT_EQ(other.levels[kSex], level::kDisagree);
  EXPECT_EQ(other.levels[kPhone], level::kDisagree);
  EXPECT_EQ(other.levels[kAddress], level::kAddressDistrict);
  EXPECT_FALSE(other.shared_identifier);
  b.district = "锦江区";
  EXPECT_EQ(Compare(a, b).levels[kAddress], level::kDisagree);
  b.citizen_id.clear();
  b.phones.clear();
  EXPECT_EQ(Compare(a, b).levels[kCitizenId], level::kMissing);
  EXPECT_EQ(Compare(a, b).levels[kPhone], level::kMissing);
}

TEST(Comparison, PatternsRoundTrip) {
  Comparison c = Compare(Base(), Base());
  EXPECT_LT(c.Pattern(), kPatternCount);
  EXPECT_EQ(Comparison::FromPattern(c.Pattern()).levels, c.levels);
  EXPECT_EQ(EditDistance("wangming", "wangmin"), 1);
  EXPECT_EQ(EditDistance("", "abc"), 3);
}

bool ShareAKey(const Person& a, const Person& b) {
  auto x = BlockingKeys(a), y = BlockingKeys(b);
  for (const std::string& k : x)
    if (std::find(y.begin(), y.end(), k) != y.end()) return true;
  return false;
}

// p with another name: its characters and the sound of its first and other syllables.
Person Named(Person p, const std::string& han, const std::string& first, const std::string& other) {
  p.name_han = han;
  p.first_syllable = first;
  p.other_syllables = other;
  p.name_pinyin = first + other;
  return p;
}

TEST(Blocking, EveryUsualErrorLeavesAKeyInCommon) {
  Person a = Base();
  // Nothing in common but what each error leaves: no ID, no phone, no record number.
  auto strip = [](Person p) {
    p.citizen_id.clear();
    p.identifiers.clear();
    p.phones.clear();
    return p;
  };
  Person swapped = strip(Base());
  swapped.birth_date = "1985-07-03";
  EXPECT_TRUE(ShareAKey(a, swapped));
  Person digit = strip(Base());
  digit.birth_date = "1985-03-09";  // the name by sound and birth year remain
  EXPECT_TRUE(ShareAKey(a, digit));
  // The same date in another year misses the birth date blocks, and a sound that differs the
  // name's; the characters and district remain.
  Person year = Named(strip(Base()), "王明", "wang", "min");
  year.birth_date = "1986-03-07";
  EXPECT_TRUE(ShareAKey(a, year));
  Person phone_only = strip(Base());
  phone_only.phones = a.phones;
  phone_only.birth_date = "1990-01-01";
  phone_only.name_han = "李四";
  EXPECT_TRUE(ShareAKey(a, phone_only));
  // A slip in the surname leaves the given name's sound and the birth date, and the reverse.
  Person surname = Named(strip(Base()), "黄明", "huang", "ming");
  surname.district = "锦江区";
  EXPECT_TRUE(ShareAKey(a, surname));
  Person given = Named(strip(Base()), "王亮", "wang", "liang");
  given.district = "锦江区";
  EXPECT_TRUE(ShareAKey(a, given));
  Person stranger = Named(strip(Base()), "李四", "li", "si");
  stranger.birth_date = "1990-01-01";
  EXPECT_FALSE(ShareAKey(a, stranger));
}

TEST(Blocking, KeysNameTheirKind) {
  auto keys = BlockingKeys(Base());
  auto has = [&](const std::string& k) {
    return std::find(keys.begin(), keys.end(), k) != keys.end();
  };
  EXPECT_TRUE(has("c" + kId));
  EXPECT_TRUE(has("b19850307wang"));
  EXPECT_TRUE(has("g19850307ming"));
  EXPECT_TRUE(has("b19850703wang"));  // day 07 could be a month
  EXPECT_TRUE(has("g19850703ming"));
  EXPECT_FALSE(has("b19850307"));  // the date alone files sixty residents of a million together
  EXPECT_TRUE(has("nwangming1985"));
  EXPECT_TRUE(has("p13800001234"));
  EXPECT_TRUE(has("h王明武侯区"));
  EXPECT_TRUE(has("ihttps://kangyun.cn/fhir/sid/mrn/org-1|000123"));
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

TEST(Blocking, ARecordWithoutANameIsFiledUnderItsBirthDate) {
  Person nameless = Base();
  nameless.name_han = nameless.name_pinyin = nameless.first_syllable = "";
  nameless.other_syllables = "";
  auto keys = BlockingKeys(nameless);
  EXPECT_NE(std::find(keys.begin(), keys.end(), "b19850307"), keys.end());
  EXPECT_EQ(std::find(keys.begin(), keys.end(), "b19850307wang"), keys.end());
}

TEST(Person, SplitsTheNamesSoundIntoItsFirstSyllableAndTheRest) {
  Person p = FromJson(R"({"resourceType":"Patient",
    "name":[{"family":"欧阳","given":["晓明"]}],"birthDate":"1985-03-07"})");
  EXPECT_EQ(p.name_pinyin, "ouyangxiaoming");
  EXPECT_EQ(p.first_syllable, "ou");
  EXPECT_EQ(p.other_syllables, "yangxiaoming");
  Person latin = FromJson(R"({"resourceType":"Patient",
    "name":[{"family":"Wang","given":["Ming"]}],"birthDate":"1985-03-07"})");
  EXPECT_EQ(latin.first_syllable, "wang");
  EXPECT_EQ(latin.other_syllables, "ming");
}

}  // namespace
}  // namespace kangyun::mpi
