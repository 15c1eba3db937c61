// The embedded store: SQLite in WAL mode, group commit, synchronous=FULL.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/store.h"

namespace kangyun::store {

// Opens (creating and migrating as needed) a SQLite store at path. A database whose schema is
// newer than this binary knows is refused.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// The audit log's file beside the store at db_path (store/audit_log_sql.h).
std::string SqliteAuditPath(const std::string& db_path);

// A bulk load sets the search indexes aside when the store holds at most this many resources:
// a new platform already holds its own content (code systems, naming systems), and building
// the indexes of a few thousand resources again at the end takes well under a second.
inline constexpr int64_t kSqliteBulkLoadMaxResources = 10000;

}  // namespace kangyun::store
