#include "fhir/normalize.h"

#include <cstdint>

namespace kangyun::fhir {
namespace {

// Base letters for U+00C0..U+017F; 0 where there is no plain ASCII base.
constexpr char kLatinFold[] =
    "aaaaaaaceeeeiiii"   // C0-CF
    "dnooooo\0ouuuuyts"  // D0-DF (D7 multiplication sign, DE thorn -> t, DF sharp s -> s)
    "aaaaaaaceeeeiiii"   // E0-EF
    "dnooooo\0ouuuuyty"  // F0-FF
    "aaaaaaccccccccdd"   // 100-10F
    "ddeeeeeeeeeegggg"   // 110-11F
    "gggghhhhiiiiiiii"   // 120-12F
    "iiiijjjjkkklllll"   // 130-13F
    "lllllnnnnnnnnnoo"   // 140-14F
    "oooooorrrrrrssss"   // 150-15F
    "ssssttttttuuuuuu"   // 160-16F
    "uuuuwwyyyzzzzzzs";  // 170-17F

uint32_t DecodeUtf8(std::string_view s, size_t* i) {
  auto c = static_cast<unsigned char>(s[*i]);
  if (c < 0x80) {
    ++*i;
    return c;
  }
  int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  uint32_t cp = len == 4 ? c & 0x07 : len == 3 ? c & 0x0F : c & 0x1F;
  for (int k = 1; k < len && *i + k < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[*i + k]) & 0x3F);
  *i += len;
  return cp;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::string NormalizeForSearch(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = DecodeUtf8(s, &i);
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;  // full-width ASCII
    if (cp == 0x3000) cp = ' ';                      // ideographic space
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    if (cp >= 'A' && cp <= 'Z') cp += 32;
    if (cp >= 0xC0 && cp <= 0x17F && kLatinFold[cp - 0xC0] != '\0') {
      out.push_back(kLatinFold[cp - 0xC0]);
      continue;
    }
    if (cp >= 0x1CD && cp <= 0x1DC) {  // pinyin third tone and ü: ǎ ǐ ǒ ǔ ǖ ǘ ǚ ǜ
      static const char kPinyin[] = "aaiioouuuuuuuuuu";
      out.push_back(kPinyin[cp - 0x1CD]);
      continue;
    }
    if (cp >= 0x300 && cp <= 0x36F) continue;  // combining diacritical marks
    AppendUtf8(cp, &out);
  }
  return out;
}

}  // namespace kangyun::fhir
