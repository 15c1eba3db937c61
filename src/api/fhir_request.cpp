#include "api/fhir_request.h"

#include "base/strings.h"

namespace kangyun::api {

std::string_view FhirRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

void FhirResponse::SetHeader(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (AsciiLower(k) == AsciiLower(name)) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

std::string_view FhirResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (AsciiLower(k) == AsciiLower(name)) return v;
  return {};
}

std::vector<std::string> PathSegments(std::string_view path) {
  std::vector<std::string> out;
  for (std::string& s : Split(path, '/'))
    if (!s.empty()) out.push_back(std::move(s));
  return out;
}

}  // namespace kangyun::api
