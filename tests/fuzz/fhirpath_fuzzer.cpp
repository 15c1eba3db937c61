// libFuzzer target: any FHIRPath text compiles or fails with a position, and evaluating what
// compiles on a sample resource never crashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fhir/fhirpath/fhirpath.h"
#include "json/json.h"

namespace {
const char* kResource = R"({"resourceType":"Patient","id":"p","active":true,
  "name":[{"family":"Wang","given":["Xiao","Ming"]}],"birthDate":"1990-03-07",
  "extension":[{"url":"u","valueQuantity":{"value":1.5,"code":"mg"}}],
  "contact":[{"name":{"family":"Li"}}],"managingOrganization":{"reference":"Organization/o"}})";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto expr = kangyun::fhir::fhirpath::Compile(text);
  if (!expr.ok()) return 0;
  static const kangyun::json::Value resource = *kangyun::json::Parse(kResource);
  kangyun::fhir::fhirpath::EvalOptions options;
  options.now_micros = 1;
  (void)kangyun::fhir::fhirpath::Evaluate(**expr, resource, options);
  return 0;
}
