// The audit trail's retention on any store: months recorded in the past are archived to files,
// the store lets go of them, new records chain on, and verification reads across the archive
// and notices a changed, missing or foreign file. Run by the tests of each store.
#pragma once

#include <string>

#include "store/store.h"

namespace kangyun::testing {

// `store` is empty; `dir` is an empty folder. Uses gtest assertions.
void CheckAuditArchiving(store::Store& store, const std::string& dir);

// 2026-09-15T00:00:00+08:00, in micros since the epoch.
inline constexpr int64_t kSeptember15 = 1789401600LL * 1'000'000;
// Records, in the store at `db` (`sqlite:PATH` or a postgresql:// URL), n reads a day apart
// from 15 September 2026: the k-th of Patient/p<k % 5>, by user/li or user/zhang in turn.
void RecordOldReads(const std::string& db, int n);

}  // namespace kangyun::testing
