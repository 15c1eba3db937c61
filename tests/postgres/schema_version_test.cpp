// The PostgreSQL schema is versioned: servers that start together migrate once, a database
// newer than the binary is refused with a clear message, and so is one that cannot be reached.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "store/postgres/schema.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

// The first line psql prints for a query against the database at url.
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

TEST(PostgresSchema, AnOlderDatabaseIsUpgradedAndKeepsItsData) {
  const auto& migrations = store::postgres_schema::Migrations();
  ASSERT_GE(migrations.size(), 2u);
  std::string db = FreshPostgresDatabase("kt_older_" + std::to_string(getpid()));
  // A database as the first version of the schema left it, with a resource in it.
  std::string file =
      (std::filesystem::temp_directory_path() / ("kangyun-v1-" + std::to_string(getpid()) + ".sql"))
          .string();
  {
    std::ofstream out(file);
    out << "CREATE TABLE schema_version (version INTEGER NOT NULL);\n"
        << migrations[0] << "\nINSERT INTO schema_version VALUES (1);\n"
        << "INSERT INTO history (type, id, version, last_updated, deleted, method, body, resident)"
           " VALUES ('Patient', 'old', 1, 1, 0, 'PUT', "
           "convert_to('{\"resourceType\":\"Patient\",\"id\":\"old\",\"meta\":{"
           "\"versionId\":\"1\",\"lastUpdated\":\"1970-01-01T00:00:00.000Z\"}}', 'UTF8'), 0);\n"
        << "INSERT INTO resources (type, id, version, last_updated, deleted, seq, resident)"
           " SELECT type, id, version, last_updated, deleted, seq, resident FROM history;\n";
  }
  ASSERT_EQ(std::system(
                ("psql -X -q -v ON_ERROR_STOP=1 '" + db + "' -f " + file + " >/dev/null").c_str()),
            0);
  std::filesystem::remove(file);
  ServerProcess server(KANGYUN_BINARY, db);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(Psql(db, "SELECT max(version) FROM schema_version"), std::to_string(migrations.size()));
  EXPECT_EQ(HttpCall("127.0.0.1", server.port(), "GET", "/fhir/Patient/old", {}, "").status, 200);
  // What the upgrade added works: an export keeps its job in the new table.
  HttpResult kick = HttpCall("127.0.0.1", server.port(), "GET", "/fhir/$export?_type=Patient",
                             {{"Prefer", "respond-async"}}, "");
  EXPECT_EQ(kick.status, 202) << kick.body;
}

TEST(PostgresSchema, ANewerDatabaseIsRefusedWithAClearMessage) {
  std::string db = FreshPostgresDatabase("kt_newer_" + std::to_string(getpid()));
  {
    ServerProcess server(KANGYUN_BINARY, db);
    ASSERT_TRUE(server.ok());
  }
  Psql(db, "INSERT INTO schema_version VALUES (999)");
  CommandOutput o = RunKangyun(
      KANGYUN_BINARY, "serve --insecure-open --db " + db + " --port " + std::to_string(FreePort()));
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
