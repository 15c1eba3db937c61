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
#include <unordered_map>
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

// Records of archive files by sequence number, through each file's frame index
// (`audit-YYYY-MM.frames.json`: the first record and the byte range of each zstd frame), so
// that a resident's few records in a month are read without decompressing all of it. A frame
// is decompressed once per reader: one reader serves one request.
class ArchiveReader {
 public:
  explicit ArchiveReader(std::string dir) : dir_(std::move(dir)) {}
  // The records of `seqs` that `archive` holds, in the order of seqs.
  Result<std::vector<store::AuditRow>> Rows(const store::AuditArchive& archive,
                                            const std::vector<int64_t>& seqs);

 private:
  struct Frame {
    int64_t first = 0, offset = 0, bytes = 0;
  };
  struct Frames {
    bool loaded = false;
    std::vector<Frame> starts;
    std::unordered_map<int64_t, std::unordered_map<int64_t, store::AuditRow>> decoded;
  };
  Status Decode(const store::AuditArchive& archive, const Frame& frame,
                std::unordered_map<int64_t, store::AuditRow>* rows);
  std::string dir_;
  std::unordered_map<std::string, Frames> frames_;  // by file
};

// The month (China Standard Time) of a time in micros, as "YYYY-MM"; the first micro of that
// month, and of the month after it.
std::string MonthOf(int64_t micros);
int64_t StartOfMonth(int64_t micros);
int64_t StartOfNextMonth(int64_t micros);

}  // namespace kangyun::audit
