#include "synth/fhir_json.h"

#include "cn/systems.h"

namespace kangyun::synth {

void WriteReference(JsonWriter& w, std::string_view key, std::string_view reference) {
  w.BeginObject(key).Field("reference", reference).EndObject();
}

void WriteReferenceItem(JsonWriter& w, std::string_view reference) {
  w.BeginObject().Field("reference", reference).EndObject();
}

void WriteCoding(JsonWriter& w, std::string_view system, std::string_view code,
                 std::string_view display) {
  w.BeginObject().Field("system", system).Field("code", code);
  if (!display.empty()) w.Field("display", display);
  w.EndObject();
}

void WriteConceptItem(JsonWriter& w, std::string_view system, std::string_view code,
                      std::string_view display, std::string_view text) {
  w.BeginObject().BeginArray("coding");
  WriteCoding(w, system, code, display);
  w.EndArray();
  if (!text.empty()) w.Field("text", text);
  w.EndObject();
}

void WriteConcept(JsonWriter& w, std::string_view key, std::string_view system,
                  std::string_view code, std::string_view display, std::string_view text) {
  w.Key(key);
  WriteConceptItem(w, system, code, display, text);
}

void WriteConceptList(JsonWriter& w, std::string_view key, std::string_view system,
                      std::string_view code, std::string_view display, std::string_view text) {
  w.BeginArray(key);
  WriteConceptItem(w, system, code, display, text);
  w.EndArray();
}

void WriteIdentifier(JsonWriter& w, std::string_view system, std::string_view value,
                     std::string_view use) {
  w.BeginObject();
  if (!use.empty()) w.Field("use", use);
  w.Field("system", system).Field("value", value).EndObject();
}

void WriteQuantity(JsonWriter& w, std::string_view key, double value, int places,
                   std::string_view ucum) {
  w.BeginObject(key).Key("value").Decimal(value, places);
  w.Field("unit", ucum).Field("system", cn::kUcumSystem).Field("code", ucum).EndObject();
}

void WritePeriod(JsonWriter& w, std::string_view key, std::string_view start,
                 std::string_view end) {
  w.BeginObject(key).Field("start", start);
  if (!end.empty()) w.Field("end", end);
  w.EndObject();
}

}  // namespace kangyun::synth
