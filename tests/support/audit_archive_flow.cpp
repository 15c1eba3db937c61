#include "tests/support/audit_archive_flow.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "audit/audit_archive.h"
#include "audit/audit_trail.h"
#include "base/env.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace kangyun::testing {
namespace {

constexpr int64_t kDay = 86400LL * 1'000'000;

// Records `n` reads of Patient/p<k> by two agents, a day apart from `start`.
void Record(audit::AuditTrail& trail, int64_t start, int n) {
  for (int k = 0; k < n; ++k) {
    audit::AuditRecord r;
    r.subtype = "read";
    r.recorded = start + k * kDay;
    r.who_subject = k % 2 ? "user/zhang" : "user/li";
    r.role = "clinician";
    r.patients = {"p" + std::to_string(k % 5)};
    r.resources = {"Patient/p" + std::to_string(k % 5)};
    ASSERT_TRUE(trail.Record(r).ok());  // durable: one batch each
  }
}

int64_t RowsInStore(store::Store& store) {
  auto txn = store.BeginRead();
  store::AuditQuery q;
  q.limit = 100000;
  auto rows = (*txn)->AuditRows(q);
  return rows.ok() ? static_cast<int64_t>(rows->size()) : -1;
}

}  // namespace

void RecordOldReads(const std::string& db, int n) {
  auto store = db.rfind("postgresql://", 0) == 0 ? store::OpenPostgresStore(db)
                                                 : store::OpenSqliteStore(db.substr(7));
  ASSERT_TRUE(store.ok()) << store.status().message();
  FakeClock clock(kSeptember15);
  audit::AuditTrail trail(**store, clock);
  Record(trail, kSeptember15, n);
}

void CheckAuditArchiving(store::Store& store, const std::string& dir) {
  FakeClock clock(kSeptember15);
  {
    audit::AuditTrail trail(store, clock);
    Record(trail, kSeptember15, 40);  // 15 September to 24 October
  }
  ASSERT_EQ(audit::MonthOf(kSeptember15), "2026-09");
  // Archiving what ended by 1 November: September and October, a file each.
  int64_t november = audit::StartOfNextMonth(kSeptember15 + 20 * kDay);
  auto archived = audit::ArchiveMonths(store, dir, november);
  ASSERT_TRUE(archived.ok()) << archived.status().message();
  ASSERT_EQ(archived->size(), 2u);
  EXPECT_EQ((*archived)[0].month, "2026-09");
  EXPECT_EQ((*archived)[0].first, 1);
  EXPECT_EQ((*archived)[0].last, 16);  // 15 to 30 September
  EXPECT_EQ((*archived)[1].month, "2026-10");
  EXPECT_EQ((*archived)[1].last, 40);
  EXPECT_TRUE(std::filesystem::exists(dir + "/audit-2026-09.ndjson.zst"));
  EXPECT_EQ(RowsInStore(store), 0);
  // Nothing more to archive; a second run changes nothing.
  auto again = audit::ArchiveMonths(store, dir, november);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());

  // New records chain on from the archive's end.
  {
    audit::AuditTrail trail(store, clock);
    Record(trail, november + kDay, 3);
  }
  EXPECT_EQ(RowsInStore(store), 3);
  auto report = audit::VerifyChain(store, dir);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems[0];
  EXPECT_EQ(report->events, 43);
  EXPECT_EQ(report->head.sequence, 43);
  // Without the folder, the store's part is checked and the months are said to be unchecked.
  report = audit::VerifyChain(store);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty());
  EXPECT_EQ(report->archives_unchecked, 2);

  // A file changed by a byte, a file gone: both are found.
  std::string path = dir + "/audit-2026-10.ndjson.zst";
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string changed = bytes;
  changed[changed.size() / 2] ^= 1;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << changed;
  report = audit::VerifyChain(store, dir);
  ASSERT_TRUE(report.ok());
  ASSERT_FALSE(report->problems.empty());
  EXPECT_NE(report->problems[0].find("2026-10"), std::string::npos) << report->problems[0];
  std::filesystem::remove(path);
  report = audit::VerifyChain(store, dir);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_NE(report->problems[0].find("missing"), std::string::npos) << report->problems[0];
  // The file put back whole: intact again.
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  report = audit::VerifyChain(store, dir);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty());
}

}  // namespace kangyun::testing
