// Blocking: the few keys under which a Person is filed, so that a query compares a record only
// with those sharing a key rather than with every resident. Each key is built so that one of
// the usual registration errors leaves at least one key intact:
//   c<citizen ID>             the number, when valid
//   b<YYYYMMDD><syllable>     birth date and the name's first syllable (the surname's sound),
//                             and the date with day and month swapped; b<YYYYMMDD> alone
//                             for a record without a name
//   g<YYYYMMDD><syllables>    birth date (and swapped) and the other syllables (the given
//                             name's sound), so a slip in either part of the name still meets
//   p<phone>                  each phone
//   i<system|value>           each other identifier (health card, passport, record numbers)
//   n<pinyin><birth year>     name by sound, for slips in the birth date's month or day
//   h<characters><district>   name as written, for a wrong birth year and a changed phone
// The keys are indexed as the Patient search parameter `match-key` (docs/registries.md).
#pragma once

#include <string>
#include <vector>

#include "mpi/person.h"

namespace kangyun::mpi {

std::vector<std::string> BlockingKeys(const Person& p);

}  // namespace kangyun::mpi
