// The audit trail's retention: whole months of it move out of the store into files, one a
// month, and the hash chain stays verifiable across them. A city serving 1,000 requests a
// second records about 13 GB of trail a day at 152 bytes a read; kept in the store for years,
// that would crowd out the data it protects.
//
// A month's file, `audit-YYYY-MM.ndjson.zst`, is NDJSON in zstd frames (a frame per chunk, so
// it is written and read as a stream): a first line naming the month, its sequence numbers and
// the chain's hash before them; then each agent before the first row that names it, the rows,
// and each seal after the rows it seals. Months are those of China Standard Time (UTC+8, which
// has no daylight saving). A month holds the sealed batches that end before its last day is
// over; a batch that spans the turn of a month goes with the month it ends in.
//
// The store keeps, for each archived month, its range, the chain's hashes around it and the
// file's SHA-256 (store::AuditArchive); the file is written and on disk before the store
// records it and lets go of its rows, so a crash in between leaves a file the next run
// overwrites, never a gap.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace kangyun::audit {

// Archives, oldest first, each month of the trail that ended by `before` (micros since the
// epoch) and is still in the store, into `dir` (which must exist). What it archived, in order.
Result<std::vector<store::AuditArchive>> ArchiveMonths(store::Store& store, const std::string& dir,
                                                       int64_t before);

// Checks the file of `archive` in `dir`: its SHA-256, that its rows are whole and in sequence,
// and that every seal's hash follows from the rows and the hash before, starting from the
// archive's previous hash and ending at its last. Problems are appended to *problems; the
// number of records read is returned.
Result<int64_t> VerifyArchive(const std::string& dir, const store::AuditArchive& archive,
                              std::vector<std::string>* problems);

// The month (China Standard Time) of a time in micros, as "YYYY-MM"; the first micro of that
// month, and of the month after it.
std::string MonthOf(int64_t micros);
int64_t StartOfMonth(int64_t micros);
int64_t StartOfNextMonth(int64_t micros);

}  // namespace kangyun::audit
