#include "mpi/blocking.h"

#include <algorithm>

namespace kangyun::mpi {

std::vector<std::string> BlockingKeys(const Person& p) {
  std::vector<std::string> keys;
  if (!p.citizen_id.empty()) keys.push_back("c" + p.citizen_id);
  if (p.birth_date.size() == 10) {
    const std::string& d = p.birth_date;  // YYYY-MM-DD
    std::string year = d.substr(0, 4), month = d.substr(5, 2), day = d.substr(8, 2);
    std::vector<std::string> dates = {year + month + day};
    if (day != month && day <= "12") dates.push_back(year + day + month);
    // A birth date alone files some sixty residents of a million together; with a part of
    // the name, a handful, while one slip in the name still leaves the other part intact.
    for (const std::string& date : dates) {
      if (p.name_pinyin.empty()) {
        keys.push_back("b" + date);
        continue;
      }
      keys.push_back("b" + date + p.first_syllable);
      if (!p.other_syllables.empty()) keys.push_back("g" + date + p.other_syllables);
    }
    if (!p.name_pinyin.empty()) keys.push_back("n" + p.name_pinyin + year);
  }
  for (const std::string& phone : p.phones) keys.push_back("p" + phone);
  for (const std::string& identifier : p.identifiers) keys.push_back("i" + identifier);
  if (!p.name_han.empty() && !p.district.empty()) keys.push_back("h" + p.name_han + p.district);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace kangyun::mpi
