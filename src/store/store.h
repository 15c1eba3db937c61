// THE storage contract. A store keeps resource versions as the exact bytes written, the index
// rows of each current version, and the history. Every write of one request or one transaction
// Bundle happens in one WriteTransaction: committed whole or not at all.
//
// Thread-safety: a Store is shared by all request threads; each transaction belongs to one
// thread. Write transactions are serialised by the store (no deadlocks, no spurious failures).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "store/index_rows.h"
#include "store/query.h"

namespace kangyun::store {

struct StoredResource {
  int64_t rid = 0;  // the store's row id of the resource (stable across versions)
  std::string type, id;
  int64_t version = 0;
  int64_t last_updated = 0;  // microseconds since the epoch
  bool deleted = false;
  std::string method;  // POST, PUT, PATCH or DELETE: how this version came to be
  std::string body;    // the JSON bytes as stored; empty for a deletion
};

struct ResourceWrite {
  std::string type, id;
  int64_t version = 0;
  int64_t last_updated = 0;
  bool deleted = false;
  std::string method;
  std::string body;
  IndexRows index;  // ignored for deletions
};

struct HistoryQuery {
  std::string type;    // "" for the whole system
  std::string id;      // "" for the type (or system)
  int64_t since = 0;   // versions updated at or after; 0 for all
  int64_t before = 0;  // versions updated before (exclusive); 0 for no bound
  int64_t offset = 0;
  int64_t count = 50;
};

// Where a reference of one resource points, for _include.
struct IncludeSpec {
  std::string source_type;  // type whose references are followed ("" for any)
  std::string param;        // reference parameter, or "*" for all
  std::string target_type;  // restrict targets to this type, or ""
};

// The state of an asynchronous job (a bulk export) that every process serving the store can
// read and change, outside any transaction: the job's own JSON, and when it last changed.
struct JobRecord {
  std::string id;
  std::string state;
  int64_t updated = 0;  // microseconds since the epoch
};

class ReadTransaction {
 public:
  virtual ~ReadTransaction() = default;

  // The current version (a deletion marker when deleted), or nullopt when never created.
  virtual Result<std::optional<StoredResource>> ReadCurrent(const std::string& type,
                                                            const std::string& id) = 0;
  virtual Result<std::optional<StoredResource>> ReadVersion(const std::string& type,
                                                            const std::string& id,
                                                            int64_t version) = 0;
  // Newest first.
  virtual Result<std::vector<StoredResource>> History(const HistoryQuery& q) = 0;
  virtual Result<int64_t> CountHistory(const HistoryQuery& q) = 0;

  // Row ids of current, non-deleted resources matching q, in q's sort order (then by rid),
  // at most limit of them.
  virtual Result<std::vector<int64_t>> Search(const Query& q, int64_t limit) = 0;
  virtual Result<int64_t> Count(const Query& q) = 0;
  // Current versions of the given rows, in the given order; deleted or vanished rows skipped.
  virtual Result<std::vector<StoredResource>> ReadRows(const std::vector<int64_t>& rids) = 0;

  // Rows that resources `rids` reference through spec (_include).
  virtual Result<std::vector<int64_t>> Included(const std::vector<int64_t>& rids,
                                                const IncludeSpec& spec) = 0;
  // Rows of spec.source_type whose spec.param references one of `rids` (_revinclude).
  virtual Result<std::vector<int64_t>> RevIncluded(const std::vector<int64_t>& rids,
                                                   const IncludeSpec& spec) = 0;

  // Platform records kept beside the FHIR data and never served as resources: accounts,
  // signing keys, refresh tokens, the head of the audit chain. A text value by kind and key.
  virtual Result<std::optional<std::string>> GetRecord(const std::string& kind,
                                                       const std::string& key) = 0;
  // Every record of a kind, by key.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListRecords(
      const std::string& kind) = 0;
};

class WriteTransaction : public ReadTransaction {
 public:
  // Writes one version (and, unless deleted, replaces the index rows). REQUIRES: version is
  // the current version + 1 (or 1 for a new resource); the caller read it in this transaction.
  virtual Result<int64_t> Write(const ResourceWrite& w) = 0;
  // Replaces the index rows of a current version (re-indexing after a new SearchParameter).
  virtual Status Reindex(int64_t rid, const IndexRows& rows) = 0;
  // Sets (or replaces) a record; see GetRecord.
  virtual Status PutRecord(const std::string& kind, const std::string& key,
                           const std::string& value) = 0;
  virtual Status DeleteRecord(const std::string& kind, const std::string& key) = 0;
  // Makes every write durable. Without Commit, destruction rolls back.
  virtual Status Commit() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Result<std::unique_ptr<ReadTransaction>> BeginRead() = 0;
  virtual Result<std::unique_ptr<WriteTransaction>> BeginWrite() = 0;
  // Paging: an ordered match list kept until expires_at (micros), outside any transaction
  // (it is a cache of a search, not data). ReadResultSet gives nullopt when unknown or expired.
  virtual Status SaveResultSet(const std::string& id, std::vector<int64_t> rids,
                               int64_t expires_at) = 0;
  virtual Result<std::optional<std::vector<int64_t>>> ReadResultSet(const std::string& id,
                                                                    int64_t offset, int64_t count,
                                                                    int64_t now) = 0;
  // Jobs (see JobRecord). The embedded store keeps them in memory, since one process serves
  // it; the server store keeps them in a table.
  virtual Status PutJob(const JobRecord& job) = 0;
  virtual Result<std::optional<JobRecord>> GetJob(const std::string& id) = 0;
  virtual Status DeleteJob(const std::string& id) = 0;
  virtual Result<std::vector<JobRecord>> ListJobs() = 0;
  // Loading into an empty store: the secondary indexes of the search tables are set aside and
  // built once at the end, by sorting, which is several times cheaper than growing each B-tree
  // row by row. False (and nothing changes) when the store holds resources. Searches are slow
  // until EndBulkLoad; a crash in between is repaired when the store next opens. A store
  // whose indexes stay in place (PostgreSQL) returns true and refreshes its statistics at the
  // end.
  virtual Result<bool> BeginBulkLoad() = 0;
  virtual Status EndBulkLoad() = 0;
  // Rows [after_rid, ...) of current resources, up to count, for background re-indexing.
  virtual Result<std::vector<StoredResource>> ScanCurrent(const std::vector<std::string>& types,
                                                          int64_t after_rid, int64_t count) = 0;
};

}  // namespace kangyun::store
