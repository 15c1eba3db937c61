#include "services/bulk_data/deidentify.h"

#include <set>

#include "auth/crypto.h"
#include "base/strings.h"

namespace kangyun::services::bulk_data {
namespace {

std::string Pseudonym(const std::string& key, std::string_view type, std::string_view id) {
  return "anon-" +
         auth::HmacSha256Hex(key, std::string(type) + "/" + std::string(id)).substr(0, 24);
}

// Elements that identify a person directly or carry free text that may, wherever they occur.
const std::set<std::string>& Removed() {
  static const std::set<std::string> kRemoved = {
      "identifier", "telecom", "photo",   "contact",   "note",
      "text",       "display", "comment", "extension", "modifierExtension"};
  return kRemoved;
}

// Person resources also lose their names.
bool IsPerson(std::string_view type) {
  return type == "Patient" || type == "RelatedPerson" || type == "Person";
}

void Walk(json::Value* v, const std::string& key, bool person, bool top) {
  if (v->is_array()) {
    for (json::Value& item : v->items()) Walk(&item, key, person, false);
    return;
  }
  if (!v->is_object()) return;
  auto& members = v->members();
  bool is_reference = v->Find("reference") != nullptr;
  for (auto it = members.begin(); it != members.end();) {
    const std::string& k = it->key;
    bool drop = Removed().count(k) > 0 || (person && (k == "name" || k == "birthTime"));
    // A reference's display may name the person; a code's display only says what it means.
    if (k == "display" && !is_reference) drop = false;
    // `text` of a CodeableConcept says what was found, not who: only the narrative goes.
    if (k == "text" && !(top && it->value.is_object())) drop = false;
    if (drop) {
      it = members.erase(it);
      continue;
    }
    ++it;
  }
  for (auto& m : members) {
    if (m.key == "reference" && m.value.is_string()) {
      std::string ref = m.value.str();
      size_t slash = ref.find('/');
      if (slash != std::string::npos && ref.find("://") == std::string::npos &&
          !StartsWith(ref, "urn:") && ref.find('/', slash + 1) == std::string::npos)
        m.value = json::Value::String(ref.substr(0, slash + 1) +
                                      Pseudonym(key, ref.substr(0, slash), ref.substr(slash + 1)));
      continue;
    }
    if (person && (m.key == "birthDate" || m.key == "deceasedDateTime") && m.value.is_string()) {
      m.value = json::Value::String(m.value.str().substr(0, 4));
      continue;
    }
    if (person && m.key == "address" && m.value.is_array()) {
      // The district and above stay: enough for regional statistics.
      for (json::Value& a : m.value.items()) {
        if (!a.is_object()) continue;
        for (const char* k : {"line", "postalCode", "text", "period"}) a.Erase(k);
      }
      continue;
    }
    Walk(&m.value, key, person, false);
  }
}

}  // namespace

void Deidentify(json::Value* resource, const std::string& key) {
  std::string type(resource->GetString("resourceType"));
  std::string id(resource->GetString("id"));
  bool person = IsPerson(type);
  Walk(resource, key, person, true);
  if (!id.empty()) resource->Set("id", json::Value::String(Pseudonym(key, type, id)));
  if (json::Value* meta = resource->Find("meta")) {
    meta->Erase("source");
    meta->Erase("versionId");
  }
}

}  // namespace kangyun::services::bulk_data
