// Keys that index rows carry instead of names.
//
// The key of a (resource type, search parameter) pair in the index tables: a 48-bit FNV-1a
// hash of "type|param". Index rows carry this integer instead of the two names, which made up
// a third of every index entry; the names stay in the `params` table for searches over all
// types. A hash needs no dictionary lookup or allocation on write, so a rolled-back write
// cannot leave a key half-assigned; the store checks the pair on insert and refuses a
// collision (about one chance in 10^8 with thousands of parameters).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/strings.h"

namespace kangyun::store {

inline int64_t ParamKey(std::string_view type, std::string_view param) {
  uint64_t h = Fnv1a(param, Fnv1a("|", Fnv1a(type)));
  // 48 bits: SQLite stores the integer in 6 bytes instead of 8.
  return static_cast<int64_t>(h & 0xFFFFFFFFFFFFULL);
}

// The key of a code system in the embedded store's token, quantity and composite index rows,
// in place of the URI (about 23 bytes, kept in two B-trees a row): a 48-bit FNV-1a hash, 0 for
// no system. As with parameter keys, the store registers each in `code_systems` and refuses a
// collision.
inline int64_t SystemKey(std::string_view system) {
  if (system.empty()) return 0;
  int64_t key = static_cast<int64_t>(Fnv1a(system) & 0xFFFFFFFFFFFFULL);
  return key == 0 ? 1 : key;
}

}  // namespace kangyun::store
