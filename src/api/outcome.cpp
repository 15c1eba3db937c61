#include "api/outcome.h"

#include "fhir/outcome.h"
#include "json/json.h"

namespace kangyun::api {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalid:
      return 400;
    case StatusCode::kUnauthorized:
      return 401;
    case StatusCode::kForbidden:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kMethodNotAllowed:
      return 405;
    case StatusCode::kNotAcceptable:
      return 406;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kGone:
      return 410;
    case StatusCode::kPreconditionFailed:
      return 412;
    case StatusCode::kTooLarge:
      return 413;
    case StatusCode::kUnsupportedMedia:
      return 415;
    case StatusCode::kUnprocessable:
      return 422;
    case StatusCode::kTooManyRequests:
      return 429;
    case StatusCode::kInternal:
      return 500;
    case StatusCode::kUnavailable:
    case StatusCode::kAborted:
      return 503;
  }
  return 500;
}

namespace {
const char* IssueCode(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalid:
      return "invalid";
    case StatusCode::kUnauthorized:
      return "login";
    case StatusCode::kForbidden:
      return "forbidden";
    case StatusCode::kNotFound:
      return "not-found";
    case StatusCode::kMethodNotAllowed:
    case StatusCode::kNotAcceptable:
      return "not-supported";
    case StatusCode::kConflict:
      return "conflict";
    case StatusCode::kGone:
      return "deleted";
    case StatusCode::kPreconditionFailed:
      return "conflict";
    case StatusCode::kTooLarge:
      return "too-costly";
    case StatusCode::kUnsupportedMedia:
      return "not-supported";
    case StatusCode::kUnprocessable:
      return "processing";
    case StatusCode::kTooManyRequests:
      return "throttled";
    case StatusCode::kUnavailable:
    case StatusCode::kAborted:
      return "transient";
    default:
      return "exception";
  }
}
}  // namespace

std::string OperationOutcomeJson(const std::string& severity, const std::string& code,
                                 const std::string& diagnostics, const std::string& expression) {
  json::Value issues = json::Value::Array();
  issues.Push(fhir::OutcomeIssue(severity, code, diagnostics, expression));
  return json::Write(fhir::OperationOutcomeOf(std::move(issues)));
}

std::string OperationOutcomeFor(const Status& status) {
  // Internal errors never show their details to clients; they are logged instead.
  std::string message =
      status.code() == StatusCode::kInternal ? "Internal server error" : status.message();
  return OperationOutcomeJson(status.code() == StatusCode::kOk ? "information" : "error",
                              IssueCode(status.code()), message, status.expression());
}

FhirResponse ErrorResponse(const Status& status) {
  FhirResponse r;
  r.status = HttpStatusFor(status.code());
  r.body = OperationOutcomeFor(status);
  if (status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kAborted ||
      status.code() == StatusCode::kTooManyRequests)
    r.SetHeader("Retry-After", "1");
  return r;
}

std::string InformationOutcome(const std::string& diagnostics) {
  return OperationOutcomeJson("information", "informational", diagnostics, "");
}

json::Value SearchWarningEntry(const std::string& code, const std::string& diagnostics) {
  json::Value e = json::Value::Object();
  e.Set("resource", json::Value::Raw(OperationOutcomeJson("warning", code, diagnostics, "")));
  json::Value search = json::Value::Object();
  search.Set("mode", json::Value::String("outcome"));
  e.Set("search", std::move(search));
  return e;
}

}  // namespace kangyun::api
