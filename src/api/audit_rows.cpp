#include "api/audit_rows.h"

#include <algorithm>

namespace kangyun::api {
namespace {

bool PassesFilters(const store::AuditQuery& q, const store::AuditRow& r) {
  if (q.from > 0 && r.recorded < q.from) return false;
  if (q.to > 0 && r.recorded >= q.to) return false;
  return q.agents.empty() || std::find(q.agents.begin(), q.agents.end(), r.agent) != q.agents.end();
}

}  // namespace

Result<std::vector<store::AuditRow>> AuditRowSource::Rows(const store::AuditQuery& q) {
  if (archive_dir_.empty() || q.match_nothing) return txn_.AuditRows(q);
  if (!archives_) {
    KY_ASSIGN_OR_RETURN(auto archives, txn_.AuditArchives());
    archives_ = std::move(archives);
  }
  if (archives_->empty()) return txn_.AuditRows(q);
  int64_t archived_last = archives_->back().last;
  if (q.seq > 0) {
    if (q.seq > archived_last) return txn_.AuditRows(q);
    return FromArchives({q.seq});
  }
  if (q.patient.empty()) return txn_.AuditRows(q);
  std::vector<store::AuditRow> out;
  if (!q.descending) {
    // The archived months come first, then the store's.
    if (q.after < archived_last) {
      KY_ASSIGN_OR_RETURN(out, Archived(q, q.limit));
    }
    if (static_cast<int64_t>(out.size()) < q.limit) {
      store::AuditQuery rest = q;
      rest.after = std::max(q.after, archived_last);
      rest.limit = q.limit - static_cast<int64_t>(out.size());
      KY_ASSIGN_OR_RETURN(auto stored, txn_.AuditRows(rest));
      for (auto& r : stored) out.push_back(std::move(r));
    }
    return out;
  }
  if (q.after == 0 || q.after > archived_last + 1) {
    KY_ASSIGN_OR_RETURN(out, txn_.AuditRows(q));
  }
  if (static_cast<int64_t>(out.size()) < q.limit) {
    store::AuditQuery older = q;
    older.after = q.after == 0 ? archived_last + 1 : std::min(q.after, archived_last + 1);
    KY_ASSIGN_OR_RETURN(auto archived, Archived(older, q.limit - static_cast<int64_t>(out.size())));
    for (auto& r : archived) out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<store::AuditRow>> AuditRowSource::Archived(store::AuditQuery q, int64_t want) {
  std::vector<store::AuditRow> out;
  int64_t archived_last = archives_->back().last;
  q.limit = std::max<int64_t>(want, 100);
  while (static_cast<int64_t>(out.size()) < want) {
    KY_ASSIGN_OR_RETURN(std::vector<int64_t> seqs, txn_.AuditArchivedSeqs(q, archived_last));
    if (seqs.empty()) break;
    KY_ASSIGN_OR_RETURN(auto rows, FromArchives(seqs));
    for (auto& r : rows)
      if (PassesFilters(q, r) && static_cast<int64_t>(out.size()) < want)
        out.push_back(std::move(r));
    if (static_cast<int64_t>(seqs.size()) < q.limit) break;
    q.after = seqs.back();
  }
  return out;
}

Result<std::vector<store::AuditRow>> AuditRowSource::FromArchives(
    const std::vector<int64_t>& seqs) {
  std::vector<store::AuditRow> out;
  for (int64_t seq : seqs) {
    auto it = std::lower_bound(archives_->begin(), archives_->end(), seq,
                               [](const store::AuditArchive& a, int64_t s) { return a.last < s; });
    if (it == archives_->end() || seq < it->first) continue;
    KY_ASSIGN_OR_RETURN(auto rows, reader_.Rows(*it, {seq}));
    for (auto& r : rows) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace kangyun::api
