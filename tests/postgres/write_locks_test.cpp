// The server store's write transactions lock what they read in order to write, per key:
// writes about different residents run side by side, a second reader of the same resource
// waits and then sees the first one's commit, undoing a savepoint gives its locks back, and
// two transactions that wait on each other end with one of them aborted, never both hung;
// the server runs an aborted one again, alone, so clients do not see it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "json/json.h"
#include "store/postgres/postgres_store.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

using store::WriteTransaction;
using namespace std::chrono_literals;

class WriteLocks : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened =
        store::OpenPostgresStore(FreshPostgresDatabase("kt_locks_" + std::to_string(getpid())));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
    for (const char* id : {"a", "b"}) {
      auto txn = Begin();
      ASSERT_TRUE(Update(*txn, id).ok());
      ASSERT_TRUE(txn->Commit().ok());
    }
  }

  std::unique_ptr<WriteTransaction> Begin() {
    auto txn = store_->BeginWrite();
    EXPECT_TRUE(txn.ok()) << txn.status().message();
    return txn.ok() ? std::move(txn).value() : nullptr;
  }

  // Reads Patient/id for writing and writes its next version.
  static Status Update(WriteTransaction& txn, const std::string& id) {
    KY_ASSIGN_OR_RETURN(auto current, txn.ReadCurrent("Patient", id));
    store::ResourceWrite w;
    w.type = "Patient";
    w.id = id;
    w.version = current ? current->version + 1 : 1;
    w.last_updated = w.version;
    w.method = "PUT";
    w.body = R"({"resourceType":"Patient","id":")" + id + R"("})";
    return txn.Write(w).status();
  }

  // On another thread, in a transaction of its own: updates Patient/id and commits.
  std::future<Status> UpdateAndCommitAsync(const std::string& id) {
    return std::async(std::launch::async, [this, id] {
      auto txn = Begin();
      Status st = Update(*txn, id);
      return st.ok() ? txn->Commit() : st;
    });
  }

  int64_t CurrentVersion(const std::string& id) {
    auto txn = store_->BeginRead();
    if (!txn.ok()) return -1;
    auto current = (*txn)->ReadCurrent("Patient", id);
    return current.ok() && *current ? (*current)->version : -1;
  }

  std::unique_ptr<store::Store> store_;
};

TEST_F(WriteLocks, WritesAboutDifferentResidentsDoNotWaitOnEachOther) {
  auto first = Begin();
  ASSERT_TRUE(Update(*first, "a").ok());
  // While the first is open, another resident's write commits.
  auto other = UpdateAndCommitAsync("b");
  ASSERT_EQ(other.wait_for(30s), std::future_status::ready);
  EXPECT_TRUE(other.get().ok());
  EXPECT_EQ(CurrentVersion("b"), 2);
  ASSERT_TRUE(first->Commit().ok());
}

TEST_F(WriteLocks, ASecondWriterOfOneResourceWaitsThenSeesTheFirstsVersion) {
  auto first = Begin();
  ASSERT_TRUE(Update(*first, "a").ok());
  auto second = std::async(std::launch::async, [&] {
    auto txn = Begin();
    auto current = txn->ReadCurrent("Patient", "a");
    return current.ok() && *current ? (*current)->version : -1;
  });
  // It waits for as long as the first is open (a wait that ended here would be a fork)...
  EXPECT_EQ(second.wait_for(500ms), std::future_status::timeout);
  ASSERT_TRUE(first->Commit().ok());
  // ...and then reads the version the first wrote, not the one it would have read before.
  ASSERT_EQ(second.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(second.get(), 2);
}

TEST_F(WriteLocks, UndoingASavepointGivesBackItsLocks) {
  auto first = Begin();
  ASSERT_TRUE(first->Savepoint().ok());
  ASSERT_TRUE(Update(*first, "a").ok());
  ASSERT_TRUE(first->RollbackToSavepoint().ok());
  // Resident a is free again while the first transaction goes on.
  auto other = UpdateAndCommitAsync("a");
  ASSERT_EQ(other.wait_for(30s), std::future_status::ready);
  EXPECT_TRUE(other.get().ok());
  // The first reads resident a again, locking it anew, and writes after the other's version.
  ASSERT_TRUE(Update(*first, "a").ok());
  ASSERT_TRUE(first->Commit().ok());
  EXPECT_EQ(CurrentVersion("a"), 3);
}

TEST_F(WriteLocks, TwoWritersWaitingOnEachOtherEndWithOneAborted) {
  auto one = Begin();
  auto two = Begin();
  ASSERT_TRUE(Update(*one, "a").ok());
  ASSERT_TRUE(Update(*two, "b").ok());
  auto one_wants_b = std::async(std::launch::async, [&] { return Update(*one, "b"); });
  EXPECT_EQ(one_wants_b.wait_for(200ms), std::future_status::timeout);
  auto two_wants_a = std::async(std::launch::async, [&] { return Update(*two, "a"); });
  // PostgreSQL finds the cycle (deadlock_timeout, a second by default) and aborts one side.
  ASSERT_EQ(two_wants_a.wait_for(30s), std::future_status::ready);
  Status second = two_wants_a.get();
  if (second.ok()) {
    // `one` was the one aborted, which let `two` through.
    ASSERT_EQ(one_wants_b.wait_for(30s), std::future_status::ready);
    EXPECT_EQ(one_wants_b.get().code(), StatusCode::kAborted);
    one.reset();
    EXPECT_TRUE(two->Commit().ok());
  } else {
    EXPECT_EQ(second.code(), StatusCode::kAborted) << second.message();
    two.reset();
    ASSERT_EQ(one_wants_b.wait_for(30s), std::future_status::ready);
    EXPECT_TRUE(one_wants_b.get().ok());
    EXPECT_TRUE(one->Commit().ok());
  }
  // The survivor's two versions are there; the aborted one left nothing.
  EXPECT_EQ(CurrentVersion("a"), 2);
  EXPECT_EQ(CurrentVersion("b"), 2);
}

// Running a deadlock's victim again: begun alone, it waits for the writes in progress (even
// those it shares nothing with) and keeps new ones waiting until it ends, so it meets none.
TEST_F(WriteLocks, AWriteBegunAloneWaitsForOthersAndHoldsNewOnesBack) {
  auto first = Begin();
  ASSERT_TRUE(Update(*first, "a").ok());
  auto alone = std::async(std::launch::async, [&] {
    auto txn = store_->BeginWriteAlone();
    EXPECT_TRUE(txn.ok()) << txn.status().message();
    return txn.ok() ? std::move(txn).value() : nullptr;
  });
  EXPECT_EQ(alone.wait_for(500ms), std::future_status::timeout);
  ASSERT_TRUE(first->Commit().ok());
  ASSERT_EQ(alone.wait_for(30s), std::future_status::ready);
  auto txn = alone.get();
  ASSERT_NE(txn, nullptr);
  auto other = UpdateAndCommitAsync("b");
  EXPECT_EQ(other.wait_for(500ms), std::future_status::timeout);
  ASSERT_TRUE(Update(*txn, "a").ok());
  ASSERT_TRUE(txn->Commit().ok());
  ASSERT_EQ(other.wait_for(30s), std::future_status::ready);
  EXPECT_TRUE(other.get().ok());
  EXPECT_EQ(CurrentVersion("a"), 3);
  EXPECT_EQ(CurrentVersion("b"), 2);
}

// Two clients send, round after round at the same moment, transaction Bundles that update the
// same ten Patients in opposite orders, so that their transactions come to wait on each other:
// PostgreSQL aborts one of such a pair, and the server runs it again. Every Bundle succeeds,
// and every Patient ends with one version per Bundle.
TEST(WriteLocksOverHttp, TransactionsInOppositeOrdersAllSucceed) {
  ServerProcess server(KANGYUN_BINARY,
                       FreshPostgresDatabase("kt_opposite_" + std::to_string(getpid())));
  ASSERT_TRUE(server.ok());
  constexpr int kPatients = 10, kRounds = 8;
  auto bundle = [](bool ascending) {
    std::string entries;
    for (int k = 0; k < kPatients; ++k) {
      std::string id = "dl-" + std::to_string(ascending ? k : kPatients - 1 - k);
      entries += std::string(k ? "," : "") + R"({"resource":{"resourceType":"Patient","id":")" +
                 id + R"("},"request":{"method":"PUT","url":"Patient/)" + id + R"("}})";
    }
    return R"({"resourceType":"Bundle","type":"transaction","entry":[)" + entries + "]}";
  };
  const std::vector<std::pair<std::string, std::string>> json = {
      {"Content-Type", "application/fhir+json"}};
  ASSERT_EQ(HttpCall("127.0.0.1", server.port(), "POST", "/fhir", json, bundle(true)).status, 200);
  std::atomic<int> failures{0};
  // Each round starts when both clients are ready, so that their Bundles meet.
  std::barrier round_start(2);
  std::vector<std::thread> clients;
  for (bool ascending : {true, false})
    clients.emplace_back([&, ascending] {
      for (int round = 0; round < kRounds; ++round) {
        round_start.arrive_and_wait();
        HttpResult r =
            HttpCall("127.0.0.1", server.port(), "POST", "/fhir", json, bundle(ascending), 60);
        if (r.status != 200) {
          ++failures;
          ADD_FAILURE() << r.status << " " << r.body.substr(0, 300);
        }
      }
    });
  for (auto& c : clients) c.join();
  EXPECT_EQ(failures.load(), 0);
  for (int k = 0; k < kPatients; ++k) {
    HttpResult r = HttpCall("127.0.0.1", server.port(), "GET",
                            "/fhir/Patient/dl-" + std::to_string(k), {}, "");
    auto patient = json::Parse(r.body);
    ASSERT_TRUE(patient.ok()) << r.body;
    EXPECT_EQ(patient->Find("meta")->GetString("versionId"), std::to_string(1 + 2 * kRounds));
  }
}

}  // namespace
}  // namespace kangyun::testing
