// Chinese personal names drawn with the surname frequencies of the population, with their
// pinyin, and the variants a clerk produces when registering someone again.
#pragma once

#include <string>

#include "synth/random.h"

namespace kangyun::synth {

struct PersonName {
  std::string family, given;                // 王, 小明
  std::string family_pinyin, given_pinyin;  // Wang, Xiaoming
  std::string text() const { return family + given; }
  std::string pinyin_text() const { return family_pinyin + " " + given_pinyin; }
};

PersonName DrawName(Rng& rng, bool male);

// Sets *out to the name with one given-name character replaced by a homophone (明 -> 铭);
// false when none of its characters has one.
bool HomophoneVariant(const PersonName& name, Rng& rng, PersonName* out);
// The same name with one given-name character replaced by another common character: a typo.
PersonName TypoVariant(const PersonName& name, Rng& rng);

}  // namespace kangyun::synth
