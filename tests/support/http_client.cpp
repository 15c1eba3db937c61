#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "base/strings.h"
#include "json/json.h"

namespace kangyun::testing {

std::string ScratchFolder(const std::string& prefix, const std::string& name) {
  struct Folders {
    std::vector<std::filesystem::path> made;
    ~Folders() {
      std::error_code ec;
      for (const auto& dir : made) std::filesystem::remove_all(dir, ec);
    }
  };
  static Folders folders;
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      (prefix + (name.empty() ? "" : "-" + name) + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  folders.made.push_back(dir);
  return dir.string();
}

namespace {

// Whether nothing listens on or holds port on the loopback interface right now.
bool PortIsFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return free;
}

// The lowest port the kernel hands out to outgoing connections and to bind(0).
int FirstEphemeralPort() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  return in >> low && low > 12000 ? low : 32768;
}

}  // namespace

// A port below the ephemeral range: a port the kernel picked for bind(0) can be handed to an
// outgoing connection (to PostgreSQL, say) before the server binds it, which made servers fail
// to start now and then. Ports are drawn at random so parallel test processes rarely meet.
int FreePort() {
  static std::mutex mutex;
  static std::mt19937 random(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  std::lock_guard lock(mutex);
  std::uniform_int_distribution<int> pick(10000, FirstEphemeralPort() - 1);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = pick(random);
    if (PortIsFree(port)) return port;
  }
  return 0;
}

namespace {

std::string PostgresClusterDir() {
  const char* dir = std::getenv("KANGYUN_TEST_POSTGRES_DIR");
  return dir ? dir : "";
}

// postgresql://user@host:port of the test cluster, from the file scripts/pg-cluster writes.
std::string PostgresClusterUrl() {
  std::ifstream in(PostgresClusterDir() + "/url");
  std::string url;
  std::getline(in, url);
  return url;
}

}  // namespace

std::string PatientWithObservationBundle(const std::string& system, const std::string& tag) {
  return R"({"resourceType":"Bundle","type":"transaction","entry":[)"
         R"({"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","identifier":[{"system":")" +
         system + R"(","value":")" + tag +
         R"("}]},"request":{"method":"POST","url":"Patient"}},)"
         R"({"resource":{"resourceType":"Observation","status":"final","code":{"text":")" +
         tag +
         R"("},"subject":{"reference":"urn:uuid:p"}},"request":{"method":"POST","url":"Observation"}}]})";
}

bool TestingOnPostgres() { return !PostgresClusterDir().empty(); }

std::string FreshPostgresDatabase(const std::string& name) {
  std::string base = PostgresClusterUrl();
  std::string cmd = "psql -X -q -v ON_ERROR_STOP=1 '" + base +
                    "/postgres' -c 'DROP DATABASE IF EXISTS " + name + "' -c 'CREATE DATABASE " +
                    name + "' >/dev/null 2>&1";
  if (base.empty() || std::system(cmd.c_str()) != 0)
    std::fprintf(stderr, "test support: cannot create PostgreSQL database %s in %s\n", name.c_str(),
                 base.c_str());
  return base + "/" + name;
}

std::string TestStore(const std::string& path) {
  if (path.starts_with("sqlite:") || path.starts_with("postgresql://")) return path;
  if (!TestingOnPostgres()) return "sqlite:" + path;
  static std::mutex mu;
  static std::map<std::string, std::string> made;
  std::lock_guard lock(mu);
  auto it = made.find(path);
  if (it != made.end()) return it->second;
  // A name from the path: the same path means the same database within a run.
  char name[32];
  std::snprintf(name, sizeof name, "kt_%016llx", static_cast<unsigned long long>(Fnv1a(path)));
  return made[path] = FreshPostgresDatabase(name);
}

ServerProcess::ServerProcess(const std::string& binary, const std::string& db,
                             const std::vector<std::string>& extra) {
  std::string store = TestStore(db);
  // A server that exits because another process took its port between FreePort and its
  // bind is started again on another port; one that exits for any other reason is not.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreePort();
    Start(binary, store, extra);
    if (ready_ || pid_ > 0 || PortIsFree(port_)) return;
  }
}

void ServerProcess::Start(const std::string& binary, const std::string& store,
                          const std::vector<std::string>& extra) {
  // A test process that dies (a sanitizer's abort, a crash) takes its servers with it:
  // otherwise they would hold the test's output open and ctest would wait for its timeout.
  // The signal comes when the forking thread ends, so only servers the main thread starts
  // get it (a test may start servers from threads that end before the servers should).
  bool from_main_thread = gettid() == getpid();
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    if (from_main_thread) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);  // it died before the signal was asked for
    }
    std::vector<std::string> args = {binary, "serve",  "--db",
                                     store,  "--port", std::to_string(port_)};
    args.insert(args.end(), extra.begin(), extra.end());
    // On PostgreSQL authentication is on by default; tests of other behaviour run open
    // unless they ask for --auth.
    if (store.rfind("postgresql://", 0) == 0 &&
        std::find(extra.begin(), extra.end(), "--auth") == extra.end())
      args.push_back("--insecure-open");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    // A TLS server is probed with curl; the test client speaks plain HTTP only.
    bool tls = std::find(extra.begin(), extra.end(), "--tls-cert") != extra.end();
    bool up = tls ? std::system(("curl -sfk -o /dev/null --max-time 2 https://127.0.0.1:" +
                                 std::to_string(port_) + "/healthz")
                                    .c_str()) == 0
                  : HttpCall("127.0.0.1", port_, "GET", "/healthz", {}, "", 2).status == 200;
    if (up) {
      ready_ = true;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void ServerProcess::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void ServerProcess::Terminate() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

ServerProcess::~ServerProcess() { Terminate(); }

CommandOutput RunKangyun(const std::string& binary, const std::string& args) {
  std::string cmd = binary + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  CommandOutput out;
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.text.append(buf, n);
  int status = pclose(p);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

HttpResult PostThroughOpenServer(const std::string& binary, const std::string& store,
                                 const std::string& bundle) {
  ServerProcess open(binary, store);
  if (!open.ok()) {
    HttpResult failed;
    failed.error = "the server did not start";
    return failed;
  }
  return HttpCall("127.0.0.1", open.port(), "POST", "/fhir",
                  {{"Content-Type", "application/fhir+json"}}, bundle);
}

int64_t TotalOf(const HttpResult& r) {
  auto b = json::Parse(r.body);
  if (r.status != 200 || !b.ok() || !b->Find("total")) return -1;
  return std::stoll(b->Find("total")->str());
}

int64_t SearchTotal(int port, const std::string& query) {
  return TotalOf(HttpCall("127.0.0.1", port, "GET", "/fhir/" + query, {}, ""));
}

std::string Psql(const std::string& url, const std::string& sql) {
  std::string cmd = "psql -X -At '" + url + "' -c \"" + sql + "\" 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[256];
  if (p && fgets(buf, sizeof buf, p)) out = buf;
  if (p) pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string RunSql(const std::string& store, const std::string& sqlite_sql,
                   const std::string& postgres_sql) {
  if (store.rfind("postgresql://", 0) == 0) return Psql(store, postgres_sql);
  sqlite3* db = nullptr;
  if (sqlite3_open(store.substr(7).c_str(), &db) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 10000);
    // The audit log's file, as the schema `audit` it is on PostgreSQL.
    std::string attach = "ATTACH DATABASE '" + store.substr(7) + "-audit' AS audit";
    sqlite3_exec(db, attach.c_str(), nullptr, nullptr, nullptr);
    sqlite3_exec(db, sqlite_sql.c_str(), nullptr, nullptr, nullptr);
  }
  sqlite3_close(db);
  return "";
}

}  // namespace kangyun::testing
