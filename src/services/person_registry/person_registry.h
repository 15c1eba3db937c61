// The person registry's parts (internal to services/person_registry/): matching a Patient
// against the registry, and linking the records of one person.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "api/api_transaction.h"
#include "api/engine.h"
#include "api/fhir_request.h"
#include "mpi/match_model.h"
#include "mpi/person.h"

namespace kangyun::services::person_registry {

using api::ApiTransaction;
using api::Engine;
using api::FhirRequest;
using api::FhirResponse;

// The matching model (mpi/match_model.h), and the registry's size as last counted (-1: not
// yet) and when (micros), which the model's prior probability depends on.
struct Matching {
  mpi::MatchModel model = mpi::MatchModel::Default();
  std::atomic<int64_t> population{-1};
  std::atomic<int64_t> counted_at{0};
};

// --- matching (matching.cpp)

// Adds the registry's computed search parameters: Patient `match-key` (blocking keys) and
// `phonetic` as pinyin.
void RegisterPersonSearchParameters(fhir::SearchParameterRegistry& params);
// Rules every written resource passes beyond its structure: valid citizen ID numbers that agree
// with the record's birth date and sex (mpi/identity_rules.h).
Status CheckRegistryRules(const Engine& s, const json::Value& resource);
// GET Patient/$ihe-pix (IHE PIXm): every identifier of the person one identifier names.
Result<FhirResponse> CrossReferences(Engine& s, store::ReadTransaction& txn,
                                     const FhirRequest& req);
// POST Patient/$match.
Result<FhirResponse> Match(Engine& s, Matching& m, store::ReadTransaction& txn,
                           const FhirRequest& req);

// A stored Patient that may be the person asked for.
struct MatchCandidate {
  store::StoredResource stored;
  json::Value patient;
  double probability = 0;
  mpi::Grade grade = mpi::Grade::kCertainlyNot;
};
// The stored Patients that may be `wanted`, best first, without certainly-not ones. With `as`,
// only those its requester may see; without, all (the registry's own view).
Result<std::vector<MatchCandidate>> MatchCandidates(Engine& s, Matching& m,
                                                    store::ReadTransaction& txn,
                                                    const FhirRequest* as,
                                                    const mpi::Person& wanted);

// --- linking records of one person (patient_links.cpp)

// What the registry decided for a new Patient: the master it links to, and the candidates an
// operator should review.
struct Registration {
  std::string id;      // the Patient
  std::string master;  // "" when not linked
  double probability = 0;
  std::vector<MatchCandidate> to_review;
  bool update = false;  // matched again after an update, not on registration
};
// Matches a new Patient before it is written, and adds its link to the master when one person
// is certain (*patient is changed).
Result<Registration> PlanRegistration(Engine& s, Matching& m, ApiTransaction& txn,
                                      json::Value* patient, const std::string& id);
// Matches an updated Patient again when what the registry compares changed (a corrected birth
// date, a new phone), as PlanRegistration a new one; not a linked record or a master, and not
// against records an operator was already asked about. `previous` is the stored (not deleted)
// version the update replaces.
Result<Registration> PlanRematch(Engine& s, Matching& m, ApiTransaction& txn, json::Value* patient,
                                 const std::string& id, const store::StoredResource& previous);
// Patient.link is the registry's. A write that sends no links keeps the stored ones; one that
// sends links must send the stored ones unchanged, unless it comes from an operator (moving
// records between servers, restoring a backup through the API). kUnprocessable otherwise.
Status SettleLinks(Engine& s, const FhirRequest& req, json::Value* patient,
                   const std::optional<store::StoredResource>& current);
// After the Patient is written: the master's link back, review Tasks, audit records.
Status CarryOutRegistration(Engine& s, ApiTransaction& txn, const FhirRequest& req,
                            const Registration& registration);
// POST Patient/$link, $unlink, $merge, $unmerge, $distinct (an operator's decisions).
Result<FhirResponse> RegistryOperation(Engine& s, ApiTransaction& txn, const FhirRequest& req,
                                       const std::string& operation);
// The operator's operations, by name without "$".
extern const char* const kRegistryOperations[5];

}  // namespace kangyun::services::person_registry
