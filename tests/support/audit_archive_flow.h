// The audit trail's retention on any store: months recorded in the past are archived to files,
// the store lets go of them, new records chain on, and verification reads across the archive
// and notices a changed, missing or foreign file. Run by the tests of each store.
#pragma once

#include <string>

#include "store/store.h"

namespace kangyun::testing {

// `store` is empty; `dir` is an empty folder. Uses gtest assertions.
void CheckAuditArchiving(store::Store& store, const std::string& dir);

}  // namespace kangyun::testing
