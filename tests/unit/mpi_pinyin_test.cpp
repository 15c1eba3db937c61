// Pinyin keys: how 王明, 王铭 and "Wang Ming" come to sound the same.
#include <gtest/gtest.h>

#include "mpi/pinyin.h"

namespace kangyun::mpi {
namespace {

TEST(Pinyin, CharactersBecomeTonelessSyllables) {
  EXPECT_EQ(PinyinSyllables("王明", true), (std::vector<std::string>{"wang", "ming"}));
  EXPECT_EQ(PinyinKey("刘德华", true), "liudehua");
  // Homophones meet: 明 and 铭 are both ming.
  EXPECT_EQ(PinyinKey("王铭", true), PinyinKey("王明", true));
}

TEST(Pinyin, LatinSpellingsGiveTheSameKey) {
  EXPECT_EQ(PinyinKey("Wang Ming", true), "wangming");
  EXPECT_EQ(PinyinKey("WANG Ming-Hua", true), "wangminghua");
  EXPECT_EQ(PinyinKey("Tan Jingping", true), PinyinKey("谭晶平", true));
}

TEST(Pinyin, SurnamesAreReadAsSurnames) {
  // 曾 is ceng in "曾经" but zeng as a surname; 单 is dan but shan.
  EXPECT_EQ(PinyinKey("曾明", true), "zengming");
  EXPECT_EQ(PinyinKey("单丽", true), "shanli");
  // Only the first character is a surname.
  EXPECT_EQ(PinyinSyllables("王曾", true)[1], "ceng");
  EXPECT_EQ(PinyinKey("曾", false), "ceng");
}

TEST(Pinyin, TheVowelUmlautHasOneSpelling) {
  // 吕 is written lu by ICU, Lü, Lv or (on passports) Lyu by people.
  std::string lu = PinyinKey("吕", true);
  EXPECT_EQ(lu, "lu");
  EXPECT_EQ(PinyinKey("Lyu", true), lu);
  EXPECT_EQ(PinyinKey("Lv", true), lu);
  EXPECT_EQ(PinyinKey("L\u00fc", true), lu);
}

TEST(Pinyin, TellsHanFromOtherText) {
  EXPECT_TRUE(HasHan("王 Ming"));
  EXPECT_FALSE(HasHan("Wang Ming"));
  EXPECT_FALSE(HasHan(""));
  EXPECT_TRUE(PinyinSyllables("", true).empty());
  // Malformed UTF-8 is skipped, not a crash.
  EXPECT_EQ(PinyinKey("\xff\xfe王", true), "wang");
}

}  // namespace
}  // namespace kangyun::mpi
