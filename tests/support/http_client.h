// Test support: the HTTP client of http/client.h and server processes started for a test.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "http/client.h"

namespace kangyun::testing {

using http::HttpCall;
using http::HttpResult;
using http::RawExchange;

// The header of a request with a FHIR JSON body.
inline const std::vector<std::pair<std::string, std::string>> kJson = {
    {"Content-Type", "application/fhir+json"}};

// The store a test runs on, for a database file path the test chose: `sqlite:path`, or, when
// the environment names a throw-away PostgreSQL cluster (KANGYUN_TEST_POSTGRES_DIR, a folder
// made by scripts/pg-cluster), a database of its own there. The database is made empty on the
// first use of `path` in this process and kept for the next, so a test can restart a server
// on the same data.
std::string TestStore(const std::string& path);
// Whether TestStore gives PostgreSQL databases.
bool TestingOnPostgres();
// A fresh PostgreSQL database in the test cluster, as a postgresql:// URL.
std::string FreshPostgresDatabase(const std::string& name);

// A server process started for a test and killed at the end.
class ServerProcess {
 public:
  // Starts `binary serve --db TestStore(db) --port <free port> extra...` (db may also be a
  // store URL already) and waits for /healthz.
  ServerProcess(const std::string& binary, const std::string& db,
                const std::vector<std::string>& extra = {});
  ~ServerProcess();
  bool ok() const { return pid_ > 0 && ready_; }
  int port() const { return port_; }
  void Kill9();
  void Terminate();  // SIGTERM and wait; returns when the process has exited

 private:
  // Forks and execs the server on port_ and waits for /healthz; pid_ is -1 if it exited.
  void Start(const std::string& binary, const std::string& store,
             const std::vector<std::string>& extra);

  int pid_ = -1;
  int port_ = 0;
  bool ready_ = false;
};

int FreePort();

// A new empty folder in the temp directory, named prefix-name-pid, removed with everything in
// it when the test process ends (ctest runs each test in a process of its own).
std::string ScratchFolder(const std::string& prefix, const std::string& name = "");

// A transaction Bundle of a Patient (identifier system|tag) and an Observation about it (code
// text tag): two resources that must be stored together or not at all.
std::string PatientWithObservationBundle(const std::string& system, const std::string& tag);

// Runs one SQL statement straight on a test store (`sqlite:PATH` or a postgresql:// URL),
// past the server, as an intruder with database access would; returns the first output row
// (PostgreSQL) or "" (SQLite). Each dialect gets its own text. On SQLite the audit log's file
// is attached as `audit`, the schema it is on PostgreSQL.
std::string RunSql(const std::string& store, const std::string& sqlite_sql,
                   const std::string& postgres_sql);
// psql's first output line for sql on url.
std::string Psql(const std::string& url, const std::string& sql);

struct CommandOutput {
  std::string text;  // stdout and stderr together
  int exit_code = -1;
};
// Runs `KANGYUN_BINARY args` through the shell and waits for it.
CommandOutput RunKangyun(const std::string& binary, const std::string& args);

// Posts `bundle` to a server started on `store` without authentication and stopped again: how
// a test puts its data in place before it serves the store with --auth.
HttpResult PostThroughOpenServer(const std::string& binary, const std::string& store,
                                 const std::string& bundle);
// Bundle.total of a 200 answer; -1 otherwise.
int64_t TotalOf(const HttpResult& r);
// Bundle.total of GET /fhir/query on an open server; -1 when the answer is not a 200.
int64_t SearchTotal(int port, const std::string& query);

}  // namespace kangyun::testing
