#include "fhir/outcome.h"

namespace kangyun::fhir {

json::Value OutcomeIssue(const std::string& severity, const std::string& code,
                         const std::string& diagnostics, const std::string& expression) {
  json::Value issue = json::Value::Object();
  issue.Set("severity", json::Value::String(severity));
  issue.Set("code", json::Value::String(code));
  issue.Set("diagnostics", json::Value::String(diagnostics));
  if (!expression.empty()) {
    json::Value expr = json::Value::Array();
    expr.Push(json::Value::String(expression));
    issue.Set("expression", std::move(expr));
  }
  return issue;
}

json::Value OperationOutcomeOf(json::Value issues) {
  json::Value oo = json::Value::Object();
  oo.Set("resourceType", json::Value::String("OperationOutcome"));
  oo.Set("issue", std::move(issues));
  return oo;
}

}  // namespace kangyun::fhir
