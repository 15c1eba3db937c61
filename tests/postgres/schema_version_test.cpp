// The PostgreSQL schema is versioned: servers that start together migrate once, a database
// newer than the binary is refused with a clear message, and so is one that cannot be reached.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <thread>

#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

// The first line psql prints for a query against the database at url.
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

TEST(PostgresSchema, ServersStartingTogetherMigrateOnce) {
  std::string db = FreshPostgresDatabase("kt_schema_" + std::to_string(getpid()));
  std::unique_ptr<ServerProcess> a, b;
  std::thread ta([&] { a = std::make_unique<ServerProcess>(KANGYUN_BINARY, db); });
  std::thread tb([&] { b = std::make_unique<ServerProcess>(KANGYUN_BINARY, db); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a->ok());
  ASSERT_TRUE(b->ok());
  EXPECT_EQ(Psql(db, "SELECT count(*) = count(DISTINCT version) FROM schema_version"), "t");
  EXPECT_EQ(HttpCall("127.0.0.1", a->port(), "PUT", "/fhir/Patient/s1",
                     {{"Content-Type", "application/fhir+json"}},
                     R"({"resourceType":"Patient","id":"s1"})")
                .status,
            201);
  EXPECT_EQ(HttpCall("127.0.0.1", b->port(), "GET", "/fhir/Patient/s1", {}, "").status, 200);
}

TEST(PostgresSchema, ANewerDatabaseIsRefusedWithAClearMessage) {
  std::string db = FreshPostgresDatabase("kt_newer_" + std::to_string(getpid()));
  {
    ServerProcess server(KANGYUN_BINARY, db);
    ASSERT_TRUE(server.ok());
  }
  Psql(db, "INSERT INTO schema_version VALUES (999)");
  CommandOutput o =
      RunKangyun(KANGYUN_BINARY, "serve --db " + db + " --port " + std::to_string(FreePort()));
  EXPECT_EQ(o.exit_code, 1) << o.text;
  EXPECT_NE(o.text.find("schema version 999 is newer than this Kangyun supports"),
            std::string::npos)
      << o.text;
}

TEST(PostgresSchema, AnUnreachableDatabaseIsAClearError) {
  CommandOutput o = RunKangyun(
      KANGYUN_BINARY, "serve --db postgresql://kangyun@127.0.0.1:" + std::to_string(FreePort()) +
                          "/none --port " + std::to_string(FreePort()));
  EXPECT_EQ(o.exit_code, 1) << o.text;
  EXPECT_NE(o.text.find("cannot connect to PostgreSQL"), std::string::npos) << o.text;
}

}  // namespace
}  // namespace kangyun::testing
