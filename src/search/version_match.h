// Whether one resource version matches a search, decided from the index rows the version
// produces, as the store decides it for a current resource: subscriptions test each change
// against their criteria without a query. Only conditions on the version itself can be decided
// so; a chain, _has or a compartment chosen by a query needs other resources, and
// CheckDecidable refuses such a search up front.
#pragma once

#include "base/status.h"
#include "store/index_rows.h"
#include "store/query.h"
#include "store/store.h"

namespace kangyun::search {

// kInvalid naming the parameter when q holds a condition Matches cannot decide.
Status CheckDecidable(const store::Query& q);

// REQUIRES: CheckDecidable(q) is Ok. `version` gives the type, id and lastUpdated; `rows` are
// its index rows (search::IndexExtractor). A deleted version matches nothing.
bool Matches(const store::Query& q, const store::StoredResource& version,
             const store::IndexRows& rows);

}  // namespace kangyun::search
