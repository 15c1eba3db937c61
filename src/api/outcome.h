// The one mapping of Status codes to HTTP statuses and OperationOutcome resources.
#pragma once

#include <string>

#include "api/fhir_request.h"
#include "base/status.h"
#include "json/value.h"

namespace kangyun::api {

int HttpStatusFor(StatusCode code);
// An OperationOutcome with one issue; expression is the FHIRPath of the offending element.
std::string OperationOutcomeJson(const std::string& severity, const std::string& code,
                                 const std::string& diagnostics, const std::string& expression);
std::string OperationOutcomeFor(const Status& status);
FhirResponse ErrorResponse(const Status& status);
// A success outcome (e.g. for Prefer: return=OperationOutcome).
std::string InformationOutcome(const std::string& diagnostics);
// A searchset Bundle's entry (search.mode outcome) with a warning: what the search did not do.
json::Value SearchWarningEntry(const std::string& code, const std::string& diagnostics);

}  // namespace kangyun::api
