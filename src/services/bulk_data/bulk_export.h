// FHIR Bulk Data export (https://hl7.org/fhir/uv/bulkdata/, v2): $export of the whole system,
// of every Patient's compartment, or of a Group's members, with _type, _since and
// _typeFilter, in the asynchronous request pattern. A job walks each type in row-id order, a
// batch at a time, and appends to one NDJSON file per type, so memory stays flat whatever the
// size. A job runs on the job runner (api/job_runner.h): in whichever process of the database
// claims it, as its requester (recorded at kick-off, auth/principal_record.h), and again from
// the beginning in another process when its own stopped or died. Its state for polling is a
// store JobRecord, so any process serving the store answers its status; its files are in the
// export folder, shared by the processes on one host. Internal to services/bulk_data/.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/engine.h"
#include "api/fhir_request.h"
#include "base/status.h"

namespace kangyun::services::bulk_data {

using api::Engine;
using api::FhirRequest;
using api::FhirResponse;

class Exporter {
 public:
  enum class Level { kSystem, kPatient, kGroup };

  explicit Exporter(Engine& s) : s_(s) {}
  ~Exporter();

  // GET or POST [base]/$export, Patient/$export, Group/{id}/$export: 202 and the status URL.
  Result<FhirResponse> KickOff(const FhirRequest& req, Level level, const std::string& group_id);
  // GET [base]/$export-poll-status?_jobId=…: 202 with X-Progress, or the manifest.
  Result<FhirResponse> Poll(const FhirRequest& req);
  // DELETE [base]/$export-poll-status?_jobId=…: stops the job and removes its files.
  Result<FhirResponse> Cancel(const FhirRequest& req);
  // GET [base]/$export-file/{job}/{file}: one output file, streamed from disk.
  // Only the requester who started a job may poll, cancel or fetch it.
  Result<FhirResponse> File(const FhirRequest& req, const std::string& job_id,
                            const std::string& name);
  // A job of kind kJobKind (the job runner's): plans the export as its requester again and
  // runs it.
  Status RunJob(api::JobContext& ctx);
  // Running jobs stop at their next batch (and are queued again by the job runner).
  void Stop();

  static constexpr const char* kJobKind = "bulk-export";
  struct Spec;

 private:
  // What the export holds, as its requester may see it; 4xx for a request it cannot serve.
  Result<std::shared_ptr<Spec>> Plan(const FhirRequest& req, Level level,
                                     const std::string& group_id, const std::string& id,
                                     int64_t transaction_time, const std::string& pseudonym_key);
  // Runs the export to its end: kUnavailable when it stopped before (the server stopping).
  Status Run(Spec& spec, api::JobContext& ctx);
  // Writes the audit trail's records (from its log, not the resource tables) into
  // dir/AuditEvent.ndjson; how many.
  Result<int64_t> ExportAuditTrail(const Spec& spec, const std::filesystem::path& dir,
                                   const bool* cancelled);
  void RemoveExpired();

  Engine& s_;
  std::atomic<bool> stop_{false};
};

}  // namespace kangyun::services::bulk_data
