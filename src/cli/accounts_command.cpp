// kangyun user / client / audit: accounts that may obtain tokens, and the audit chain's check.
// They open the store alone (no FHIR definitions), so an operator can run them beside a
// serving process.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "audit/audit_archive.h"
#include "audit/audit_trail.h"
#include "auth/accounts.h"
#include "auth/password.h"
#include "base/files.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace kangyun::cli {
namespace {

Result<std::unique_ptr<store::Store>> OpenStore(const std::string& db) {
  if (StartsWith(db, "postgresql://") || StartsWith(db, "postgres://"))
    return store::OpenPostgresStore(db);
  if (StartsWith(db, "sqlite:") && db.size() > 7) return store::OpenSqliteStore(db.substr(7));
  return Invalid("--db sqlite:PATH or --db postgresql://… is required");
}

Result<std::string> ReadFile(const std::string& path) {
  std::optional<std::string> bytes = ReadFileBytes(path);
  if (!bytes) return Invalid("cannot read " + path);
  return std::move(*bytes);
}

int Fail(const Status& st) {
  std::fprintf(stderr, "kangyun: %s\n", st.message().c_str());
  return st.code() == StatusCode::kInvalid ? 2 : 1;
}

int AddUser(const Args& args) {
  std::string db, password, password_file, role = "resident";
  auth::User u;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&] { return OptionValue("user add", args, &i); };
    if (a == "--db")
      db = value();
    else if (a == "--username")
      u.username = value();
    else if (a == "--display")
      u.display = value();
    else if (a == "--role")
      role = value();
    else if (a == "--organization")
      u.organization = value();
    else if (a == "--practitioner")
      u.practitioner = value();
    else if (a == "--patient")
      u.patient = value();
    else if (a == "--scopes")
      u.scopes = value();
    else if (a == "--password")
      password = value();
    else if (a == "--password-file")
      password_file = value();
    else
      return Fail(Invalid("unknown option " + a));
  }
  if (u.username.empty()) return Fail(Invalid("--username is required"));
  if (!auth::ParseRole(role, &u.role)) return Fail(Invalid("unknown --role " + role));
  if (!password_file.empty()) {
    auto text = ReadFile(password_file);
    if (!text.ok()) return Fail(text.status());
    password = std::string(Trim(*text));
  }
  if (Status st = auth::CheckUser(u); !st.ok()) return Fail(st);
  if (Status st = auth::CheckPasswordStrength(password); !st.ok()) return Fail(st);
  auto hash = auth::HashPassword(password);
  if (!hash.ok()) return Fail(hash.status());
  u.password_hash = *hash;
  auto store = OpenStore(db);
  if (!store.ok()) return Fail(store.status());
  auto txn = (*store)->BeginWrite();
  if (!txn.ok()) return Fail(txn.status());
  if (Status st = auth::PutUser(**txn, u); !st.ok()) return Fail(st);
  if (Status st = (*txn)->Commit(); !st.ok()) return Fail(st);
  std::printf("user %s (%s) saved\n", u.username.c_str(), auth::RoleName(u.role));
  return 0;
}

int AddClient(const Args& args) {
  std::string db, role = "clinician", key_file;
  auth::Client c;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&] { return OptionValue("client add", args, &i); };
    if (a == "--db")
      db = value();
    else if (a == "--id")
      c.id = value();
    else if (a == "--name")
      c.name = value();
    else if (a == "--role")
      role = value();
    else if (a == "--organization")
      c.organization = value();
    else if (a == "--public-key")
      key_file = value();
    else if (a == "--redirect-uri")
      c.redirect_uris.push_back(value());
    else if (a == "--scopes")
      c.scopes = value();
    else
      return Fail(Invalid("unknown option " + a));
  }
  if (c.id.empty()) return Fail(Invalid("--id is required"));
  if (!auth::ParseRole(role, &c.role)) return Fail(Invalid("unknown --role " + role));
  if (!key_file.empty()) {
    auto text = ReadFile(key_file);
    if (!text.ok()) return Fail(text.status());
    c.public_key = *text;
  }
  if (Status st = auth::CheckClient(c); !st.ok()) return Fail(st);
  auto store = OpenStore(db);
  if (!store.ok()) return Fail(store.status());
  auto txn = (*store)->BeginWrite();
  if (!txn.ok()) return Fail(txn.status());
  if (Status st = auth::PutClient(**txn, c); !st.ok()) return Fail(st);
  if (Status st = (*txn)->Commit(); !st.ok()) return Fail(st);
  std::printf("client %s (%s) saved\n", c.id.c_str(), auth::RoleName(c.role));
  return 0;
}

int List(const Args& args, bool users) {
  std::string db;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--db")
      db = OptionValue("list", args, &i);
    else
      return Fail(Invalid("unknown option " + args[i]));
  }
  auto store = OpenStore(db);
  if (!store.ok()) return Fail(store.status());
  auto txn = (*store)->BeginRead();
  if (!txn.ok()) return Fail(txn.status());
  if (users) {
    auto list = auth::ListUsers(**txn);
    if (!list.ok()) return Fail(list.status());
    for (const auth::User& u : *list)
      std::printf("%s\t%s\torganization=%s patient=%s%s\n", u.username.c_str(),
                  auth::RoleName(u.role), u.organization.c_str(), u.patient.c_str(),
                  u.disabled ? "\tdisabled" : "");
  } else {
    auto list = auth::ListClients(**txn);
    if (!list.ok()) return Fail(list.status());
    for (const auth::Client& c : *list)
      std::printf("%s\t%s\torganization=%s\t%s\n", c.id.c_str(), auth::RoleName(c.role),
                  c.organization.c_str(), c.public_key.empty() ? "app" : "system");
  }
  return 0;
}

int Verify(const Args& args) {
  std::string db, archive;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--db")
      db = OptionValue("audit verify", args, &i);
    else if (args[i] == "--archive")
      archive = OptionValue("audit verify", args, &i);
    else
      return Fail(Invalid("unknown option " + args[i]));
  }
  auto store = OpenStore(db);
  if (!store.ok()) return Fail(store.status());
  auto report = audit::VerifyChain(**store, archive);
  if (!report.ok()) return Fail(report.status());
  for (const std::string& p : report->problems) std::printf("TAMPERED: %s\n", p.c_str());
  std::printf("%lld audit events; chain head %lld %s\n", static_cast<long long>(report->events),
              static_cast<long long>(report->head.sequence), report->head.hash.c_str());
  if (report->archives_unchecked > 0)
    std::printf("%d archived months not checked: give --archive DIR to check them too\n",
                report->archives_unchecked);
  if (!report->problems.empty()) {
    std::printf("the audit chain is NOT intact (%zu problems)\n", report->problems.size());
    return 1;
  }
  std::printf("the audit chain is intact\n");
  return 0;
}

}  // namespace

int UserCommand(const Args& args) {
  if (!args.empty() && args[0] == "add") return AddUser(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "list") return List(Args(args.begin() + 1, args.end()), true);
  return Fail(Invalid("usage: kangyun user add|list --db …"));
}

int ClientCommand(const Args& args) {
  if (!args.empty() && args[0] == "add") return AddClient(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "list") return List(Args(args.begin() + 1, args.end()), false);
  return Fail(Invalid("usage: kangyun client add|list --db …"));
}

// Moves the months of the trail older than the kept ones into files (audit/audit_archive.h).
int Archive(const Args& args) {
  std::string db, dir;
  int keep = 6;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--db") {
      db = OptionValue("audit archive", args, &i);
    } else if (args[i] == "--dir") {
      dir = OptionValue("audit archive", args, &i);
    } else if (args[i] == "--keep-months") {
      std::string n = OptionValue("audit archive", args, &i);
      char* end = nullptr;
      long v = std::strtol(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || v < 0 || v > 1200)
        return Fail(Invalid("--keep-months must be a number of months from 0 to 1200"));
      keep = static_cast<int>(v);
    } else {
      return Fail(Invalid("unknown option " + args[i]));
    }
  }
  if (dir.empty()) return Fail(Invalid("usage: kangyun audit archive --db DB --dir DIR"));
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return Fail(Invalid("--dir " + dir + " is not a folder"));
  auto store = OpenStore(db);
  if (!store.ok()) return Fail(store.status());
  // The current month and the `keep` before it stay in the store.
  int64_t before = audit::StartOfMonth(SystemClock()->NowMicros());
  for (int m = 0; m < keep; ++m) before = audit::StartOfMonth(before - 1);
  auto archived = audit::ArchiveMonths(**store, dir, before);
  if (!archived.ok()) return Fail(archived.status());
  for (const store::AuditArchive& a : *archived)
    std::printf("archived %s: records %lld to %lld in %s (sha256 %s)\n", a.month.c_str(),
                static_cast<long long>(a.first), static_cast<long long>(a.last), a.file.c_str(),
                a.sha256.c_str());
  if (archived->empty()) std::printf("nothing to archive\n");
  return 0;
}

int AuditCommand(const Args& args) {
  if (!args.empty() && args[0] == "verify") return Verify(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "archive") return Archive(Args(args.begin() + 1, args.end()));
  return Fail(Invalid("usage: kangyun audit verify|archive --db …"));
}

}  // namespace kangyun::cli
