#include "store/sqlite/sqlite_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

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

// Copies every page of `from` into `to` in one step.
Status CopyDatabase(Db& from, Db& to) {
  sqlite3_backup* b = sqlite3_backup_init(to.db, "main", from.db, "main");
  if (!b) return to.Error("cannot start the copy");
  int rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
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

Status BackupSqliteStore(const std::string& db_path, const std::string& backup_path) {
  if (!std::filesystem::exists(db_path)) return NotFound("no store at " + db_path);
  if (std::filesystem::exists(backup_path))
    return Invalid(backup_path + " exists; a backup never overwrites a file");
  Db from, to;
  KY_RETURN_IF_ERROR(from.Open(db_path, SQLITE_OPEN_READONLY));
  KY_RETURN_IF_ERROR(to.Open(backup_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  Status st = CopyDatabase(from, to);
  // The copy is a plain database file (no WAL beside it), so that it can be moved as it is.
  if (st.ok()) st = to.Exec("PRAGMA journal_mode=DELETE");
  if (st.ok()) {
    std::string check = to.IntegrityCheck();
    if (check != "ok") st = Internal("the backup failed its integrity check: " + check);
  }
  if (!st.ok()) {
    sqlite3_close(to.db);
    to.db = nullptr;
    std::filesystem::remove(backup_path);
  }
  return st;
}

Status RestoreSqliteStore(const std::string& backup_path, const std::string& db_path) {
  if (!std::filesystem::exists(backup_path)) return NotFound("no backup at " + backup_path);
  Db from;
  KY_RETURN_IF_ERROR(from.Open(backup_path, SQLITE_OPEN_READONLY));
  std::string check = from.IntegrityCheck();
  if (check != "ok") return Invalid(backup_path + " is not a sound database: " + check);
  // Every open store holds a shared lock: an exclusive one means nobody has it open, and
  // keeps it so until the restore is done.
  int fd = ::open((db_path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot open " + db_path + ".lock");
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status(StatusCode::kConflict,
                  db_path + " is open (a server or loader is using it); stop it, then restore");
  }
  Db to;
  Status st = to.Open(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (st.ok()) st = CopyDatabase(from, to);
  // The restored database runs in WAL mode as every store does.
  if (st.ok()) st = to.Exec("PRAGMA journal_mode=WAL");
  ::close(fd);
  return st;
}

}  // namespace kangyun::store
