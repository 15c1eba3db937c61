#include "mpi/person.h"

#include <algorithm>

#include "cn/citizen_id.h"
#include "cn/systems.h"
#include "mpi/pinyin.h"

namespace kangyun::mpi {
namespace {

std::string WithoutSpaces(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n') out.push_back(c);
  return out;
}

// The name's parts family first (how Chinese names are written and read).
std::string FamilyFirst(const json::Value& name) {
  std::string out(name.GetString("family"));
  if (const json::Value* given = name.Find("given"))
    for (const json::Value& g : given->items())
      if (g.is_string()) out += " " + g.str();
  if (out.empty() || out == " ") out = std::string(name.GetString("text"));
  return out;
}

std::string NationalPhone(std::string_view value) {
  std::string digits;
  for (char c : value)
    if (c >= '0' && c <= '9') digits.push_back(c);
  if (digits.size() == 13 && digits.compare(0, 2, "86") == 0) digits.erase(0, 2);
  if (digits.size() == 15 && digits.compare(0, 4, "0086") == 0) digits.erase(0, 4);
  return digits;
}

}  // namespace

std::string CanonicalCitizenId(std::string_view number) {
  auto info = cn::ParseCitizenId(number, "");
  if (!info.ok()) return "";
  if (number.size() == 18) {
    std::string out(number);
    if (out[17] == 'x') out[17] = 'X';
    return out;
  }
  std::string first17 = std::string(number.substr(0, 6)) + "19" + std::string(number.substr(6, 9));
  return first17 + cn::CitizenIdCheckChar(first17);
}

Person PersonFromPatient(const json::Value& patient) {
  Person p;
  p.id = std::string(patient.GetString("id"));
  if (const json::Value* ids = patient.Find("identifier")) {
    for (const json::Value& ident : ids->items()) {
      std::string system(ident.GetString("system")), value(ident.GetString("value"));
      if (value.empty()) continue;
      if (system == cn::kCitizenIdSystem) {
        if (p.citizen_id.empty()) p.citizen_id = CanonicalCitizenId(value);
      } else if (!system.empty()) {
        p.identifiers.push_back(system + "|" + value);
      }
    }
  }
  if (const json::Value* names = patient.Find("name")) {
    std::string latin;
    for (const json::Value& name : names->items()) {
      if (name.GetString("use") == "old") continue;
      std::string written = FamilyFirst(name);
      if (HasHan(written)) {
        if (p.name_han.empty()) p.name_han = WithoutSpaces(written);
      } else if (latin.empty()) {
        latin = written;
      }
    }
    std::vector<std::string> syllables =
        PinyinSyllables(!p.name_han.empty() ? std::string_view(p.name_han) : latin, true);
    for (size_t i = 0; i < syllables.size(); ++i) {
      p.name_pinyin += syllables[i];
      (i == 0 ? p.first_syllable : p.other_syllables) += syllables[i];
    }
  }
  std::string_view birth = patient.GetString("birthDate");
  if (birth.size() == 10) p.birth_date = std::string(birth);
  std::string_view gender = patient.GetString("gender");
  p.sex = gender == "male" ? 'M' : gender == "female" ? 'F' : 0;
  if (const json::Value* telecom = patient.Find("telecom")) {
    for (const json::Value& t : telecom->items()) {
      if (t.GetString("system") != "phone") continue;
      std::string phone = NationalPhone(t.GetString("value"));
      if (phone.size() >= 7 && std::find(p.phones.begin(), p.phones.end(), phone) == p.phones.end())
        p.phones.push_back(phone);
    }
  }
  if (const json::Value* addresses = patient.Find("address")) {
    const json::Value* home = nullptr;
    for (const json::Value& a : addresses->items())
      if (!home || a.GetString("use") == "home") home = &a;
    if (home && home->GetString("use") != "old") {
      p.district = WithoutSpaces(home->GetString("district"));
      std::string line;
      if (const json::Value* lines = home->Find("line"))
        for (const json::Value& l : lines->items())
          if (l.is_string()) line += l.str();
      p.address = WithoutSpaces(line.empty() ? home->GetString("text") : std::string_view(line));
    }
  }
  return p;
}

}  // namespace kangyun::mpi
