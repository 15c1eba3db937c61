#include "synth/names.h"

#include <vector>

#include "synth/statistics.h"

namespace kangyun::synth {
namespace {

std::vector<double> SurnameWeights() {
  std::vector<double> w;
  for (const Surname& s : Surnames()) w.push_back(s.percent);
  return w;
}

const GivenNameChar& DrawGivenChar(Rng& rng, bool male) {
  auto chars = GivenNameChars();
  for (;;) {
    const GivenNameChar& c = chars[rng.Below(static_cast<int64_t>(chars.size()))];
    if (c.sex == 'U' || (c.sex == 'M') == male) return c;
  }
}

std::string Capitalised(std::string pinyin) {
  if (!pinyin.empty() && pinyin[0] >= 'a' && pinyin[0] <= 'z') pinyin[0] -= 'a' - 'A';
  return pinyin;
}

// The given name's characters, each a table entry (generated names only use table characters).
std::vector<const GivenNameChar*> Characters(const std::string& given) {
  std::vector<const GivenNameChar*> out;
  size_t pos = 0;
  while (pos < given.size()) {
    const GivenNameChar* found = nullptr;
    for (const GivenNameChar& c : GivenNameChars()) {
      std::string_view h(c.hanzi);
      if (given.compare(pos, h.size(), h) == 0) {
        found = &c;
        break;
      }
    }
    if (!found) return {};
    out.push_back(found);
    pos += std::string_view(found->hanzi).size();
  }
  return out;
}

void Assemble(const std::vector<std::string>& hanzi, const std::vector<std::string>& pinyin,
              PersonName* name) {
  name->given.clear();
  name->given_pinyin.clear();
  for (size_t i = 0; i < hanzi.size(); ++i) {
    name->given += hanzi[i];
    name->given_pinyin += i == 0 ? Capitalised(pinyin[i]) : pinyin[i];
  }
}

}  // namespace

PersonName DrawName(Rng& rng, bool male) {
  static const std::vector<double> kWeights = SurnameWeights();
  const Surname& s = Surnames()[rng.Weighted(kWeights)];
  PersonName name;
  name.family = s.hanzi;
  name.family_pinyin = s.pinyin;
  // About one in six given names has a single character.
  int length = rng.Chance(0.17) ? 1 : 2;
  std::vector<std::string> hanzi, pinyin;
  for (int i = 0; i < length; ++i) {
    const GivenNameChar& c = DrawGivenChar(rng, male);
    hanzi.push_back(c.hanzi);
    pinyin.push_back(c.pinyin);
  }
  Assemble(hanzi, pinyin, &name);
  return name;
}

bool HomophoneVariant(const PersonName& name, Rng& rng, PersonName* out) {
  auto chars = Characters(name.given);
  std::vector<size_t> candidates;
  for (size_t i = 0; i < chars.size(); ++i)
    if (*chars[i]->homophones) candidates.push_back(i);
  if (candidates.empty()) return false;
  size_t at = candidates[rng.Below(static_cast<int64_t>(candidates.size()))];
  // Homophones are UTF-8 characters of three bytes each (all CJK in the basic plane).
  std::string_view homophones(chars[at]->homophones);
  size_t pick = static_cast<size_t>(rng.Below(static_cast<int64_t>(homophones.size() / 3)));
  std::vector<std::string> hanzi, pinyin;
  for (size_t i = 0; i < chars.size(); ++i) {
    hanzi.push_back(i == at ? std::string(homophones.substr(pick * 3, 3)) : chars[i]->hanzi);
    pinyin.push_back(chars[i]->pinyin);
  }
  *out = name;
  Assemble(hanzi, pinyin, out);
  return true;
}

PersonName TypoVariant(const PersonName& name, Rng& rng) {
  auto chars = Characters(name.given);
  PersonName out = name;
  if (chars.empty()) return out;
  size_t at = static_cast<size_t>(rng.Below(static_cast<int64_t>(chars.size())));
  auto all = GivenNameChars();
  const GivenNameChar* replacement = chars[at];
  while (replacement == chars[at]) replacement = &all[rng.Below(static_cast<int64_t>(all.size()))];
  std::vector<std::string> hanzi, pinyin;
  for (size_t i = 0; i < chars.size(); ++i) {
    const GivenNameChar* c = i == at ? replacement : chars[i];
    hanzi.push_back(c->hanzi);
    pinyin.push_back(c->pinyin);
  }
  Assemble(hanzi, pinyin, &out);
  return out;
}

}  // namespace kangyun::synth
