// The FHIR REST API (http://hl7.org/fhir/R4/http.html) over a Store: one entry point that
// answers a FhirRequest. Thread-safe: many request threads call Handle() at once.
#pragma once

#include <map>
#include <memory>

#include "api/fhir_request.h"
#include "api/message_stream.h"
#include "api/service.h"
#include "audit/audit_record.h"
#include "base/env.h"
#include "base/status.h"
#include "fhir/definitions.h"
#include "fhir/search_parameters.h"
#include "store/store.h"

namespace kangyun::api {

struct ApiConfig {
  int default_count = 20;
  int max_count = 1000;
  // Matches kept for paging one search; a larger result is cut here (and says so).
  int64_t max_search_results = 10000;
  int64_t result_set_ttl_micros = int64_t{3600} * 1000000;
  // The smallest count a regulator is told (_summary=count): a count from 1 to one below it is
  // withheld and the Bundle says so, since a narrow count can single out a person (small-cell
  // suppression, as statistical offices publish tables; docs/security.md).
  int64_t regulator_min_count = 5;
  // Where bulk export jobs write their files (a folder per job). Processes that serve one
  // database share it.
  std::string export_dir;
  // Every request is recorded in the audit trail (audit/audit_trail.h); off only where no
  // person is served (fuzzing).
  bool audit = true;
  // Where `kangyun audit archive` put the trail's archived months: a resident's records in
  // them are found by AuditEvent searches that name the resident ("" : not searched).
  std::string audit_archive_dir;
  // The authorization server's origin when requests need tokens ("" when open): the
  // CapabilityStatement names its endpoints (SMART's oauth-uris).
  std::string oauth_issuer;
  // The profiles every resource of a type must conform to (type -> canonical URLs), as the
  // administrator requires them (serve --require-profile); api/profiles.cpp.
  std::map<std::string, std::vector<std::string>> required_profiles;
};

class Engine;

class FhirApi {
 public:
  // `services`: the regional services the platform serves (src/services/), each of which
  // registers what it adds on the seam (api/service.h).
  FhirApi(const fhir::Definitions& defs, fhir::SearchParameterRegistry& params, store::Store& store,
          Clock& clock, IdSource& ids, ApiConfig config = {}, ServiceList services = {});
  ~FhirApi();

  FhirResponse Handle(const FhirRequest& request);
  // A client asks to keep a message stream open at `path` (below the FHIR base, such as
  // "$subscription-ws"): the handler of the service that registered it, or null when none did.
  std::shared_ptr<StreamHandler> OpenStream(const std::string& path,
                                            std::shared_ptr<MessageStream> stream);
  bool ServesStream(const std::string& path) const;
  // Appends a record to the audit trail (authentication events, refused tokens); returns once
  // it is durable.
  Status Audit(audit::AuditRecord record);
  // Tells the CapabilityStatement that requests need tokens from issuer (before serving).
  void SetAuthorizationServer(const std::string& issuer);

  // Registers the SearchParameter resources stored in the database (run once at start-up).
  Status LoadStoredSearchParameters();
  // Reads the profiles stored in the database (run once at start-up; api/profiles.cpp).
  Status LoadStoredProfiles();
  // Stores the platform's own resources (NamingSystems, code systems) and loads the stored
  // code systems into the terminology service (run once at start-up).
  Status InstallPlatformContent();
  // Starts running background jobs (api/job_runner.h: re-indexing, the services' jobs),
  // those queued before included: a serving process does, a loader does not.
  void StartBackgroundJobs();
  // Stops background jobs (a running one is queued again for the next process) and waits.
  void Shutdown();

 private:
  std::unique_ptr<Engine> engine_;
};

}  // namespace kangyun::api
