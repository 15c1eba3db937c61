// What every interaction uses (internal to api/): the definitions, the store, the seams, and
// the shared helpers for building responses.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/api_transaction.h"
#include "api/fhir_api.h"
#include "api/fhir_request.h"
#include "api/job_runner.h"
#include "api/service.h"
#include "audit/audit_trail.h"
#include "fhir/profile.h"
#include "fhir/validator.h"
#include "json/json.h"
#include "mpi/match_model.h"
#include "mpi/person.h"
#include "search/index_extractor.h"
#include "search/search_planner.h"

namespace kangyun::api {

class AccessPolicy;
class Reindexer;

class Engine {
 public:
  // Each service registers what it adds (api/service.h) before the built-in search
  // parameters are sealed.
  Engine(const fhir::Definitions& defs, fhir::SearchParameterRegistry& params, store::Store& store,
         Clock& clock, IdSource& ids, ApiConfig config, ServiceList services);
  ~Engine();

  const fhir::Definitions& defs;
  fhir::SearchParameterRegistry& params;
  store::Store& store;
  Clock& clock;
  IdSource& ids;
  ApiConfig config;
  fhir::Validator validator;
  search::IndexExtractor extractor;
  // Code systems, value sets and maps (before the planner, which expands value sets with it).
  terminology::Terminology terminology;
  search::SearchPlanner planner;
  // Background jobs of the engine and the services (api/job_runner.h).
  std::unique_ptr<JobRunner> jobs;
  std::unique_ptr<Reindexer> reindexer;
  std::unique_ptr<audit::AuditTrail> audit;  // null when config.audit is off
  // What the services registered, and the services themselves.
  ServiceRegistry registry;
  ServiceList services;
  // How many stored versions of SearchParameter resources the registry reflects (-1: none
  // read yet), and when a read last looked (micros); see SyncStoredSearchParameters.
  std::atomic<int64_t> search_parameter_versions{-1};
  std::atomic<int64_t> search_parameters_checked{0};
  // The profiles stored in the database (api/profiles.cpp), and how many stored versions of
  // StructureDefinition resources they reflect (-1: none read yet).
  fhir::ProfileSet profiles;
  std::atomic<int64_t> profile_versions{-1};
  std::atomic<int64_t> profiles_checked{0};  // when they were last counted (micros; 0: now due)

  // The CapabilityStatement, rebuilt when search parameters change.
  std::string CapabilityStatement();
  void ForgetCapabilityStatement() {
    std::lock_guard lock(capability_mu_);
    capability_generation_ = UINT64_MAX;
  }

 private:
  std::mutex capability_mu_;
  uint64_t capability_generation_ = UINT64_MAX;
  std::string capability_;
};

// Registers the SearchParameter resources stored in the database, also those another server
// process on the same database stored: when the number of their stored versions differs from
// what the registry last reflected, every stored one is registered again (adding replaces by
// code). True when it did. Cheap otherwise: one count of an indexed range.
Result<bool> SyncStoredSearchParameters(Engine& s, store::ReadTransaction& txn);
// The profiles stored in the database, read again when the number of stored
// StructureDefinition versions changed (as SyncStoredSearchParameters), counted at most once a
// second (a profile another process stores applies within a second; one this process stores,
// at once): not a statement more on every write. True when it read them.
Result<bool> SyncStoredProfiles(Engine& s, store::ReadTransaction& txn);
// The profiles a write of `resource` is checked against: those required for its type, and the
// known ones it claims in meta.profile.
std::vector<std::string> ProfilesToCheck(const Engine& s, const json::Value& resource);
// The issues of `resource` against the profiles `urls` (one the server does not know is an
// error of its own).
// `unknown_at` is the expression an unknown profile's issue names (where the URL came from).
std::vector<fhir::ProfileIssue> CheckProfiles(const Engine& s, const json::Value& resource,
                                              const std::vector<std::string>& urls,
                                              const std::string& unknown_at = "meta.profile");
// The issues of every extension in `resource` whose url names a known extension definition.
std::vector<fhir::ProfileIssue> CheckExtensionDefinitions(const Engine& s,
                                                          const json::Value& resource);
// A StructureDefinition that profiles a resource or data type can be used as one (a snapshot).
Status CheckUsableAsProfile(const Engine& s, const json::Value& resource);
// Whether a code is in a value set, as the terminology service can tell.
fhir::CodeInValueSet CodesFor(const Engine& s);
// What a write checks of profiles: the resource against ProfilesToCheck (the first error), and
// a StructureDefinition that profiles a resource type can be used as one.
Status CheckWriteProfiles(const Engine& s, const json::Value& resource);

// A write transaction that sees every search parameter committed before it began: with the
// store's writes serialised, the index rows it writes are complete for all of them. `alone`:
// once no other write is open (Store::BeginWriteAlone), for a write run again after a deadlock.
Result<std::unique_ptr<ApiTransaction>> BeginWrite(Engine& s, bool alone = false);

// --- helpers shared by the interactions

// A stored resource cut down to what _summary / _elements ask for, marked SUBSETTED.
Result<std::string> SubsetResource(const Engine& s, const std::string& body,
                                   const search::SearchRequest& sr);
// Parses a request body as a resource: UTF-8 JSON object, known type, valid structure, and
// the services' rules for it.
Result<json::Value> ParseResource(const Engine& s, const std::string& body);
// What every write checks of a parsed resource: its structure and invariants, its profiles,
// the services' rules.
Status ValidateForWrite(const Engine& s, const json::Value& resource);
// The services' validate hooks for a resource about to be written (api/service.h).
Status ValidateByServices(const Engine& s, const json::Value& resource);
// Sets id, meta.versionId and meta.lastUpdated (keeping the rest of meta).
void StampResource(json::Value* resource, const std::string& id, int64_t version,
                   int64_t last_updated);
std::string ETag(int64_t version);
// Parses W/"3" or "3".
std::optional<int64_t> ParseETag(std::string_view etag);

enum class PreferReturn { kRepresentation, kMinimal, kOperationOutcome };
PreferReturn PreferredReturn(const FhirRequest& req);
bool PreferStrict(const FhirRequest& req);

// A response carrying one resource version with Location/ETag/Last-Modified as the spec says.
FhirResponse ResourceResponse(const store::StoredResource& r, int status,
                              const std::string& base_url, PreferReturn prefer, bool with_location);

// Matches of a conditional request's criteria ("identifier=x&active=true"), in txn, among
// what the requester may see.
Result<std::vector<store::StoredResource>> FindByCriteria(Engine& s, store::ReadTransaction& txn,
                                                          const FhirRequest& req,
                                                          const std::string& type,
                                                          const search::QueryParams& criteria,
                                                          int64_t limit);
// The same among every resource, whoever asks: the person registry's own view when it decides
// (what it finds is never answered to a requester as such).
Result<std::vector<store::StoredResource>> FindForRegistry(Engine& s, store::ReadTransaction& txn,
                                                           const std::string& type,
                                                           const search::QueryParams& criteria,
                                                           int64_t limit);

// Stamps id, version and lastUpdated into *resource and builds what the store writes: the
// bytes and the index rows.
store::ResourceWrite PrepareVersion(Engine& s, json::Value* resource, const std::string& id,
                                    int64_t version, int64_t last_updated,
                                    const std::string& method);
// A stored SearchParameter is registered (and data re-indexed) once txn commits.
Status RegisterAfterCommit(Engine& s, ApiTransaction& txn, const json::Value& resource);

// Writes one new version of a resource (a create or update) in txn. `existing` is the
// current version when there is one. Returns what was stored. `by_registry`: the person
// registry's own write (a master's link, a review Task), which the requester need not see.
Result<store::StoredResource> WriteVersion(Engine& s, ApiTransaction& txn, json::Value resource,
                                           const std::string& id,
                                           const std::optional<store::StoredResource>& existing,
                                           const std::string& method, bool by_registry = false);

// --- the platform's content (api/platform_content.cpp)

// R4's code systems and value sets (from the definitions) and the platform's.
Status LoadTerminology(Engine& s);
// Stores the platform's NamingSystems, CodeSystems, ValueSets and ConceptMaps and the
// resources the services registered (once, and again when they change), adds the stored code
// systems to the terminology service, and runs the services' start-up steps.
Status InstallPlatformContent(Engine& s);
// The code systems, value sets and concept maps stored in the database join the terminology
// service (at start-up, and when a guide installed beside the running server brings them).
Status AddStoredTerminology(Engine& s, store::ReadTransaction& txn);

// Registers the engine's own operations ($everything) on the seam
// (api/everything.cpp).
void RegisterEngineOperations(ServiceRegistry& registry);
// $validate on every resource type (api/validate_operation.cpp).
void RegisterValidateOperation(ServiceRegistry& registry, const fhir::Definitions& defs);

// Adds Kangyun's own search parameters (api/platform_parameters.cpp).
void RegisterPlatformSearchParameters(fhir::SearchParameterRegistry& params);

// Read access to type/id before an interaction or operation on it: 403 without the scope,
// 404 for one the requester may not see (as for one that does not exist).
Status AllowRead(AccessPolicy& access, store::ReadTransaction& txn, const std::string& type,
                 const std::string& id);

// --- interactions; each runs in the given transaction (a Bundle shares one)
using Txn = ApiTransaction;
Result<FhirResponse> Read(Engine& s, store::ReadTransaction& txn, const FhirRequest& req,
                          const std::string& type, const std::string& id);
Result<FhirResponse> VRead(Engine& s, store::ReadTransaction& txn, const FhirRequest& req,
                           const std::string& type, const std::string& id,
                           const std::string& version);
Result<FhirResponse> Create(Engine& s, Txn& txn, const FhirRequest& req, const std::string& type,
                            json::Value resource);
// A create with an id chosen beforehand (a transaction assigns ids before any entry runs, so
// that references to urn:uuid: full URLs can be rewritten).
Result<FhirResponse> CreateWithId(Engine& s, Txn& txn, const FhirRequest& req,
                                  const std::string& type, json::Value resource,
                                  const std::string& id);
Result<FhirResponse> Update(Engine& s, Txn& txn, const FhirRequest& req, const std::string& type,
                            const std::string& id, json::Value resource);
Result<FhirResponse> ConditionalUpdate(Engine& s, Txn& txn, const FhirRequest& req,
                                       const std::string& type, json::Value resource);
Result<FhirResponse> Patch(Engine& s, Txn& txn, const FhirRequest& req, const std::string& type,
                           const std::string& id);
Result<FhirResponse> Delete(Engine& s, Txn& txn, const FhirRequest& req, const std::string& type,
                            const std::string& id);
Result<FhirResponse> ConditionalDelete(Engine& s, Txn& txn, const FhirRequest& req,
                                       const std::string& type);
Result<FhirResponse> History(Engine& s, store::ReadTransaction& txn, const FhirRequest& req,
                             const std::string& type, const std::string& id);
// How an operation built on search ($everything) wants its pages.
struct SearchOptions {
  // The _include'd resources go into the paged list after the matches, once each, instead of
  // onto every page that refers to them (when the matches fit in one paging list).
  bool includes_in_list = false;
  // The query the Bundle's links carry, when not `params` (an operation's own parameters
  // rather than the search it makes of them).
  std::optional<search::QueryParams> link_params;
};
Result<FhirResponse> Search(Engine& s, store::ReadTransaction& txn, const FhirRequest& req,
                            const std::vector<std::string>& types,
                            const search::QueryParams& params,
                            std::vector<std::vector<store::Condition>> extra_clauses = {},
                            const SearchOptions& options = {});
Result<FhirResponse> Everything(Engine& s, store::ReadTransaction& txn, const FhirRequest& req,
                                const std::string& patient_id);
// Batch and transaction Bundles.
FhirResponse ProcessBundle(Engine& s, const FhirRequest& req);

// 405 for an update of type/id by a principal who may not choose ids: it does not exist, or
// the principal may not see it (the two answer alike).
Status UpdateAsCreateRefused(const std::string& type, const std::string& id);

// Handles one request outside any Bundle (opens its own transaction), and records it in the
// audit trail.
FhirResponse Dispatch(Engine& s, const FhirRequest& req);
// Handles the entries of a batch Bundle, each as Dispatch would, but for the writes: they
// share one transaction of the store and its commit, each inside a savepoint, so that each
// succeeds or fails alone while a batch of thousands pays one commit, not thousands.
std::vector<FhirResponse> DispatchBatch(Engine& s, const std::vector<FhirRequest>& entries);
// Before txn commits (api/write_review.cpp): 403 when a resource it wrote is one the requester
// may not see, is about a resident they did not reach before, or grants reach beyond what the
// reach model allows (api/reach_model.h). Otherwise the residents whose records it changed.
// `from`: review only the writes after the first `from` (an entry of a batch).
Result<std::vector<std::string>> ReviewWrites(Engine& s, const FhirRequest& req,
                                              ApiTransaction& txn, size_t from = 0);
// Tells each resident whose record a break-glass request opened, with a Communication in
// their record (api/request_audit.cpp).
Status NotifyBreakGlass(Engine& s, const FhirRequest& req, const audit::AuditRecord& record);
// AuditEvent read and search, from the audit log (api/audit_interactions.cpp). `compartment`:
// the Patient of a compartment search (Patient/x/AuditEvent), or "".
// The parameters the audit trail is searched by.
const std::set<std::string>& AuditTrailParameters();
Result<FhirResponse> AuditEventRead(Engine& s, store::ReadTransaction& txn, const FhirRequest& req,
                                    const std::string& id);
Result<FhirResponse> AuditEventSearch(Engine& s, store::ReadTransaction& txn,
                                      const FhirRequest& req, const search::QueryParams& params,
                                      const std::string& compartment);
// Lists in resp what an answer shows (the stored versions it holds), for its audit record:
// cheaper than reading the body back (api/request_audit.cpp). Nothing when the trail is off.
Status ListShown(Engine& s, store::ReadTransaction& txn,
                 const std::vector<const store::StoredResource*>& shown, FhirResponse* resp);
// The audit record of a request and its response (api/request_audit.cpp).
audit::AuditRecord AuditRecordFor(Engine& s, const FhirRequest& req, const std::string& subtype,
                                  char action, const FhirResponse& resp);
// Handles one request inside txn (a transaction Bundle entry).
Result<FhirResponse> DispatchIn(Engine& s, Txn& txn, const FhirRequest& req);

// Re-indexing, as jobs of the job runner (api/job_runner.h, kind "reindex"): after a new
// SearchParameter, or when an administrator asks. One worker per process walks the resources
// of a job's types in small batches, each its own short write transaction, saving how far it
// got, so writers are never held up for long, a job's progress can be read and the job
// cancelled at any time, and a job whose process stopped resumes where it was in the next
// (api/reindex.cpp).
class Reindexer {
 public:
  // Jobs waiting beyond this are refused (429).
  static constexpr size_t kMaxQueued = 16;

  // Adds the "reindex" kind to the engine's job runner.
  explicit Reindexer(Engine& s);
  // Queues re-indexing the base types of a new param; returns the job id ("" when it could
  // not be queued: logged). A job for the same parameter that has not started yet is not
  // queued twice.
  std::string Start(const fhir::SearchParamDef& param);
  // Queues re-indexing `types` (every type when empty), an administrator's request.
  Result<std::string> Enqueue(const std::string& label, std::vector<std::string> types);
  // A queued job is dropped, a running one stops after its current batch; kNotFound for an
  // unknown id, kConflict for a finished job.
  Status Cancel(const std::string& id);
  // The last jobs, oldest first, with their state and progress, as a Parameters resource.
  Result<std::string> StatusJson();

 private:
  Result<std::string> Submit(const std::string& url, const std::vector<std::string>& types,
                             bool limit_queue);
  Status Run(JobContext& ctx);
  Engine& s_;
};

}  // namespace kangyun::api
