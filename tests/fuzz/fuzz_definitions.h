// The official R4 definitions and search parameters, loaded once by a fuzz target's
// LLVMFuzzerInitialize. A target that cannot load them stops at once.
#pragma once

#include <cstdlib>
#include <memory>

#include "fhir/definitions.h"
#include "fhir/search_parameters.h"

namespace kangyun::fuzzing {

struct LoadedDefinitions {
  std::unique_ptr<fhir::Definitions> defs;
  std::unique_ptr<fhir::SearchParameterRegistry> params;
};

inline LoadedDefinitions LoadDefinitionsOrDie() {
  LoadedDefinitions out;
  auto defs = fhir::Definitions::Load(KANGYUN_DEFAULT_DEFINITIONS);
  if (!defs.ok()) std::abort();
  out.defs = std::move(defs).value();
  auto params = fhir::SearchParameterRegistry::Load(KANGYUN_DEFAULT_DEFINITIONS, *out.defs);
  if (!params.ok()) std::abort();
  out.params = std::move(params).value();
  return out;
}

}  // namespace kangyun::fuzzing
