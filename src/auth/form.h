// application/x-www-form-urlencoded text (a query string, a token request's body) as a map;
// the first of a repeated name counts.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/strings.h"

namespace kangyun::auth {

using Form = std::map<std::string, std::string>;

inline Form ParseForm(std::string_view text) {
  Form out;
  for (const std::string& pair : Split(text, '&')) {
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq), true);
    std::string value = eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1), true);
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

// The value of `name`, or "" when absent.
inline std::string Get(const Form& f, const std::string& name) {
  auto it = f.find(name);
  return it == f.end() ? "" : it->second;
}

}  // namespace kangyun::auth
