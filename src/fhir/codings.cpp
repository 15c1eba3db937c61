#include "fhir/codings.h"

namespace kangyun::fhir {

std::vector<CodingRef> CodingsOf(const json::Value& v, std::string_view type) {
  std::vector<CodingRef> out;
  if (type == "code") {
    if (v.is_string()) out.push_back({"", v.str()});
  } else if (type == "Coding") {
    if (v.is_object()) out.push_back({v.GetString("system"), v.GetString("code")});
  } else if (type == "CodeableConcept" && v.is_object()) {
    if (const json::Value* list = v.Find("coding"); list && list->is_array())
      for (const json::Value& c : list->items())
        if (c.is_object()) out.push_back({c.GetString("system"), c.GetString("code")});
  }
  return out;
}

}  // namespace kangyun::fhir
