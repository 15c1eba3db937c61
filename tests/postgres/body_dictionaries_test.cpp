// On the server store, bodies compress with dictionaries as on the embedded one, by both write
// paths (one version, and many at once), and a process reads bodies compressed with a
// dictionary another process trained after it opened the database.
#include <gtest/gtest.h>
#include <unistd.h>

#include "store/body_codec.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/postgres_store.h"
#include "tests/support/http_client.h"
#include "tests/support/store_writes.h"

namespace kangyun::testing {
namespace {

using store::BodyCodec;
using store::ResourceWrite;

std::string Body(int n) {
  return R"({"resourceType":"Observation","id":"o)" + std::to_string(n) +
         R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}]},"subject":{"reference":"Patient/p)" +
         std::to_string(n % 89) + R"("},"valueQuantity":{"value":)" + std::to_string(40 + n % 50) +
         R"(,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}})";
}

ResourceWrite Write(int n) {
  return FirstVersion("Observation", "o" + std::to_string(n), Body(n), n);
}

TEST(BodyDictionaries, AProcessReadsBodiesCompressedWithAnothersDictionary) {
  std::string db = FreshPostgresDatabase("kt_bodies_" + std::to_string(getpid()));
  auto writer = store::OpenPostgresStore(db);
  auto reader = store::OpenPostgresStore(db);
  ASSERT_TRUE(writer.ok() && reader.ok());
  const int trained = static_cast<int>(BodyCodec::kSamplesToTrain);
  auto write_each = [&](int from, int to) {
    auto txn = (*writer)->BeginWrite();
    ASSERT_TRUE(txn.ok());
    std::vector<ResourceWrite> writes;
    for (int n = from; n < to; ++n) writes.push_back(Write(n));
    auto rids = (*txn)->WriteEach(writes);
    ASSERT_TRUE(rids.ok()) << rids.status().message();
    ASSERT_TRUE((*txn)->Commit().ok());
  };
  write_each(0, trained);  // trains the dictionary, stores it and commits
  write_each(trained, trained + 50);
  {
    auto txn = (*writer)->BeginWrite();
    ASSERT_TRUE(txn.ok());
    for (int n = trained + 50; n < trained + 60; ++n) ASSERT_TRUE((*txn)->Write(Write(n)).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  auto conn = store::PgConnection::Open(db);
  ASSERT_TRUE(conn.ok());
  auto kinds = (*conn)->Query(
      "SELECT count(*) FILTER (WHERE substring(body from 1 for 1) = '\\x7b'::bytea), "
      "count(*) FILTER (WHERE substring(body from 1 for 4) = '\\x28b52ffd'::bytea) FROM history");
  ASSERT_TRUE(kinds.ok()) << kinds.status().message();
  EXPECT_EQ(kinds->Int(0, 0), trained);
  EXPECT_EQ(kinds->Int(0, 1), 60);

  auto txn = (*reader)->BeginRead();
  ASSERT_TRUE(txn.ok());
  for (int n = 0; n < trained + 60; ++n) {
    auto current = (*txn)->ReadCurrent("Observation", "o" + std::to_string(n));
    ASSERT_TRUE(current.ok()) << current.status().message();
    ASSERT_TRUE(current->has_value()) << n;
    EXPECT_EQ((*current)->body, Body(n));
  }
}

}  // namespace
}  // namespace kangyun::testing
