// OperationOutcome resources as JSON: one issue, and the outcome of several. The FHIR API
// (api/outcome.h) and the account API (auth/account_admin.h) answer errors with them alike.
#pragma once

#include <string>

#include "json/value.h"

namespace kangyun::fhir {

// One issue; `expression` is the FHIRPath of the offending element ("" for none).
json::Value OutcomeIssue(const std::string& severity, const std::string& code,
                         const std::string& diagnostics, const std::string& expression);
// An OperationOutcome of `issues` (an array of OutcomeIssue).
json::Value OperationOutcomeOf(json::Value issues);

}  // namespace kangyun::fhir
