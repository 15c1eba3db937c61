#include "store/sqlite/sqlite_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include "store/sqlite/sqlite_store.h"

namespace kangyun::store {
namespace {

// Opens a database and closes it when done.
struct Db {
  sqlite3* db = nullptr;
  ~Db() {
    if (db) sqlite3_close(db);
  }
  Status Open(const std::string& path, int flags) {
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK)
      return Error("cannot open " + path);
    sqlite3_busy_timeout(db, 30000);
    return Status::Ok();
  }
  Status Error(const std::string& what) const {
    return Status(StatusCode::kInternal, what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
  }
  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      Status s = Status(StatusCode::kInternal, std::string(sql) + ": " + (err ? err : "failed"));
      sqlite3_free(err);
      return s;
    }
    return Status::Ok();
  }
  // "ok", or the first problem SQLite's integrity check finds.
  std::string IntegrityCheck() {
    sqlite3_stmt* s = nullptr;
    std::string result = "cannot run the integrity check";
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
      result = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return result;
  }
};

// Copies every page of `from` into `to`, a few thousand at a time to say how far it is. The
// source is read in one read transaction held across the steps (in WAL mode a snapshot that
// blocks no writer): the copy is of one moment, and writes meanwhile do not restart it.
Status CopyDatabase(Db& from, Db& to, const CopyProgress& progress) {
  KY_RETURN_IF_ERROR(from.Exec("BEGIN"));
  KY_RETURN_IF_ERROR(from.Exec("SELECT count(*) FROM sqlite_master"));
  sqlite3_backup* b = sqlite3_backup_init(to.db, "main", from.db, "main");
  if (!b) {
    (void)from.Exec("COMMIT");
    return to.Error("cannot start the copy");
  }
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    rc = sqlite3_backup_step(b, progress ? 1024 : -1);
    int total = sqlite3_backup_pagecount(b);
    if (progress && total > 0)
      progress(static_cast<double>(total - sqlite3_backup_remaining(b)) / total);
  }
  sqlite3_backup_finish(b);
  (void)from.Exec("COMMIT");
  if (rc != SQLITE_DONE) return to.Error("the copy failed");
  return Status::Ok();
}

}  // namespace

Result<int> LockSqliteStoreShared(const std::string& db_path) {
  int fd = ::open((db_path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot open " + db_path + ".lock");
  if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
    ::close(fd);
    return Status(StatusCode::kUnavailable, db_path + " is being restored; try again");
  }
  return fd;
}

namespace {

// A consistent copy of one database file as a new plain file (no WAL beside it, so that it
// can be moved as it is), checked.
Status CopyToNewFile(const std::string& path, const std::string& copy_path,
                     const CopyProgress& progress) {
  Db from, to;
  KY_RETURN_IF_ERROR(from.Open(path, SQLITE_OPEN_READONLY));
  KY_RETURN_IF_ERROR(to.Open(copy_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  Status st = CopyDatabase(from, to, progress);
  if (st.ok()) st = to.Exec("PRAGMA journal_mode=DELETE");
  if (st.ok()) {
    std::string check = to.IntegrityCheck();
    if (check != "ok") st = Internal("the backup failed its integrity check: " + check);
  }
  if (!st.ok()) {
    sqlite3_close(to.db);
    to.db = nullptr;
    std::filesystem::remove(copy_path);
  }
  return st;
}

// Writes `from_path` over `to_path` (a store's file, kept in WAL mode).
Status CopyOver(const std::string& from_path, const std::string& to_path,
                const CopyProgress& progress) {
  Db from;
  KY_RETURN_IF_ERROR(from.Open(from_path, SQLITE_OPEN_READONLY));
  std::string check = from.IntegrityCheck();
  if (check != "ok") return Invalid(from_path + " is not a sound database: " + check);
  Db to;
  Status st = to.Open(to_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (st.ok()) st = CopyDatabase(from, to, progress);
  if (st.ok()) st = to.Exec("PRAGMA journal_mode=WAL");
  return st;
}

}  // namespace

Status BackupSqliteStore(const std::string& db_path, const std::string& backup_path,
                         const CopyProgress& progress) {
  if (!std::filesystem::exists(db_path)) return NotFound("no store at " + db_path);
  std::string audit = SqliteAuditPath(db_path), audit_copy = SqliteAuditPath(backup_path);
  if (std::filesystem::exists(backup_path) || std::filesystem::exists(audit_copy))
    return Invalid(backup_path + " exists; a backup never overwrites a file");
  KY_RETURN_IF_ERROR(CopyToNewFile(db_path, backup_path, progress));
  // The audit trail beside it, copied after the data: it holds at least every record of the
  // writes the copy holds.
  if (!std::filesystem::exists(audit)) return Status::Ok();
  Status st = CopyToNewFile(audit, audit_copy, {});
  if (!st.ok()) std::filesystem::remove(backup_path);
  return st;
}

Status RestoreSqliteStore(const std::string& backup_path, const std::string& db_path,
                          const CopyProgress& progress) {
  if (!std::filesystem::exists(backup_path)) return NotFound("no backup at " + backup_path);
  {
    Db from;
    KY_RETURN_IF_ERROR(from.Open(backup_path, SQLITE_OPEN_READONLY));
    std::string check = from.IntegrityCheck();
    if (check != "ok") return Invalid(backup_path + " is not a sound database: " + check);
  }
  // Every open store holds a shared lock: an exclusive one means nobody has it open, and
  // keeps it so until the restore is done.
  int fd = ::open((db_path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot open " + db_path + ".lock");
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status(StatusCode::kConflict,
                  db_path + " is open (a server or loader is using it); stop it, then restore");
  }
  Status st = CopyOver(backup_path, db_path, progress);
  // The audit trail is not rewound with the data: what happened since the backup stays on
  // record. Only a store that lost its trail gets the backup's.
  std::string audit = SqliteAuditPath(db_path), audit_copy = SqliteAuditPath(backup_path);
  if (st.ok() && !std::filesystem::exists(audit) && std::filesystem::exists(audit_copy))
    st = CopyOver(audit_copy, audit, {});
  ::close(fd);
  return st;
}

}  // namespace kangyun::store
