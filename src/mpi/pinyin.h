// Pinyin of Chinese names: the key that lets 王明, 王铭 and "Wang Ming" meet. Han characters go
// through ICU's Han-Latin transliteration (tone marks removed); surnames whose reading as a
// surname differs from the everyday one (曾 zeng, not ceng) are read as surnames.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kangyun::mpi {

// The toneless lower-case pinyin of each character of `text`, one syllable per Han character
// and one word per run of Latin letters ("Wang Ming" → {"wang", "ming"}); other characters
// separate words and are dropped. `surname_first`: the first Han character is a surname.
// Thread-safe (each thread keeps its own transliterator).
std::vector<std::string> PinyinSyllables(std::string_view text, bool surname_first);

// The syllables joined without spaces: "wangming".
std::string PinyinKey(std::string_view text, bool surname_first);

// True when text holds at least one Han character (CJK Unified Ideographs, extension A).
bool HasHan(std::string_view text);

}  // namespace kangyun::mpi
