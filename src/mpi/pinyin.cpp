#include "mpi/pinyin.h"

#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <memory>
#include <unordered_map>

#include "base/utf8.h"

namespace kangyun::mpi {
namespace {

bool IsHan(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0xF900 && cp <= 0xFAFF);
}

// Surnames whose reading differs from the character's first reading in ICU's table (百家姓
// readings as given by the 现代汉语词典).
struct SurnameReading {
  const char* hanzi;
  const char* pinyin;
};
constexpr SurnameReading kSurnameReadings[] = {
    {"曾", "zeng"},    {"单", "shan"}, {"仇", "qiu"},  {"解", "xie"},        {"区", "ou"},
    {"朴", "piao"},    {"查", "zha"},  {"覃", "qin"},  {"尉", "yu"},         {"繁", "po"},
    {"种", "chong"},   {"盖", "ge"},   {"员", "yun"},  {"乐", "yue"},        {"缪", "miao"},
    {"召", "shao"},    {"翟", "zhai"}, {"秘", "bi"},   {"长孙", "zhangsun"}, {"万俟", "moqi"},
    {"尉迟", "yuchi"}, {"折", "she"},  {"句", "gou"},  {"宿", "su"},         {"沈", "shen"},
    {"薄", "bo"},      {"柏", "bai"},  {"藏", "zang"}, {"阚", "kan"},        {"纪", "ji"},
};

// ICU transliterators are not safe to share between threads; creating one takes about a
// tenth of a second, so each thread keeps its own.
icu::Transliterator* ThreadTransliterator() {
  thread_local std::unique_ptr<icu::Transliterator> t = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> made(icu::Transliterator::createInstance(
        "Han-Latin; Latin-ASCII; Lower", UTRANS_FORWARD, status));
    if (U_FAILURE(status)) made.reset();
    return made;
  }();
  return t.get();
}

std::string Transliterate(std::string_view utf8) {
  icu::Transliterator* t = ThreadTransliterator();
  if (!t) return "";
  icu::UnicodeString s = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  t->transliterate(s);
  std::string out;
  s.toUTF8String(out);
  std::string letters;
  for (char c : out)
    if (c >= 'a' && c <= 'z') letters.push_back(c);
  return letters;
}

// A character's syllable. ICU's compound transliterator takes tens of microseconds a call, and
// names draw on a few thousand characters: each thread remembers the ones it has read.
const std::string& HanSyllable(uint32_t cp, std::string_view utf8) {
  thread_local std::unordered_map<uint32_t, std::string> known;
  auto it = known.find(cp);
  if (it == known.end()) it = known.emplace(cp, Transliterate(utf8)).first;
  return it->second;
}

}  // namespace

bool HasHan(std::string_view text) {
  size_t pos = 0;
  uint32_t cp;
  while (pos < text.size()) {
    if (!DecodeUtf8(text, &pos, &cp)) return false;
    if (IsHan(cp)) return true;
  }
  return false;
}

std::vector<std::string> PinyinSyllables(std::string_view text, bool surname_first) {
  std::vector<std::string> out;
  std::string word;
  auto end_word = [&] {
    // ü is written u by ICU, but lü, lv and (on passports) lyu in Latin names: 吕 is lu.
    for (const char* spelling : {"lyu", "nyu", "lv", "nv"}) {
      std::string_view sp(spelling);
      if (word.size() >= sp.size() && word.compare(0, sp.size(), sp) == 0) {
        word.replace(0, sp.size(), std::string(1, sp[0]) + "u");
        break;
      }
    }
    if (!word.empty()) out.push_back(std::move(word));
    word.clear();
  };
  size_t pos = 0;
  bool first_han = true;
  while (pos < text.size()) {
    size_t start = pos;
    uint32_t cp;
    if (!DecodeUtf8(text, &pos, &cp)) {
      ++pos;
      end_word();
      continue;
    }
    if (IsHan(cp)) {
      end_word();
      std::string_view ch = text.substr(start, pos - start);
      if (first_han && surname_first) {
        first_han = false;
        bool read = false;
        for (const auto& r : kSurnameReadings) {
          std::string_view h(r.hanzi);
          if (text.substr(start, h.size()) == h) {
            out.emplace_back(r.pinyin);
            pos = start + h.size();
            read = true;
            break;
          }
        }
        if (read) continue;
      }
      first_han = false;
      out.push_back(HanSyllable(cp, ch));
    } else if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
      word.push_back(static_cast<char>(cp >= 'a' ? cp : cp + ('a' - 'A')));
    } else if (cp == 0xFC || cp == 0xDC) {  // ü
      word.push_back('u');
    } else {
      end_word();
    }
  }
  end_word();
  return out;
}

std::string PinyinKey(std::string_view text, bool surname_first) {
  std::string key;
  for (const std::string& s : PinyinSyllables(text, surname_first)) key += s;
  return key;
}

}  // namespace kangyun::mpi
