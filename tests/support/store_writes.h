// Versions for tests that write to a store directly.
#pragma once

#include <string>

#include "store/store.h"

namespace kangyun::testing {

// The first version of type/id, put with `body` at time `last_updated`, without index rows.
inline store::ResourceWrite FirstVersion(const std::string& type, const std::string& id,
                                         std::string body, int64_t last_updated = 1) {
  store::ResourceWrite w;
  w.type = type;
  w.id = id;
  w.version = 1;
  w.last_updated = last_updated;
  w.method = "PUT";
  w.body = std::move(body);
  return w;
}

}  // namespace kangyun::testing
