// libFuzzer target: any query string, parsed and planned for a search on Patient and
// Observation against the official R4 parameters, gives a plan or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "fhir/definitions.h"
#include "fhir/search_parameters.h"
#include "search/search_planner.h"
#include "search/search_request.h"

namespace {
std::unique_ptr<kangyun::fhir::Definitions> g_defs;
std::unique_ptr<kangyun::fhir::SearchParameterRegistry> g_params;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto defs = kangyun::fhir::Definitions::Load(KANGYUN_DEFAULT_DEFINITIONS);
  if (!defs.ok()) std::abort();
  g_defs = std::move(defs).value();
  auto params = kangyun::fhir::SearchParameterRegistry::Load(KANGYUN_DEFAULT_DEFINITIONS, *g_defs);
  if (!params.ok()) std::abort();
  g_params = std::move(params).value();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto query = kangyun::search::ParseQueryString(text);
  auto request = kangyun::search::ParseSearchRequest(query);
  if (!request.ok()) return 0;
  kangyun::search::SearchPlanner planner(*g_defs, *g_params);
  for (const char* type : {"Patient", "Observation"}) {
    (void)planner.Plan({type}, *request, false, 0);
    (void)planner.Plan({type}, *request, true, 0);
  }
  return 0;
}
