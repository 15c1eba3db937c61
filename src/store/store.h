// THE storage contract. A store keeps resource versions as the exact bytes written, the index
// rows of each current version, and the history. Every write of one request or one transaction
// Bundle happens in one WriteTransaction: committed whole or not at all.
//
// Thread-safety: a Store is shared by all request threads; each transaction belongs to one
// thread. What a write transaction reads in order to write is its own until it ends: a
// resource's current version (ReadCurrent), the answer to an exact search (Search, Count with
// the same query), a record (GetRecord, PutRecord, DeleteRecord). Another write transaction
// that reads the same waits, then sees what the first committed; writes that read nothing in
// common do not wait on each other. (The embedded store has one writer at a time; the server
// store locks per key.) Two transactions that come to wait on each other are a deadlock: one
// of them fails with StatusCode::kAborted, having changed nothing, and may be run again
// (BeginWriteAlone).
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

// Where a reader of the change feed (ReadTransaction::Changes) stands: after the change at this
// position. Positions grow in commit order.
struct ChangePosition {
  int64_t txn = 0;  // the server store's transaction id of the change; 0 on the embedded store
  int64_t seq = 0;  // the version's history row
  auto operator<=>(const ChangePosition&) const = default;
};
// One committed version, as the change feed gives it (its rid is not set).
struct Change {
  ChangePosition position;
  StoredResource version;
};

// The state of an asynchronous job (a bulk export) that every process serving the store can
// read and change, outside any transaction: the job's own JSON, and when it last changed.
struct JobRecord {
  std::string id;
  std::string state;
  int64_t updated = 0;  // microseconds since the epoch
};

// A job of the job runner (api/job_runner.h): durable, run by one process at a time, which
// holds it by a lease it renews while it works. A job whose lease ran out (its process died)
// is claimed again by another, or by the same after a restart.
struct ScheduledJob {
  std::string id, kind;
  // queued, running, completed, failed, cancelled, missed
  std::string status = "queued";
  int64_t due = 0;              // not run before (micros)
  std::string owner;            // the process holding the lease ("" when none)
  int64_t lease_until = 0;      // micros; 0 when never claimed
  int64_t attempts = 0;         // claims so far
  std::string params = "{}";    // the job's input, JSON
  std::string progress = "{}";  // what the job has done, JSON: its checkpoint to resume from
  std::string error;
  int64_t created = 0, updated = 0;
};

// The audit log: compact rows in chain order beside the resources, never served as stored
// (api/audit_interactions.cpp builds AuditEvent resources from them; audit/audit_trail.h
// writes them). Agents (who acted, from where) repeat on most rows and are kept once each.
struct AuditAgent {
  int64_t id = 0;
  std::string reference, subject, address;  // what agents are searched by
  std::string text;                         // the whole agent (audit/audit_codec.h)
};

struct AuditRow {
  int64_t seq = 0;                    // the chain's sequence number, from 1
  int64_t recorded = 0;               // microseconds since the epoch
  int64_t agent = 0;                  // AuditAgent id
  std::string body;                   // the rest of the record (audit/audit_codec.h)
  std::vector<std::string> patients;  // Patient ids the row is found by
};

// The hash of the rows [first, last] and the chain before them (audit/audit_codec.h).
struct AuditSeal {
  int64_t first = 0, last = 0;
  std::string hash;
};

// Sealed batches of the audit log moved out of the store into an archive file
// (audit/audit_archive.h): the rows first..last, the chain's hash before them and after them,
// and the file's SHA-256, so that the chain stays verifiable across the archive.
struct AuditArchive {
  int64_t first = 0, last = 0;
  std::string month;  // "2026-11": the month (China Standard Time) whose records it holds
  std::string file;   // its name in the archive folder
  std::string previous_hash, last_hash;
  std::string sha256;
};

struct AuditQuery {
  int64_t seq = 0;              // the one row of this sequence number; 0: any
  std::string patient;          // rows naming this Patient id; "": any
  std::vector<int64_t> agents;  // rows of these agents; empty: any
  bool match_nothing = false;   // no rows at all (an agent filter matched no agent, say)
  int64_t from = 0, to = 0;     // recorded in [from, to); 0: no bound
  int64_t after = 0;            // keyset paging: rows past this sequence number; 0: none
  bool descending = false;      // newest first
  int64_t limit = 100;
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

  // The Patients in whose compartments the current versions of `rids` are (sorted, once
  // each): whose records an answer holding them shows (the audit trail).
  virtual Result<std::vector<std::string>> CompartmentPatients(
      const std::vector<int64_t>& rids) = 0;

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
  // The records of a kind whose keys sort after `after` (byte order), at most limit, by key:
  // a log kept as records with ordered keys (a subscription's events), read a page at a time.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListRecordsAfter(
      const std::string& kind, const std::string& after, int64_t limit) = 0;

  // The change feed: every version written, in the order of the commits that wrote them, after
  // `after`, at most limit. Each version is its own change record (the history row written in
  // the version's own transaction), so the feed is a transactional outbox: a change that rolled
  // back is never in it, and one committed is never missed. A reader that keeps the last
  // position it handled sees each committed change once, however the writers interleave: on the
  // server store, changes are given only once every transaction that began before them has
  // ended (so a long open write transaction holds the feed back until it ends).
  // `type`: only changes of that type ("" for all).
  virtual Result<std::vector<Change>> Changes(ChangePosition after, int64_t limit,
                                              const std::string& type) = 0;
  // Where a reader that starts now begins: after every change this transaction sees.
  virtual Result<ChangePosition> ChangeHead() = 0;

  // Audit log rows in sequence order (their bodies name their patients), at most q.limit.
  virtual Result<std::vector<AuditRow>> AuditRows(const AuditQuery& q) = 0;
  // Agents by id; or, with `field` one of reference, subject, address, those whose field is
  // `value` (ids ignored).
  virtual Result<std::vector<AuditAgent>> AuditAgents(const std::vector<int64_t>& ids,
                                                      const std::string& field = "",
                                                      const std::string& value = "") = 0;
  // Seals of the chain in order, after the one ending at `after_last`, at most count.
  virtual Result<std::vector<AuditSeal>> AuditSeals(int64_t after_last, int64_t count) = 0;
  // The head of the chain: the seal last appended (kept apart from the seals, so that cutting
  // batches off the end shows); nullopt before the first.
  virtual Result<std::optional<AuditSeal>> AuditHead() = 0;
  // What was archived, in sequence order.
  virtual Result<std::vector<AuditArchive>> AuditArchives() = 0;
  // The sequence numbers of archived rows naming q.patient (at most `archived_last`; the store
  // keeps which residents archived rows name): q.after, q.descending and q.limit as in
  // AuditRows; other filters are the caller's.
  virtual Result<std::vector<int64_t>> AuditArchivedSeqs(const AuditQuery& q,
                                                         int64_t archived_last) = 0;
};

// One append to the audit log, apart from the transactions of the data: appends are
// serialised across every process serving the store (the chain is one sequence), and never
// wait for, or hold up, writes of resources. Without Commit, destruction rolls back.
class AuditAppend {
 public:
  virtual ~AuditAppend() = default;
  virtual Result<std::optional<AuditSeal>> Head() = 0;
  virtual Result<std::vector<AuditAgent>> Agents(const std::vector<int64_t>& ids) = 0;
  // Adds the agents (one whose id is stored already is left as it is), the rows, and the
  // seal, which becomes the head.
  virtual Status Append(const std::vector<AuditAgent>& agents, const std::vector<AuditRow>& rows,
                        const AuditSeal& seal) = 0;
  // Records the archive and removes its rows and seals from the log (agents stay: later rows
  // share them). REQUIRES: the archive file is written and on disk.
  virtual Status Archive(const AuditArchive& archive) = 0;
  virtual Status Commit() = 0;
};

class WriteTransaction : public ReadTransaction {
 public:
  // Writes one version (and, unless deleted, replaces the index rows). REQUIRES: version is
  // the current version + 1 (or 1 for a new resource); the caller read it in this transaction.
  virtual Result<int64_t> Write(const ResourceWrite& w) = 0;
  // ReadCurrent of each (type, id), in order; then Write of each version, in order, giving
  // the rids: for loading many resources at once, which a server store does in a few round
  // trips rather than one or two per resource. The same contracts as ReadCurrent and Write;
  // a resource may appear once in `writes`.
  virtual Result<std::vector<std::optional<StoredResource>>> ReadCurrentOfEach(
      const std::vector<std::pair<std::string, std::string>>& keys) {
    std::vector<std::optional<StoredResource>> out;
    for (const auto& [type, id] : keys) {
      KY_ASSIGN_OR_RETURN(auto current, ReadCurrent(type, id));
      out.push_back(std::move(current));
    }
    return out;
  }
  virtual Result<std::vector<int64_t>> WriteEach(const std::vector<ResourceWrite>& writes) {
    std::vector<int64_t> rids;
    for (const ResourceWrite& w : writes) {
      KY_ASSIGN_OR_RETURN(int64_t rid, Write(w));
      rids.push_back(rid);
    }
    return rids;
  }
  // Replaces the index rows of row rid if its current version is still `version`
  // (re-indexing after a new SearchParameter); a row written or deleted since is left alone.
  virtual Status Reindex(int64_t rid, int64_t version, const IndexRows& rows) = 0;
  // Sets (or replaces) a record; see GetRecord.
  virtual Status PutRecord(const std::string& kind, const std::string& key,
                           const std::string& value) = 0;
  virtual Status DeleteRecord(const std::string& kind, const std::string& key) = 0;
  // Queues a job of the job runner (Store::AddScheduledJob) as part of this transaction: it
  // exists if and only if the transaction commits (a reminder with the request it is for).
  virtual Status AddScheduledJob(const ScheduledJob& job) = 0;
  // A part of the transaction that may be undone alone (an entry of a batch Bundle): after
  // Savepoint, either ReleaseSavepoint keeps what was written since, or RollbackToSavepoint
  // undoes it. Not nested.
  virtual Status Savepoint() = 0;
  virtual Status ReleaseSavepoint() = 0;
  virtual Status RollbackToSavepoint() = 0;
  // Makes every write durable. Without Commit, destruction rolls back.
  virtual Status Commit() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Result<std::unique_ptr<ReadTransaction>> BeginRead() = 0;
  virtual Result<std::unique_ptr<WriteTransaction>> BeginWrite() = 0;
  // A write transaction that begins once no other is open and keeps others from beginning
  // until it ends: for running again a write that was aborted in a deadlock (kAborted), which
  // alone cannot meet another. A store that lets one writer at a time begins an ordinary one.
  virtual Result<std::unique_ptr<WriteTransaction>> BeginWriteAlone() { return BeginWrite(); }
  // `durable`: the append is on disk when Commit returns (someone waits on it: a write's
  // record). Otherwise it may reach the disk a little later; a crash of the operating system
  // (not of the process) can lose it until then.
  virtual Result<std::unique_ptr<AuditAppend>> BeginAuditAppend(bool durable) = 0;
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
  // The job runner's jobs (ScheduledJob), each call its own transaction. AddScheduledJob:
  // kConflict when the id is taken.
  virtual Status AddScheduledJob(const ScheduledJob& job) = 0;
  // Claims the job of one of `kinds` due soonest (due <= now) that is queued, or running
  // with a lease that ran out: it becomes running, held by `owner` until lease_until, one
  // attempt more. Across processes, one claim wins. nullopt when none is due.
  virtual Result<std::optional<ScheduledJob>> ClaimScheduledJob(
      const std::vector<std::string>& kinds, const std::string& owner, int64_t now,
      int64_t lease_until) = 0;
  // Writes the status, due time, lease, progress and error of a running job that `job.owner` still
  // holds; false when it does not (its lease ran out and another claimed it, or the job was
  // cancelled): then its holder stops.
  virtual Result<bool> UpdateScheduledJob(const ScheduledJob& job) = 0;
  // A queued or running job becomes cancelled; false when it had ended already.
  virtual Result<bool> CancelScheduledJob(const std::string& id, int64_t now) = 0;
  virtual Result<std::optional<ScheduledJob>> GetScheduledJob(const std::string& id) = 0;
  // Newest first; of every kind when `kind` is "".
  virtual Result<std::vector<ScheduledJob>> ListScheduledJobs(const std::string& kind,
                                                              int64_t limit) = 0;
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
