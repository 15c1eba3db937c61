// Status and Result<T>: errors as values across every module boundary.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace kangyun {

// What went wrong, in terms a FHIR client understands. The one mapping of these codes to HTTP
// statuses is in api/outcome.cpp.
enum class StatusCode {
  kOk,
  kInvalid,             // 400: malformed request or search value
  kUnauthorized,        // 401
  kForbidden,           // 403
  kNotFound,            // 404
  kMethodNotAllowed,    // 405
  kNotAcceptable,       // 406: a response format this server does not produce
  kConflict,            // 409: version conflict, duplicate
  kGone,                // 410: deleted
  kPreconditionFailed,  // 412: If-Match on a stale version, ambiguous conditional
  kTooLarge,            // 413
  kUnsupportedMedia,    // 415
  kUnprocessable,       // 422: valid JSON that is not a valid resource
  kTooManyRequests,     // 429
  kInternal,            // 500
  kUnavailable,         // 503: busy store, retry
  kAborted,             // 503 unless run again: the store aborted a transaction that met another
                        // in a cycle (a deadlock) or a conflict; running it again will do
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string expression = {})
      : code_(code), message_(std::move(message)), expression_(std::move(expression)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // FHIRPath of the offending element, when there is one (OperationOutcome.issue.expression).
  const std::string& expression() const { return expression_; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string expression_;
};

inline Status Invalid(std::string msg, std::string expr = {}) {
  return {StatusCode::kInvalid, std::move(msg), std::move(expr)};
}
inline Status Unprocessable(std::string msg, std::string expr = {}) {
  return {StatusCode::kUnprocessable, std::move(msg), std::move(expr)};
}
inline Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
inline Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

// A value or the Status that explains its absence. REQUIRES: an error Status is never kOk.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Status status) : v_(std::move(status)) {}

  bool ok() const { return v_.index() == 0; }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace kangyun

// Returns the Status of an expression from the enclosing function when it is not ok.
#define KY_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::kangyun::Status ky_status_ = (expr);   \
    if (!ky_status_.ok()) return ky_status_; \
  } while (0)

#define KY_CONCAT_INNER(a, b) a##b
#define KY_CONCAT(a, b) KY_CONCAT_INNER(a, b)
// Declares `lhs` from a Result, or returns its Status.
#define KY_ASSIGN_OR_RETURN(lhs, rexpr) \
  KY_ASSIGN_OR_RETURN_IMPL(KY_CONCAT(ky_result_, __LINE__), lhs, rexpr)
#define KY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                             \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
