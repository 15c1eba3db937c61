#include "services/bulk_data/bulk_import.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "api/engine.h"
#include "api/write_retry.h"
#include "json/json.h"

namespace kangyun::services::bulk_data {
using namespace api;
namespace {

struct Prepared {
  json::Value resource;  // kept to stamp again when the resource already exists
  store::ResourceWrite write;
};

Result<Prepared> Prepare(Engine& s, const std::string& text) {
  KY_ASSIGN_OR_RETURN(json::Value resource, ParseResource(s, text));
  std::string id(resource.GetString("id"));
  std::string type(resource.GetString("resourceType"));
  if (id.empty()) return Invalid("A loaded resource needs its id", type + ".id");
  if (!fhir::Validator::IsValidId(id))
    return Invalid("'" + id + "' is not a valid id", type + ".id");
  Prepared p;
  p.write = PrepareVersion(s, &resource, id, 1, s.clock.NowMicros(), "PUT");
  p.resource = std::move(resource);
  return p;
}

// A new version of a resource stored already: stamped again. Its index rows stay, since none
// depends on versionId or lastUpdated (_lastUpdated is answered from the resource table).
void Restamp(Prepared& p, const store::StoredResource& current) {
  p.write.version = current.version + 1;
  p.write.last_updated = std::max(p.write.last_updated, current.last_updated + 1);
  StampResource(&p.resource, p.write.id, p.write.version, p.write.last_updated);
  p.write.body = json::Write(p.resource);
}

// One transaction for the batch: all of it is stored or none. The batch's current versions
// are read, and its versions written, all at once (a few round trips on a server store); a
// resource met again in the batch is written in a later round of the same transaction, after
// the version before it (a resource may appear once in a WriteEach).
// `alone`: as BeginWrite, when run again after a deadlock (two loading threads registering
// the same new search parameter keys in opposite orders, say).
Status WriteBatch(Engine& s, std::vector<Prepared>& batch, bool alone) {
  KY_ASSIGN_OR_RETURN(auto txn, BeginApiTransaction(s.store, alone));
  // Index rows were extracted before the transaction; a search parameter stored since then
  // (by another process) means extracting them again.
  KY_ASSIGN_OR_RETURN(bool changed, SyncStoredSearchParameters(s, *txn));
  if (changed)
    for (Prepared& p : batch) p.write.index = s.extractor.Extract(p.resource);
  std::vector<Prepared*> rest;
  for (Prepared& p : batch) rest.push_back(&p);
  while (!rest.empty()) {
    std::set<std::pair<std::string, std::string>> seen;
    std::vector<Prepared*> round, later;
    for (Prepared* p : rest)
      (seen.emplace(p->write.type, p->write.id).second ? round : later).push_back(p);
    std::vector<std::pair<std::string, std::string>> keys;
    for (const Prepared* p : round) keys.emplace_back(p->write.type, p->write.id);
    KY_ASSIGN_OR_RETURN(auto current, txn->ReadCurrentOfEach(keys));
    std::vector<store::ResourceWrite> writes;
    for (size_t n = 0; n < round.size(); ++n) {
      if (current[n]) Restamp(*round[n], *current[n]);
      writes.push_back(round[n]->write);
      KY_RETURN_IF_ERROR(RegisterAfterCommit(s, *txn, round[n]->resource));
    }
    KY_RETURN_IF_ERROR(txn->WriteEach(writes).status());
    rest = std::move(later);
  }
  return txn->Commit();
}

}  // namespace

Result<ImportResult> Import(Engine& s, ImportSource& source, const ImportOptions& options,
                            const ImportProgress& progress) {
  KY_ASSIGN_OR_RETURN(bool bulk, s.store.BeginBulkLoad());
  std::mutex source_mu, result_mu;
  ImportResult result;
  Status failure;
  std::atomic<bool> stop{false};
  auto work = [&] {
    std::vector<ImportLine> lines;
    std::vector<Prepared> batch;
    while (!stop) {
      lines.clear();
      {
        std::lock_guard lock(source_mu);
        ImportLine line;
        while (static_cast<int>(lines.size()) < options.batch_size && source.Next(&line))
          lines.push_back(std::move(line));
      }
      if (lines.empty()) return;
      batch.clear();
      for (const ImportLine& line : lines) {
        auto p = Prepare(s, line.text);
        if (p.ok()) {
          batch.push_back(std::move(p).value());
          continue;
        }
        std::lock_guard lock(result_mu);
        ++result.failed;
        if (result.errors.size() < options.max_errors) {
          std::string message = p.status().message();
          if (!p.status().expression().empty()) message += " (at " + p.status().expression() + ")";
          result.errors.push_back({line.source, line.number, message});
        }
      }
      Status written = RetryAborted([&](bool alone) { return WriteBatch(s, batch, alone); });
      std::lock_guard lock(result_mu);
      if (!written.ok()) {
        if (failure.ok()) failure = written;
        stop = true;
        return;
      }
      result.resources += static_cast<int64_t>(batch.size());
      if (progress) progress(result.resources);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, options.threads); ++i) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  if (bulk) {
    Status indexed = s.store.EndBulkLoad();
    if (failure.ok()) failure = indexed;
  }
  if (!failure.ok()) return failure;
  result.bulk_path = bulk;
  return result;
}

}  // namespace kangyun::services::bulk_data
