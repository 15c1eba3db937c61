// What the person registry compares of a Patient: its identifiers, name (characters and
// pinyin), birth date, sex, phones and home address, normalised so that the same fact
// written two ways compares equal.
#pragma once

#include <string>
#include <vector>

#include "json/value.h"

namespace kangyun::mpi {

struct Person {
  std::string id;
  std::string citizen_id;                // 18 characters (a 15-digit number is widened); "" if none
  std::vector<std::string> identifiers;  // other identifiers as "system|value"
  std::string name_han;                  // the name in characters, no spaces; "" if none
  std::string name_pinyin;               // toneless pinyin without spaces ("wangming")
  std::string first_syllable;            // of the name, family first ("wang"): the surname's
  std::string other_syllables;           // the rest, joined ("ming"): the given name's
  std::string birth_date;                // YYYY-MM-DD; "" when absent or partial
  char sex = 0;                          // 'M', 'F' or 0 (absent, other, unknown)
  std::vector<std::string> phones;       // national numbers: digits only, no +86
  std::string district;                  // of the home address
  std::string address;                   // the rest of the home address, no spaces
};

// The registry's view of a Patient resource. Unknown or malformed parts are left empty.
Person PersonFromPatient(const json::Value& patient);

// The 18-character form of a valid citizen ID number (15-digit numbers get "19" and a check
// character); "" when the number is not valid.
std::string CanonicalCitizenId(std::string_view number);

}  // namespace kangyun::mpi
