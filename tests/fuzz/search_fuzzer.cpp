// libFuzzer target: any query string, parsed and planned for a search on Patient and
// Observation against the official R4 parameters, gives a plan or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "search/search_planner.h"
#include "search/search_request.h"
#include "tests/fuzz/fuzz_definitions.h"

namespace {
kangyun::fuzzing::LoadedDefinitions g_loaded;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_loaded = kangyun::fuzzing::LoadDefinitionsOrDie();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto query = kangyun::search::ParseQueryString(text);
  auto request = kangyun::search::ParseSearchRequest(query);
  if (!request.ok()) return 0;
  kangyun::search::SearchPlanner planner(*g_loaded.defs, *g_loaded.params);
  for (const char* type : {"Patient", "Observation"}) {
    (void)planner.Plan({type}, *request, false, 0);
    (void)planner.Plan({type}, *request, true, 0);
  }
  return 0;
}
