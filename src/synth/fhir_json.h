// FHIR data types written with JsonWriter: the shapes every generated resource repeats.
#pragma once

#include <string_view>

#include "synth/json_writer.h"

namespace kangyun::synth {

// "key": {"reference": "Type/id"}
void WriteReference(JsonWriter& w, std::string_view key, std::string_view reference);
// A Reference as an array item.
void WriteReferenceItem(JsonWriter& w, std::string_view reference);
// A Coding as an array item.
void WriteCoding(JsonWriter& w, std::string_view system, std::string_view code,
                 std::string_view display);
// "key": CodeableConcept with one coding (and text when given).
void WriteConcept(JsonWriter& w, std::string_view key, std::string_view system,
                  std::string_view code, std::string_view display, std::string_view text = {});
// A CodeableConcept as an array item.
void WriteConceptItem(JsonWriter& w, std::string_view system, std::string_view code,
                      std::string_view display, std::string_view text = {});
// "key": [CodeableConcept]
void WriteConceptList(JsonWriter& w, std::string_view key, std::string_view system,
                      std::string_view code, std::string_view display, std::string_view text = {});
// An Identifier as an array item.
void WriteIdentifier(JsonWriter& w, std::string_view system, std::string_view value,
                     std::string_view use = {});
// "key": Quantity with a UCUM unit; `places` digits after the point.
void WriteQuantity(JsonWriter& w, std::string_view key, double value, int places,
                   std::string_view ucum);
// "key": Period
void WritePeriod(JsonWriter& w, std::string_view key, std::string_view start, std::string_view end);

}  // namespace kangyun::synth
