#include "cn/citizen_id.h"

#include <gtest/gtest.h>

namespace kangyun::cn {
namespace {

TEST(CitizenId, CheckCharacterOfTheStandardsExample) {
  // GB 11643-1999's own example number.
  EXPECT_EQ(CitizenIdCheckChar("11010519491231002"), 'X');
  auto info = ParseCitizenId("11010519491231002X", "2026-01-01");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->region, "110105");
  EXPECT_EQ(info->birth_date, "1949-12-31");
  EXPECT_FALSE(info->male);  // sequence 002 is even
}

TEST(CitizenId, MakeAppendsTheCheckCharacterAndTheSexParity) {
  std::string id = MakeCitizenId("510107", "19900101", 765);
  EXPECT_EQ(id.size(), 18u);
  EXPECT_EQ(id.substr(0, 17), "51010719900101765");
  auto info = ParseCitizenId(id, "2026-01-01");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_TRUE(info->male);
  EXPECT_EQ(info->birth_date, "1990-01-01");
}

TEST(CitizenId, LowercaseXIsAccepted) {
  EXPECT_TRUE(ParseCitizenId("11010519491231002x", "2026-01-01").ok());
}

TEST(CitizenId, RefusesWhatIsWrongAndSaysWhat) {
  auto wrong_check = ParseCitizenId("110105194912310021", "2026-01-01");
  ASSERT_FALSE(wrong_check.ok());
  EXPECT_NE(wrong_check.status().message().find("should be X"), std::string::npos);
  EXPECT_FALSE(ParseCitizenId("1101051949123100", "2026-01-01").ok());    // 16 characters
  EXPECT_FALSE(ParseCitizenId("11010519491231A02X", "2026-01-01").ok());  // a letter
  // 1990-02-30 is no date; a birth after today is impossible.
  EXPECT_FALSE(ParseCitizenId(MakeCitizenId("510107", "19900230", 1), "2026-01-01").ok());
  auto future = ParseCitizenId(MakeCitizenId("510107", "20300101", 1), "2026-01-01");
  ASSERT_FALSE(future.ok());
  EXPECT_NE(future.status().message().find("future"), std::string::npos);
  // Leap days only in leap years.
  EXPECT_TRUE(ParseCitizenId(MakeCitizenId("510107", "20000229", 1), "2026-01-01").ok());
  EXPECT_FALSE(ParseCitizenId(MakeCitizenId("510107", "19000229", 1), "2026-01-01").ok());
}

TEST(CitizenId, LegacyFifteenDigitForm) {
  auto info = ParseCitizenId("110105491231002", "2026-01-01");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->birth_date, "1949-12-31");
  EXPECT_FALSE(info->male);
}

}  // namespace
}  // namespace kangyun::cn
