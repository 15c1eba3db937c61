// The bindings of the base specification that advise rather than require (extensible and
// preferred): a code from outside the value set is allowed on writes, and $validate says so as
// a warning. Value sets the definitions cannot enumerate (SNOMED CT, LOINC) are not checked;
// nor is a CodeableConcept of text alone.
#pragma once

#include <string>
#include <vector>

#include "fhir/definitions.h"
#include "json/value.h"

namespace kangyun::fhir {

struct BindingAdvice {
  std::string path;  // FHIRPath of the element: "Observation.category[0]"
  std::string message;
};

std::vector<BindingAdvice> AdvisoryBindingWarnings(const Definitions& defs,
                                                   const json::Value& resource);

}  // namespace kangyun::fhir
