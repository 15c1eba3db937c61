// The index rows of one resource version as rows of the SQL index tables: what both SQL
// stores insert. Internal to store/.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/index_rows.h"
#include "store/sql_builder.h"

namespace kangyun::store {

struct TableRows {
  const char* table;
  int columns;  // per row, rid first, then the key of (type, param) except in `compartment`
  std::vector<std::vector<SqlValue>> rows;
};

// `key` gives the key of the resource type's parameter (store/param_key.h), registering it.
Result<std::vector<TableRows>> ToTableRows(
    int64_t rid, const IndexRows& x, const std::function<Result<int64_t>(const std::string&)>& key);

// The index tables, and the table of compartment memberships, in the order ToTableRows fills.
const std::vector<const char*>& IndexRowTables();

}  // namespace kangyun::store
