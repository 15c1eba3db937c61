// Where the API reads the audit trail's rows from: the store, and the archived months
// (audit/audit_archive.h) for a query that names one resident, when the server knows the
// archive folder. A resident's records of years ago are found the way last week's are; a
// query over the whole trail (no resident named) covers the months the store still holds.
// Internal to api/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/audit_archive.h"
#include "store/store.h"

namespace kangyun::api {

class AuditRowSource {
 public:
  AuditRowSource(store::ReadTransaction& txn, const std::string& archive_dir)
      : txn_(txn), archive_dir_(archive_dir), reader_(archive_dir) {}

  // As ReadTransaction::AuditRows: rows in sequence order (q.descending: newest first), after
  // q.after, at most q.limit.
  Result<std::vector<store::AuditRow>> Rows(const store::AuditQuery& q);

 private:
  // The archived rows naming q.patient that pass q's other filters, at most `want`.
  Result<std::vector<store::AuditRow>> Archived(store::AuditQuery q, int64_t want);
  // The rows of seqs, from whichever archives hold them.
  Result<std::vector<store::AuditRow>> FromArchives(const std::vector<int64_t>& seqs);

  store::ReadTransaction& txn_;
  std::string archive_dir_;
  audit::ArchiveReader reader_;
  std::optional<std::vector<store::AuditArchive>> archives_;
};

}  // namespace kangyun::api
