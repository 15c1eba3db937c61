#include "auth/scopes.h"

#include <algorithm>

#include "base/strings.h"

namespace kangyun::auth {
namespace {

Result<unsigned> ParsePermissions(std::string_view p, const std::string& scope) {
  if (p == "read") return unsigned{kRead | kSearch};
  if (p == "write") return unsigned{kCreate | kUpdate | kDelete};
  if (p == "*") return unsigned{kCreate | kRead | kUpdate | kDelete | kSearch};
  static constexpr std::string_view kOrder = "cruds";
  unsigned bits = 0;
  size_t at = 0;
  for (char c : p) {
    size_t k = kOrder.find(c, at);
    if (k == std::string_view::npos)
      return Invalid("Scope '" + scope + "': permissions must be a subset of 'cruds', in order");
    bits |= 1u << k;
    at = k + 1;
  }
  if (bits == 0) return Invalid("Scope '" + scope + "' grants nothing");
  return bits;
}

}  // namespace

bool Scope::Covers(const Scope& r) const {
  if (context == Context::kOther || r.context == Context::kOther)
    return context == r.context && text == r.text;
  if (context != r.context) return false;
  if (type != "*" && type != r.type) return false;
  if ((permissions & r.permissions) != r.permissions) return false;
  return params.empty() || params == r.params;
}

Result<std::vector<Scope>> ParseScopes(std::string_view text) {
  std::vector<Scope> out;
  for (const std::string& word : Split(text, ' ')) {
    if (word.empty()) continue;
    Scope s;
    s.text = word;
    size_t slash = word.find('/');
    std::string_view ctx =
        slash == std::string::npos ? "" : std::string_view(word).substr(0, slash);
    if (ctx == "patient")
      s.context = Scope::Context::kPatient;
    else if (ctx == "user")
      s.context = Scope::Context::kUser;
    else if (ctx == "system")
      s.context = Scope::Context::kSystem;
    if (s.context == Scope::Context::kOther) {
      out.push_back(std::move(s));
      continue;
    }
    std::string rest = word.substr(slash + 1);
    size_t q = rest.find('?');
    if (q != std::string::npos) {
      s.params = rest.substr(q + 1);
      rest.resize(q);
    }
    size_t dot = rest.find('.');
    if (dot == std::string::npos || dot == 0)
      return Invalid("Scope '" + word + "' must be context/Type.permissions");
    s.type = rest.substr(0, dot);
    KY_ASSIGN_OR_RETURN(s.permissions, ParsePermissions(rest.substr(dot + 1), word));
    out.push_back(std::move(s));
  }
  return out;
}

std::string ScopeString(const std::vector<Scope>& scopes) {
  std::string out;
  for (const Scope& s : scopes) {
    if (!out.empty()) out += ' ';
    if (s.context == Scope::Context::kOther) {
      out += s.text;
      continue;
    }
    out += s.context == Scope::Context::kPatient ? "patient/"
           : s.context == Scope::Context::kUser  ? "user/"
                                                 : "system/";
    out += s.type + ".";
    static constexpr std::string_view kOrder = "cruds";
    for (size_t k = 0; k < kOrder.size(); ++k)
      if (s.permissions & (1u << k)) out += kOrder[k];
    if (!s.params.empty()) out += "?" + s.params;
  }
  return out;
}

std::vector<Scope> Narrow(const std::vector<Scope>& requested, const std::vector<Scope>& allowed) {
  std::vector<Scope> out;
  for (const Scope& r : requested) {
    // openid, fhirUser, launch/patient, offline_access: requests about the token itself,
    // which grant no data.
    bool covered =
        r.context == Scope::Context::kOther ||
        std::any_of(allowed.begin(), allowed.end(), [&](const Scope& a) { return a.Covers(r); });
    if (covered) out.push_back(r);
  }
  return out;
}

}  // namespace kangyun::auth
