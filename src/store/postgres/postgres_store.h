// The server store: PostgreSQL through libpq. Several Kangyun processes may share one
// database; they behave as one server (docs/scale-out.md).
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace kangyun::store {

// Opens a PostgreSQL store at conninfo (a postgresql:// URL), creating or upgrading the schema.
// A database whose schema is newer than this binary knows is refused.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo);

}  // namespace kangyun::store
