// The terminology operations' handlers (internal to services/terminology/).
#pragma once

#include <string>

#include "api/engine.h"
#include "api/fhir_request.h"

namespace kangyun::services {

// CodeSystem/$lookup, $validate-code; ValueSet/$expand, $validate-code; ConceptMap/$translate
// ("$lookup", ...), on the type or an instance (id).
Result<api::FhirResponse> TerminologyOperation(api::Engine& s, store::ReadTransaction& txn,
                                               const api::FhirRequest& req, const std::string& type,
                                               const std::string& id, const std::string& op);

}  // namespace kangyun::services
