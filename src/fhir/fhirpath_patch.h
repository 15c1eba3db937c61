// FHIRPath Patch (http://hl7.org/fhir/R4/fhirpatch.html): a Parameters resource of operations
// (add, insert, delete, replace, move), each locating its element with FHIRPath, applied in
// order to a resource. The result is validated as any write, by the caller.
#pragma once

#include "base/status.h"
#include "fhir/definitions.h"
#include "json/value.h"

namespace kangyun::fhir {

// Applies `patch` (a Parameters resource) to *resource. kUnprocessable naming the operation
// (`Parameters.parameter[1]`) and what is wrong: an unknown type, a path that finds more than
// one element where one is needed, an index out of range, a value missing. On error *resource
// may be partly patched; the caller discards it.
Status ApplyFhirPathPatch(const Definitions& defs, const json::Value& patch, json::Value* resource);

}  // namespace kangyun::fhir
