// The API's write transaction: the store's transaction, plus what must happen only once it has
// committed (registering a new SearchParameter, starting its re-index). Internal to api/.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "auth/scopes.h"
#include "store/store.h"

namespace kangyun::api {

class ApiTransaction : public store::WriteTransaction {
 public:
  explicit ApiTransaction(std::unique_ptr<store::WriteTransaction> inner)
      : inner_(std::move(inner)) {}

  // Runs f after a successful Commit(); dropped when the transaction rolls back.
  void AfterCommit(std::function<void()> f) { after_commit_.push_back(std::move(f)); }

  // The resources written through the API in this transaction, and whether as a create, an
  // update or a delete: before commit, they are reviewed (api/write_review.cpp).
  struct Written {
    std::string type, id;
    auth::Permission perm;
  };
  void NoteWritten(std::string type, std::string id, auth::Permission perm) {
    written_.push_back({std::move(type), std::move(id), perm});
  }
  const std::vector<Written>& written() const { return written_; }

  // A savepoint also marks what was written and registered before it, so that undoing the
  // part after it forgets that part's writes and after-commit work.
  Status Savepoint() override {
    KY_RETURN_IF_ERROR(inner_->Savepoint());
    savepoint_written_ = written_.size();
    savepoint_after_commit_ = after_commit_.size();
    return Status::Ok();
  }
  Status ReleaseSavepoint() override { return inner_->ReleaseSavepoint(); }
  Status RollbackToSavepoint() override {
    written_.resize(savepoint_written_);
    after_commit_.resize(savepoint_after_commit_);
    return inner_->RollbackToSavepoint();
  }
  // What was written since the savepoint.
  size_t written_since_savepoint() const { return savepoint_written_; }

  Status Commit() override {
    KY_RETURN_IF_ERROR(inner_->Commit());
    for (auto& f : after_commit_) f();
    after_commit_.clear();
    return Status::Ok();
  }

  // Everything else is the store's.
  Result<std::optional<store::StoredResource>> ReadCurrent(const std::string& type,
                                                           const std::string& id) override {
    return inner_->ReadCurrent(type, id);
  }
  Result<std::optional<store::StoredResource>> ReadVersion(const std::string& type,
                                                           const std::string& id,
                                                           int64_t version) override {
    return inner_->ReadVersion(type, id, version);
  }
  Result<std::vector<store::StoredResource>> History(const store::HistoryQuery& q) override {
    return inner_->History(q);
  }
  Result<int64_t> CountHistory(const store::HistoryQuery& q) override {
    return inner_->CountHistory(q);
  }
  Result<std::vector<int64_t>> Search(const store::Query& q, int64_t limit) override {
    return inner_->Search(q, limit);
  }
  Result<int64_t> Count(const store::Query& q) override { return inner_->Count(q); }
  Result<std::vector<store::StoredResource>> ReadRows(const std::vector<int64_t>& rids) override {
    return inner_->ReadRows(rids);
  }
  Result<std::vector<int64_t>> Included(const std::vector<int64_t>& rids,
                                        const store::IncludeSpec& spec) override {
    return inner_->Included(rids, spec);
  }
  Result<std::vector<int64_t>> RevIncluded(const std::vector<int64_t>& rids,
                                           const store::IncludeSpec& spec) override {
    return inner_->RevIncluded(rids, spec);
  }
  Result<std::optional<std::string>> GetRecord(const std::string& kind,
                                               const std::string& key) override {
    return inner_->GetRecord(kind, key);
  }
  Result<std::vector<std::pair<std::string, std::string>>> ListRecords(
      const std::string& kind) override {
    return inner_->ListRecords(kind);
  }
  Result<std::vector<std::pair<std::string, std::string>>> ListRecordsAfter(
      const std::string& kind, const std::string& after, int64_t limit) override {
    return inner_->ListRecordsAfter(kind, after, limit);
  }
  Result<std::vector<store::Change>> Changes(store::ChangePosition after, int64_t limit,
                                             const std::string& type) override {
    return inner_->Changes(after, limit, type);
  }
  Result<store::ChangePosition> ChangeHead() override { return inner_->ChangeHead(); }
  Status PutRecord(const std::string& kind, const std::string& key,
                   const std::string& value) override {
    return inner_->PutRecord(kind, key, value);
  }
  Status DeleteRecord(const std::string& kind, const std::string& key) override {
    return inner_->DeleteRecord(kind, key);
  }
  Status AddScheduledJob(const store::ScheduledJob& job) override {
    return inner_->AddScheduledJob(job);
  }
  Result<std::vector<std::string>> CompartmentPatients(const std::vector<int64_t>& rids) override {
    return inner_->CompartmentPatients(rids);
  }
  Result<std::vector<store::AuditRow>> AuditRows(const store::AuditQuery& q) override {
    return inner_->AuditRows(q);
  }
  Result<std::vector<store::AuditAgent>> AuditAgents(const std::vector<int64_t>& ids,
                                                     const std::string& field,
                                                     const std::string& value) override {
    return inner_->AuditAgents(ids, field, value);
  }
  Result<std::vector<store::AuditSeal>> AuditSeals(int64_t after_last, int64_t count) override {
    return inner_->AuditSeals(after_last, count);
  }
  Result<std::optional<store::AuditSeal>> AuditHead() override { return inner_->AuditHead(); }
  Result<std::vector<store::AuditArchive>> AuditArchives() override {
    return inner_->AuditArchives();
  }
  Result<std::vector<int64_t>> AuditArchivedSeqs(const store::AuditQuery& q,
                                                 int64_t archived_last) override {
    return inner_->AuditArchivedSeqs(q, archived_last);
  }
  Result<int64_t> Write(const store::ResourceWrite& w) override { return inner_->Write(w); }
  Result<std::vector<std::optional<store::StoredResource>>> ReadCurrentOfEach(
      const std::vector<std::pair<std::string, std::string>>& keys) override {
    return inner_->ReadCurrentOfEach(keys);
  }
  Result<std::vector<int64_t>> WriteEach(const std::vector<store::ResourceWrite>& writes) override {
    return inner_->WriteEach(writes);
  }
  Status Reindex(int64_t rid, int64_t version, const store::IndexRows& rows) override {
    return inner_->Reindex(rid, version, rows);
  }

 private:
  std::unique_ptr<store::WriteTransaction> inner_;
  std::vector<std::function<void()>> after_commit_;
  std::vector<Written> written_;
  size_t savepoint_written_ = 0, savepoint_after_commit_ = 0;
};

// Begins a write transaction of the store, wrapped; `alone`: Store::BeginWriteAlone.
inline Result<std::unique_ptr<ApiTransaction>> BeginApiTransaction(store::Store& store,
                                                                   bool alone = false) {
  KY_ASSIGN_OR_RETURN(auto inner, alone ? store.BeginWriteAlone() : store.BeginWrite());
  return std::make_unique<ApiTransaction>(std::move(inner));
}

}  // namespace kangyun::api
