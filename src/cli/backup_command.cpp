// kangyun backup / restore: the embedded store's online backup, and putting one back.
#include <cstdio>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "store/sqlite/sqlite_backup.h"

namespace kangyun::cli {
namespace {

// The path of --db sqlite:PATH; PostgreSQL has its own tools (docs/scale-out.md).
std::string SqlitePath(const char* command, const std::string& db) {
  if (StartsWith(db, "sqlite:") && db.size() > 7) return db.substr(7);
  std::fprintf(stderr,
               "kangyun %s: --db sqlite:PATH is required (a PostgreSQL store is backed up with "
               "pg_basebackup or pg_dump; see docs/scale-out.md)\n",
               command);
  return "";
}

}  // namespace

int BackupCommand(const Args& args) {
  std::string db, out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--db")
      db = OptionValue("backup", args, &i);
    else if (args[i] == "--out")
      out = OptionValue("backup", args, &i);
    else {
      std::fprintf(stderr, "kangyun backup: unknown option %s\n", args[i].c_str());
      return 2;
    }
  }
  std::string path = SqlitePath("backup", db);
  if (path.empty()) return 2;
  if (out.empty()) {
    std::fprintf(stderr, "kangyun backup: --out FILE is required\n");
    return 2;
  }
  Progress progress("backing up", "");
  Status st = store::BackupSqliteStore(path, out, [&](double share) { progress.Update(0, share); });
  progress.Finish();
  if (!st.ok()) {
    std::fprintf(stderr, "kangyun backup: %s\n", st.message().c_str());
    return 1;
  }
  std::printf("backed up %s to %s (integrity check: ok)\n", path.c_str(), out.c_str());
  return 0;
}

int RestoreCommand(const Args& args) {
  std::string db, from;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--db")
      db = OptionValue("restore", args, &i);
    else if (args[i] == "--from")
      from = OptionValue("restore", args, &i);
    else {
      std::fprintf(stderr, "kangyun restore: unknown option %s\n", args[i].c_str());
      return 2;
    }
  }
  std::string path = SqlitePath("restore", db);
  if (path.empty()) return 2;
  if (from.empty()) {
    std::fprintf(stderr, "kangyun restore: --from FILE is required\n");
    return 2;
  }
  Progress progress("restoring", "");
  Status st =
      store::RestoreSqliteStore(from, path, [&](double share) { progress.Update(0, share); });
  progress.Finish();
  if (!st.ok()) {
    std::fprintf(stderr, "kangyun restore: %s\n", st.message().c_str());
    return 1;
  }
  std::printf("restored %s from %s\n", path.c_str(), from.c_str());
  return 0;
}

}  // namespace kangyun::cli
