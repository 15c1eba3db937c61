// The official R4 definitions, loaded once for all unit tests that need them.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "fhir/definitions.h"
#include "fhir/search_parameters.h"

namespace kangyun::testing {

inline const fhir::Definitions& Defs() {
  static const fhir::Definitions* defs = [] {
    auto loaded = fhir::Definitions::Load(KANGYUN_DEFAULT_DEFINITIONS);
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status().message();
      std::abort();
    }
    return std::move(loaded).value().release();
  }();
  return *defs;
}

// A fresh registry (tests may add parameters to it).
inline std::unique_ptr<fhir::SearchParameterRegistry> NewRegistry() {
  auto r = fhir::SearchParameterRegistry::Load(KANGYUN_DEFAULT_DEFINITIONS, Defs());
  if (!r.ok()) {
    ADD_FAILURE() << r.status().message();
    std::abort();
  }
  return std::move(r).value();
}

}  // namespace kangyun::testing
