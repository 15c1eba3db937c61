// The invariants of the base specification (ElementDefinition.constraint, e.g. pat-1, obs-6,
// per-1, ref-1), evaluated with FHIRPath on a resource that passed the structural checks
// (validator.h): each object of the resource against the constraints of its type or backbone
// element. A constraint whose expression does not evaluate to a boolean here (a function this
// engine lacks, a resolve() it cannot follow) is not held against the resource.
#pragma once

#include <string>
#include <vector>

#include "fhir/definitions.h"
#include "json/value.h"

namespace kangyun::fhir {

struct InvariantFailure {
  const Constraint* constraint = nullptr;
  std::string path;  // the FHIRPath of the object that fails it: "Patient.contact[0]"
};

// The invariants `resource` fails: errors, and warnings too when asked.
std::vector<InvariantFailure> FailedInvariants(const Definitions& defs, const json::Value& resource,
                                               bool warnings);

}  // namespace kangyun::fhir
