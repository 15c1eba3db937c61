#include "fhir/normalize.h"

#include <cstdint>

#include "base/utf8.h"

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

}  // namespace

std::string NormalizeForSearch(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp;
    if (!DecodeUtf8(s, &i, &cp)) {  // not UTF-8: pass the byte through
      out.push_back(s[i++]);
      continue;
    }
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
