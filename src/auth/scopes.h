// SMART App Launch v2 scopes
// (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html):
// "patient/Observation.rs?category=laboratory", "user/*.cruds", "system/Patient.r", and the
// v1 forms "read" / "write" / "*". Other scopes (openid, fhirUser, launch/patient,
// offline_access) are kept as they are.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kangyun::auth {

// One permission letter of a v2 scope.
enum Permission : unsigned {
  kCreate = 1,
  kRead = 2,
  kUpdate = 4,
  kDelete = 8,
  kSearch = 16,
};

struct Scope {
  enum class Context { kPatient, kUser, kSystem, kOther };
  Context context = Context::kOther;
  std::string type;          // a resource type or "*"
  unsigned permissions = 0;  // Permission bits
  std::string params;        // the search parameters after '?', or ""
  std::string text;          // as written

  bool Grants(std::string_view resource_type, Permission p) const {
    return context != Context::kOther && (permissions & p) &&
           (type == "*" || type == resource_type);
  }
  // Whether this (granted) scope covers `requested`: the same context, a type at least as
  // wide, every permission, and no parameters this one lacks.
  bool Covers(const Scope& requested) const;
};

// Parses a space-separated scope string. A malformed resource scope is an error naming it.
Result<std::vector<Scope>> ParseScopes(std::string_view text);
// The v2 spelling, space-separated.
std::string ScopeString(const std::vector<Scope>& scopes);
// The scopes of `requested` that some scope of `allowed` covers (the token gets no more than
// its account allows), and the non-resource ones.
std::vector<Scope> Narrow(const std::vector<Scope>& requested, const std::vector<Scope>& allowed);

}  // namespace kangyun::auth
