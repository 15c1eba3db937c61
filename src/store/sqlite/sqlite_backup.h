// Backup and restore of the embedded store. A backup is SQLite's online backup: a consistent
// copy of the database as of one moment, taken while servers keep reading and writing (in WAL
// mode the copy is one read transaction, which blocks no writer). A restore writes a backup
// back, only when no process has the store open.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"

namespace kangyun::store {

// Copies the store at `db_path` to a new file `backup_path` (refused if it exists) and its
// audit trail beside it (SqliteAuditPath), and checks the copies with SQLite's integrity
// check.
// `progress` is told the share of the store's pages copied so far.
using CopyProgress = std::function<void(double share)>;
Status BackupSqliteStore(const std::string& db_path, const std::string& backup_path,
                         const CopyProgress& progress = {});

// Replaces the store at `db_path` with the backup at `backup_path`. Refused while a server or
// loader has the store open, and when the backup is not a sound SQLite database. The audit
// trail is kept as it is (what happened since the backup stays on record); the backup's is
// restored only where the store has none.
Status RestoreSqliteStore(const std::string& backup_path, const std::string& db_path,
                          const CopyProgress& progress = {});

// Held by every open store (a shared lock on PATH.lock), so that a restore can tell that the
// store is in use. The returned descriptor is closed by the owner; -1 with an error Status when
// the lock cannot be had.
Result<int> LockSqliteStoreShared(const std::string& db_path);

}  // namespace kangyun::store
