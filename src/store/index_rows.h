// The index rows one resource version produces: plain values the store keeps beside the
// resource bytes so that searches are index lookups. Made by search/index_extractor from the
// search parameters; the store knows nothing of FHIR beyond these rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kangyun::store {

struct StringRow {
  std::string param;
  std::string norm;   // NormalizeForSearch(value): default and :contains searches
  std::string exact;  // the value as written: :exact
};
struct TokenRow {
  std::string param;
  std::string system;  // "" when the value has none
  std::string code;
  std::string text;  // normalised display/text, for :text
};
struct NumberRow {
  std::string param;
  double value;
};
struct DateRow {
  std::string param;
  int64_t low, high;  // microseconds since the epoch, inclusive
};
struct QuantityRow {
  std::string param;
  std::string system, code;  // as written (code falls back to unit)
  double value;
  std::string canonical_code;  // UCUM canonical unit, "" when not convertible
  double canonical_value;
};
struct ReferenceRow {
  std::string param;
  std::string target_type, target_id;  // a local reference; both "" for an external one
  std::string url;                     // absolute or canonical reference, else ""
};
struct UriRow {
  std::string param;
  std::string uri;
};
// A composite parameter's value: a token first component and a second component of any type.
struct CompositeRow {
  std::string param;
  std::string c1_system, c1_code;
  std::string c2_system, c2_code;  // token or quantity unit
  double c2_low = 0, c2_high = 0;  // number, quantity or date (micros) range
  std::string c2_text;             // string (normalised) or reference ("Type/id")
};

// The words of a resource for _text (its narrative) and _content (all its text), normalised
// like string values, searched by substring so that Chinese, written without spaces, is found.
struct TextRow {
  std::string param;  // "_text" or "_content"
  std::string norm;
};

struct IndexRows {
  std::vector<StringRow> strings;
  std::vector<TokenRow> tokens;
  std::vector<NumberRow> numbers;
  std::vector<DateRow> dates;
  std::vector<QuantityRow> quantities;
  std::vector<ReferenceRow> references;
  std::vector<UriRow> uris;
  std::vector<CompositeRow> composites;
  std::vector<TextRow> texts;
  // Ids of the Patients whose compartment holds this resource (the key a sharded store
  // co-locates a resident's data by).
  std::vector<std::string> patient_compartments;
};

}  // namespace kangyun::store
