#include "mpi/patient_links.h"

namespace kangyun::mpi {
namespace {

std::string LocalPatientId(std::string_view reference) {
  constexpr std::string_view kPrefix = "Patient/";
  if (reference.substr(0, kPrefix.size()) != kPrefix) return "";
  std::string id(reference.substr(kPrefix.size()));
  return id.find('/') == std::string::npos ? id : "";
}

}  // namespace

std::vector<PatientLink> LinksOf(const json::Value& patient) {
  std::vector<PatientLink> out;
  const json::Value* links = patient.Find("link");
  if (!links) return out;
  for (const json::Value& link : links->items()) {
    const json::Value* other = link.Find("other");
    if (!other) continue;
    std::string id = LocalPatientId(other->GetString("reference"));
    if (!id.empty()) out.push_back({id, std::string(link.GetString("type"))});
  }
  return out;
}

std::string MasterOf(const json::Value& patient) {
  for (const PatientLink& l : LinksOf(patient))
    if (l.type == kRefer || l.type == kReplacedBy) return l.other_id;
  return "";
}

std::vector<std::string> RecordsOf(const json::Value& master) {
  std::vector<std::string> out;
  for (const PatientLink& l : LinksOf(master))
    if (l.type == kSeeAlso || l.type == kReplaces) out.push_back(l.other_id);
  return out;
}

bool AddLink(json::Value* patient, const std::string& other_id, const std::string& type) {
  for (const PatientLink& l : LinksOf(*patient))
    if (l.other_id == other_id && l.type == type) return false;
  json::Value* links = patient->Find("link");
  if (!links || !links->is_array()) links = &patient->Set("link", json::Value::Array());
  json::Value other = json::Value::Object();
  other.Set("reference", json::Value::String("Patient/" + other_id));
  json::Value link = json::Value::Object();
  link.Set("other", std::move(other));
  link.Set("type", json::Value::String(type));
  links->Push(std::move(link));
  return true;
}

bool RemoveLinks(json::Value* patient, const std::string& other_id) {
  json::Value* links = patient->Find("link");
  if (!links || !links->is_array()) return false;
  auto& items = links->items();
  size_t before = items.size();
  std::erase_if(items, [&](const json::Value& link) {
    const json::Value* other = link.Find("other");
    return other && LocalPatientId(other->GetString("reference")) == other_id;
  });
  bool removed = items.size() != before;
  if (items.empty()) patient->Erase("link");
  return removed;
}

}  // namespace kangyun::mpi
