// The embedded store: SQLite in WAL mode, group commit, synchronous=FULL.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace kangyun::store {

// Opens (creating and migrating as needed) a SQLite store at path. A database whose schema is
// newer than this binary knows is refused.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace kangyun::store
