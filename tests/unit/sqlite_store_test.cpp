#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "store/body_codec.h"
#include "store/param_key.h"
#include "store/result_set_cache.h"
#include "store/sqlite/schema.h"
#include "tests/support/store_writes.h"

namespace kangyun::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ky-store-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = OpenSqliteStore((dir_ / "t.db").string());
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  ResourceWrite Version(const std::string& id, int64_t v, const std::string& code) {
    ResourceWrite w;
    w.type = "Observation";
    w.id = id;
    w.version = v;
    w.last_updated = 1000 * v;
    w.method = v == 1 ? "POST" : "PUT";
    w.body = "{\"resourceType\":\"Observation\",\"id\":\"" + id + "\"}";
    w.index.tokens.push_back({"code", "http://loinc.org", code, ""});
    w.index.patient_compartments.push_back("p1");
    return w;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteStoreTest, WritesVersionsAndReplacesIndexRows) {
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Write(Version("a", 1, "x")).ok());
    ASSERT_TRUE((*txn)->Write(Version("a", 2, "y")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto txn = store_->BeginRead();
  ASSERT_TRUE(txn.ok());
  auto cur = (*txn)->ReadCurrent("Observation", "a");
  ASSERT_TRUE(cur.ok() && cur->has_value());
  EXPECT_EQ((*cur)->version, 2);
  auto v1 = (*txn)->ReadVersion("Observation", "a", 1);
  ASSERT_TRUE(v1.ok() && v1->has_value());
  EXPECT_EQ((*v1)->method, "POST");
  Query q;
  q.types = {"Observation"};
  Condition c;
  c.param = "code";
  c.code = "x";
  q.clauses.push_back({c});
  EXPECT_TRUE((*txn)->Search(q, 10)->empty()) << "index rows of version 1 must be gone";
  q.clauses[0][0].code = "y";
  EXPECT_EQ((*txn)->Search(q, 10)->size(), 1u);
  HistoryQuery h;
  h.type = "Observation";
  h.id = "a";
  EXPECT_EQ(*(*txn)->CountHistory(h), 2);
}

TEST_F(SqliteStoreTest, UncommittedWritesRollBack) {
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE((*txn)->Write(Version("b", 1, "x")).ok());
    // No commit.
  }
  auto txn = store_->BeginRead();
  auto cur = (*txn)->ReadCurrent("Observation", "b");
  ASSERT_TRUE(cur.ok());
  EXPECT_FALSE(cur->has_value());
}

TEST_F(SqliteStoreTest, DeletionHidesFromSearchButKeepsHistory) {
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE((*txn)->Write(Version("c", 1, "x")).ok());
    ResourceWrite del;
    del.type = "Observation";
    del.id = "c";
    del.version = 2;
    del.last_updated = 5000;
    del.deleted = true;
    del.method = "DELETE";
    ASSERT_TRUE((*txn)->Write(del).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto txn = store_->BeginRead();
  Query q;
  q.types = {"Observation"};
  EXPECT_TRUE((*txn)->Search(q, 10)->empty());
  auto cur = (*txn)->ReadCurrent("Observation", "c");
  ASSERT_TRUE(cur->has_value());
  EXPECT_TRUE((*cur)->deleted);
  Condition comp;
  comp.kind = Condition::Kind::kCompartment;
  comp.text = "p1";
  q.clauses.push_back({comp});
  EXPECT_TRUE((*txn)->Search(q, 10)->empty());
}

TEST_F(SqliteStoreTest, ResultSetsPageAndExpire) {
  ASSERT_TRUE(store_->SaveResultSet("rs", {5, 6, 7, 8, 9}, 1000).ok());
  auto page = store_->ReadResultSet("rs", 2, 2, 10);
  ASSERT_TRUE(page.ok() && page->has_value());
  EXPECT_EQ(**page, (std::vector<int64_t>{7, 8}));
  EXPECT_EQ(**store_->ReadResultSet("rs", 4, 10, 10), (std::vector<int64_t>{9}));
  EXPECT_FALSE(store_->ReadResultSet("nope", 0, 2, 10)->has_value());
  EXPECT_FALSE(store_->ReadResultSet("rs", 0, 2, 2000)->has_value()) << "expired";
}

TEST(ResultSetCache, EvictsTheSetsClosestToExpiryWhenFull) {
  ResultSetCache cache(/*max_rows=*/5);
  cache.Put("b", {4, 5, 6}, 200);
  cache.Put("a", {1, 2}, 100);
  cache.Put("c", {7}, 300);  // full: "a", the closest to expiry, goes
  EXPECT_FALSE(cache.Get("a", 0, 10, 0).has_value());
  EXPECT_EQ(*cache.Get("b", 0, 10, 0), (std::vector<int64_t>{4, 5, 6}));
  EXPECT_EQ(*cache.Get("c", 0, 10, 0), (std::vector<int64_t>{7}));
  // A set put again replaces its rows (and its place in the expiry order).
  cache.Put("b", {8}, 50);
  cache.Put("d", {9, 10, 11}, 400);  // 1 + 1 + 3 rows: fits without evicting
  EXPECT_EQ(*cache.Get("b", 0, 10, 0), (std::vector<int64_t>{8}));
  cache.Put("e", {12}, 500);  // full again: "b" (50) goes, not "c" (300)
  EXPECT_FALSE(cache.Get("b", 0, 10, 0).has_value());
  EXPECT_TRUE(cache.Get("c", 0, 10, 0).has_value());
  // An expired set is gone when asked for.
  EXPECT_FALSE(cache.Get("c", 0, 10, 301).has_value());
}

TEST_F(SqliteStoreTest, ReopeningKeepsDataAndSchemaVersion) {
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE((*txn)->Write(Version("d", 1, "x")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  store_.reset();
  auto s = OpenSqliteStore((dir_ / "t.db").string());
  ASSERT_TRUE(s.ok());
  auto txn = (*s)->BeginRead();
  EXPECT_TRUE((*txn)->ReadCurrent("Observation", "d")->has_value());
}

// Bodies of a type compress once the store has trained its dictionary (store/body_codec.h):
// every version reads back as written, in this process and in the next.
class SqliteBodiesTest : public SqliteStoreTest {
 protected:
  static std::string Body(int n) {
    return R"({"resourceType":"Observation","id":"o)" + std::to_string(n) +
           R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/p)" +
           std::to_string(n % 97) + R"("},"valueQuantity":{"value":)" + std::to_string(n % 71) +
           R"(,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}})";
  }
  static ResourceWrite Write(int n) {
    return testing::FirstVersion("Observation", "o" + std::to_string(n), Body(n), n);
  }
  // Writes bodies [from, to) in one transaction; `undo_from` and on inside a savepoint that is
  // then undone.
  void WriteRange(int from, int to, int undo_from = -1) {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE(txn.ok());
    for (int n = from; n < to; ++n) {
      if (n == undo_from) {
        ASSERT_TRUE((*txn)->Savepoint().ok());
      }
      ASSERT_TRUE((*txn)->Write(Write(n)).ok());
    }
    if (undo_from >= 0) {
      ASSERT_TRUE((*txn)->RollbackToSavepoint().ok());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  void ExpectReadAsWritten(int from, int to) {
    auto txn = store_->BeginRead();
    ASSERT_TRUE(txn.ok());
    for (int n = from; n < to; ++n) {
      auto current = (*txn)->ReadCurrent("Observation", "o" + std::to_string(n));
      ASSERT_TRUE(current.ok()) << current.status().message();
      ASSERT_TRUE(current->has_value()) << n;
      EXPECT_EQ((*current)->body, Body(n));
    }
  }
  // (bodies stored as JSON, bodies stored compressed), as the database file holds them.
  std::pair<int, int> StoredKinds() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir_ / "t.db").string().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT sum(hex(substr(body, 1, 1)) = '7B'), "
                       "sum(hex(substr(body, 1, 4)) = '28B52FFD') FROM history",
                       -1, &s, nullptr);
    std::pair<int, int> kinds{-1, -1};
    if (sqlite3_step(s) == SQLITE_ROW) kinds = {sqlite3_column_int(s, 0), sqlite3_column_int(s, 1)};
    sqlite3_finalize(s);
    sqlite3_close(db);
    return kinds;
  }
  static constexpr int kTrain = static_cast<int>(BodyCodec::kSamplesToTrain);
};

TEST_F(SqliteBodiesTest, CompressOnceTheirTypeHasADictionaryAndReadAsWritten) {
  WriteRange(0, kTrain);  // the last of these trains the dictionary
  WriteRange(kTrain, kTrain + 50);
  EXPECT_EQ(StoredKinds(), std::make_pair(kTrain, 50));
  ExpectReadAsWritten(0, kTrain + 50);
  // The next process finds the dictionary in the store.
  store_.reset();
  auto reopened = OpenSqliteStore((dir_ / "t.db").string());
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  store_ = std::move(reopened).value();
  ExpectReadAsWritten(0, kTrain + 50);
  WriteRange(kTrain + 50, kTrain + 60);
  EXPECT_EQ(StoredKinds(), std::make_pair(kTrain, 60));
}

TEST_F(SqliteBodiesTest, ADictionaryStoredInAnUndoneSavepointIsNeverUsed) {
  // The dictionary is trained and stored inside the savepoint, which is then undone.
  WriteRange(0, 2 * kTrain, kTrain / 2);
  WriteRange(2 * kTrain, 2 * kTrain + 20);
  EXPECT_EQ(StoredKinds(), std::make_pair(kTrain / 2 + 20, 0));
  auto txn = store_->BeginRead();
  ASSERT_TRUE(txn.ok());
  EXPECT_TRUE((*txn)->ListRecords(kBodyDictionaryRecord)->empty());
}

}  // namespace
}  // namespace kangyun::store

namespace kangyun::store {
namespace {

// The indexes of the store's search tables, read with SQLite itself.
std::vector<std::string> SearchIndexes(const std::filesystem::path& db) {
  sqlite3* raw = nullptr;
  std::vector<std::string> names;
  if (sqlite3_open(db.c_str(), &raw) != SQLITE_OK) return names;
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(raw,
                     "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
                     "(tbl_name LIKE 'idx%' OR tbl_name = 'compartment') ORDER BY name",
                     -1, &s, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW)
    names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  sqlite3_close(raw);
  return names;
}

// Observations with the code, in the system when one is given ("" for none: `|code`).
size_t CodeMatches(Store& store, const std::string& code,
                   std::optional<std::string> system = std::nullopt) {
  auto txn = store.BeginRead();
  Query q;
  q.types = {"Observation"};
  Condition c;
  c.param = "code";
  c.code = code;
  c.system = std::move(system);
  q.clauses.push_back({c});
  return (*txn)->Search(q, 100)->size();
}

TEST_F(SqliteStoreTest, BulkLoadSetsIndexesAsideOnlyInAStoreOfFewResourcesAndBuildsThemAtTheEnd) {
  std::vector<std::string> indexes = SearchIndexes(dir_ / "t.db");
  ASSERT_GT(indexes.size(), 10u);
  // A new platform holds its own content (code systems, naming systems) before any load.
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE((*txn)->Write(Version("platform-content", 1, "y")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto bulk = store_->BeginBulkLoad();
  ASSERT_TRUE(bulk.ok() && *bulk) << bulk.status().message();
  EXPECT_TRUE(SearchIndexes(dir_ / "t.db").empty());
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE((*txn)->Write(Version("a", 1, "x")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  ASSERT_TRUE(store_->EndBulkLoad().ok());
  EXPECT_EQ(SearchIndexes(dir_ / "t.db"), indexes);
  EXPECT_EQ(CodeMatches(*store_, "x"), 1u);
  EXPECT_EQ(CodeMatches(*store_, "y"), 1u);
  // With many resources in it, a store keeps its indexes.
  {
    auto txn = store_->BeginWrite();
    for (int64_t i = 0; i < kSqliteBulkLoadMaxResources; ++i)
      ASSERT_TRUE((*txn)->Write(Version("many-" + std::to_string(i), 1, "z")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto again = store_->BeginBulkLoad();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(SearchIndexes(dir_ / "t.db"), indexes);
}

TEST_F(SqliteStoreTest, IndexesOfABulkLoadThatDiedAreBuiltWhenTheStoreOpens) {
  std::vector<std::string> indexes = SearchIndexes(dir_ / "t.db");
  ASSERT_TRUE(*store_->BeginBulkLoad());
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE((*txn)->Write(Version("a", 1, "x")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  store_.reset();  // the loader is gone without EndBulkLoad
  EXPECT_TRUE(SearchIndexes(dir_ / "t.db").empty());
  auto reopened = OpenSqliteStore((dir_ / "t.db").string());
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  store_ = std::move(reopened).value();
  EXPECT_EQ(SearchIndexes(dir_ / "t.db"), indexes);
  EXPECT_EQ(CodeMatches(*store_, "x"), 1u);
}

}  // namespace
}  // namespace kangyun::store

namespace kangyun::store {
namespace {

// The store's kangyun_param_key(type, param), which the migrations of older schemas call.
void ParamKeyInSql(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto text = [](sqlite3_value* v) {
    return std::string(reinterpret_cast<const char*>(sqlite3_value_text(v)));
  };
  sqlite3_result_int64(ctx, ParamKey(text(argv[0]), text(argv[1])));
}

void ExecSql(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  sqlite3_create_function_v2(raw, "kangyun_param_key", 2, SQLITE_UTF8, nullptr, ParamKeyInSql,
                             nullptr, nullptr, nullptr);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(raw);
}

int64_t ScalarInt(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(raw, sql.c_str(), -1, &s, nullptr);
  int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  sqlite3_close(raw);
  return n;
}

TEST_F(SqliteStoreTest, ParametersAreNumberedNotHashedInIndexRows) {
  {
    auto txn = store_->BeginWrite();
    ResourceWrite w = Version("a", 1, "x");
    w.index.strings.push_back({"name", "x", "x"});
    ASSERT_TRUE((*txn)->Write(w).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  // A number below 128 takes one byte in every index entry that holds it.
  EXPECT_LT(ScalarInt(dir_ / "t.db", "SELECT max(pid) FROM params"), 128);
  EXPECT_EQ(ScalarInt(dir_ / "t.db",
                      "SELECT count(*) FROM idx_token JOIN params USING (pid) "
                      "WHERE type = 'Observation' AND param = 'code'"),
            1);
  EXPECT_EQ(CodeMatches(*store_, "x"), 1u);
}

TEST_F(SqliteStoreTest, IndexRowsOfAnOlderSchemaAreKeyedOnUpgrade) {
  // A database of schema version 2, with index rows holding type and parameter names.
  store_.reset();
  std::filesystem::path old = dir_ / "old.db";
  const auto& migrations = sqlite_schema::Migrations();
  ASSERT_GE(migrations.size(), 3u);
  ExecSql(old, std::string("CREATE TABLE schema_version (version INTEGER NOT NULL);") +
                   migrations[0] + migrations[1] +
                   "INSERT INTO schema_version VALUES (1), (2);"
                   "INSERT INTO history VALUES (1, 'Observation', 'a', 1, 1000, 0, 'POST', "
                   "'{\"resourceType\":\"Observation\",\"id\":\"a\"}');"
                   "INSERT INTO resources VALUES (1, 'Observation', 'a', 1, 1000, 0, 1);"
                   "INSERT INTO idx_token VALUES (1, 'Observation', 'code', 'http://loinc.org', "
                   "'x', '');");
  auto reopened = OpenSqliteStore(old.string());
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  store_ = std::move(reopened).value();
  EXPECT_EQ(CodeMatches(*store_, "x"), 1u);
  EXPECT_EQ(CodeMatches(*store_, "y"), 0u);
}

TEST_F(SqliteStoreTest, TwoCodeSystemsWithOneKeyAreRefusedNotMerged) {
  // Pretend another system already holds the key of LOINC.
  ExecSql(dir_ / "t.db", "INSERT INTO code_systems VALUES (" +
                             std::to_string(SystemKey("http://loinc.org")) + ", 'urn:other')");
  auto txn = store_->BeginWrite();
  ASSERT_TRUE(txn.ok());
  auto written = (*txn)->Write(Version("a", 1, "x"));
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.status().message().find("same key"), std::string::npos)
      << written.status().message();
}

std::string IntegrityCheck(const std::filesystem::path& db) {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &s, nullptr);
  std::string out;
  while (sqlite3_step(s) == SQLITE_ROW)
    out += reinterpret_cast<const char*>(sqlite3_column_text(s, 0)) + std::string("\n");
  sqlite3_finalize(s);
  sqlite3_close(raw);
  return out;
}

TEST_F(SqliteStoreTest, ASystemIsMatchedByItsKeyAndAnUpdateLeavesNoRowsOfTheOldVersion) {
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE((*txn)->Write(Version("a", 1, "x")).ok());
    ResourceWrite b = Version("b", 1, "x");
    b.index.tokens[0].system = "";  // a bare code
    ASSERT_TRUE((*txn)->Write(b).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  EXPECT_EQ(CodeMatches(*store_, "x", "http://loinc.org"), 1u);
  EXPECT_EQ(CodeMatches(*store_, "x", "http://snomed.info/sct"), 0u);
  EXPECT_EQ(CodeMatches(*store_, "x", ""), 1u);  // `|x`: the code without a system
  EXPECT_EQ(CodeMatches(*store_, "x"), 2u);
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE((*txn)->Write(Version("a", 2, "y")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  EXPECT_EQ(CodeMatches(*store_, "x", "http://loinc.org"), 0u);
  EXPECT_EQ(CodeMatches(*store_, "y", "http://loinc.org"), 1u);
  store_.reset();
  EXPECT_EQ(IntegrityCheck(dir_ / "t.db"), "ok\n");
}

TEST_F(SqliteStoreTest, IndexRowsOfSchemaSixAreKeptByResourceAndSystemsKeyedOnUpgrade) {
  // A database of schema version 6: index rows in rowid tables with rid indexes, code
  // systems as URIs, and a compartment membership written twice.
  store_.reset();
  std::filesystem::path old = dir_ / "old.db";
  const auto& migrations = sqlite_schema::Migrations();
  ASSERT_GE(migrations.size(), 7u);
  std::string sql = "CREATE TABLE schema_version (version INTEGER NOT NULL);";
  for (size_t v = 0; v < 6; ++v) sql += std::string(migrations[v]) + ";";
  const std::string code = std::to_string(ParamKey("Observation", "code"));
  const std::string subject = std::to_string(ParamKey("Observation", "subject"));
  const std::string cv = std::to_string(ParamKey("Observation", "code-value-quantity"));
  sql +=
      "INSERT INTO schema_version VALUES (1), (2), (3), (4), (5), (6);"
      "INSERT INTO params VALUES (" +
      code + ", 'Observation', 'code'), (" + subject + ", 'Observation', 'subject'), (" + cv +
      ", 'Observation', 'code-value-quantity');"
      "INSERT INTO history VALUES (1, 'Observation', 'a', 1, 1000, 0, 'POST', "
      "'{\"resourceType\":\"Observation\",\"id\":\"a\"}');"
      "INSERT INTO resources VALUES (1, 'Observation', 'a', 1, 1000, 0, 1);"
      "INSERT INTO idx_token VALUES (1, " +
      code +
      ", 'http://loinc.org', 'x', 'glucose'),"
      " (1, " +
      code +
      ", '', 'x', '');"
      "INSERT INTO idx_reference VALUES (1, " +
      subject +
      ", 'Patient', 'p1', '');"
      "INSERT INTO idx_composite VALUES (1, " +
      cv +
      ", 'http://loinc.org', 'x',"
      " 'http://unitsofmeasure.org', 'mg', 5, 5, '');"
      "INSERT INTO compartment VALUES (1, 'p1'), (1, 'p1');";
  ExecSql(old, sql);
  auto reopened = OpenSqliteStore(old.string());
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  store_ = std::move(reopened).value();
  EXPECT_EQ(CodeMatches(*store_, "x", "http://loinc.org"), 1u);
  EXPECT_EQ(CodeMatches(*store_, "x", "http://snomed.info/sct"), 0u);
  EXPECT_EQ(CodeMatches(*store_, "x", ""), 1u);
  {
    auto txn = store_->BeginRead();
    Query q;
    q.types = {"Observation"};
    Condition c;
    c.param = "subject";
    c.table = IndexTable::kReference;
    c.target_id = "p1";
    c.target_types = {"Patient"};
    q.clauses.push_back({c});
    EXPECT_EQ((*txn)->Search(q, 10)->size(), 1u);
    Condition composite;
    composite.param = "code-value-quantity";
    composite.table = IndexTable::kComposite;
    composite.system = "http://loinc.org";
    composite.code = "x";
    Condition unit;
    unit.table = IndexTable::kQuantity;
    unit.system = "http://unitsofmeasure.org";
    unit.code = "mg";
    unit.low = unit.high = 5;
    composite.second = std::make_shared<Condition>(unit);
    Query by_composite;
    by_composite.types = {"Observation"};
    by_composite.clauses.push_back({composite});
    EXPECT_EQ((*txn)->Search(by_composite, 10)->size(), 1u);
  }
  // The new version's rows replace every row of the old, found by the resource's key.
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE((*txn)->Write(Version("a", 2, "z")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  EXPECT_EQ(CodeMatches(*store_, "x"), 0u);
  EXPECT_EQ(CodeMatches(*store_, "z"), 1u);
  store_.reset();
  EXPECT_EQ(IntegrityCheck(old), "ok\n");
  std::vector<std::string> indexes = SearchIndexes(old);
  for (const std::string& name : indexes) EXPECT_EQ(name.find("_rid"), std::string::npos) << name;
}

TEST_F(SqliteStoreTest, AParameterFirstSeenInARolledBackWriteIsRegisteredByTheNextOne) {
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE((*txn)->Write(Version("a", 1, "x")).ok());
    // destroyed without Commit: rolled back, with the registration of Observation.code
  }
  {
    auto txn = store_->BeginWrite();
    ASSERT_TRUE((*txn)->Write(Version("b", 1, "x")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  // A search over all types finds parameters through the params table.
  auto txn = store_->BeginRead();
  Query q;
  Condition c;
  c.param = "code";
  c.code = "x";
  q.clauses.push_back({c});
  EXPECT_EQ((*txn)->Search(q, 10)->size(), 1u);
}

}  // namespace
}  // namespace kangyun::store
