// libFuzzer target: arbitrary request bodies (Bundles, resources, JSON Patches), and searches
// composed of chains, includes and _has from the input, through the whole FHIR API on a real
// SQLite store holding a small city, as each role. No input may yield a 500 or a crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "api/fhir_api.h"
#include "base/env.h"
#include "search/search_request.h"
#include "services/service_set.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/fuzz/fuzz_definitions.h"

namespace {
kangyun::fuzzing::LoadedDefinitions g_loaded;
std::unique_ptr<kangyun::store::Store> g_store;
std::unique_ptr<kangyun::Clock> g_clock;
std::unique_ptr<kangyun::IdSource> g_ids;
kangyun::services::ServiceSet g_services;
std::unique_ptr<kangyun::api::FhirApi> g_api;

// Two hospitals, residents reached through each kind of grant, so that the access rules have
// something to restrict.
constexpr const char* kCity = R"({"resourceType":"Bundle","type":"transaction","entry":[
 {"request":{"method":"PUT","url":"Organization/h1"},"resource":{"resourceType":"Organization","id":"h1","name":"A"}},
 {"request":{"method":"PUT","url":"Organization/h2"},"resource":{"resourceType":"Organization","id":"h2","name":"B","partOf":{"reference":"Organization/h1"}}},
 {"request":{"method":"PUT","url":"Practitioner/d1"},"resource":{"resourceType":"Practitioner","id":"d1","name":[{"family":"Huang"}]}},
 {"request":{"method":"PUT","url":"Patient/p1"},"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Huang"}],"managingOrganization":{"reference":"Organization/h1"},"generalPractitioner":[{"reference":"Practitioner/d1"}]}},
 {"request":{"method":"PUT","url":"Patient/p2"},"resource":{"resourceType":"Patient","id":"p2","name":[{"family":"Li"}]}},
 {"request":{"method":"PUT","url":"Encounter/e1"},"resource":{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p1"},"serviceProvider":{"reference":"Organization/h1"}}},
 {"request":{"method":"PUT","url":"Encounter/e2"},"resource":{"resourceType":"Encounter","id":"e2","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p2"},"serviceProvider":{"reference":"Organization/h2"},"partOf":{"reference":"Encounter/e1"}}},
 {"request":{"method":"PUT","url":"Contract/c2"},"resource":{"resourceType":"Contract","id":"c2","status":"executed","subject":[{"reference":"Patient/p2"}],"authority":[{"reference":"Organization/h2"}]}},
 {"request":{"method":"PUT","url":"Observation/o1"},"resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e1"},"performer":[{"reference":"Practitioner/d1"}],"hasMember":[{"reference":"Observation/o2"}]}},
 {"request":{"method":"PUT","url":"Observation/o2"},"resource":{"resourceType":"Observation","id":"o2","status":"final","code":{"text":"y"},"subject":{"reference":"Patient/p2"},"encounter":{"reference":"Encounter/e2"},"derivedFrom":[{"reference":"Observation/o1"}]}},
 {"request":{"method":"PUT","url":"Consent/k2"},"resource":{"resourceType":"Consent","policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},"id":"k2","status":"active","scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},"category":[{"text":"x"}],"patient":{"reference":"Patient/p2"},"provision":{"type":"permit","actor":[{"role":{"text":"r"},"reference":{"reference":"Organization/h1"}}]}}}
]})";

std::shared_ptr<const kangyun::auth::Principal> As(kangyun::auth::Role role) {
  auto p = std::make_shared<kangyun::auth::Principal>();
  p->subject = "user/fuzz";
  p->role = role;
  p->organization = "h1";
  p->patient = "p1";
  const char* scopes = role == kangyun::auth::Role::kResident    ? "patient/*.rs"
                       : role == kangyun::auth::Role::kRegulator ? "user/*.s user/AuditEvent.rs"
                                                                 : "user/*.cruds";
  p->scopes = kangyun::auth::ParseScopes(scopes).value();
  return p;
}

// Every role but the administrator's, indexed by a byte of the input; null: no authentication.
const std::vector<std::shared_ptr<const kangyun::auth::Principal>>& Principals() {
  using kangyun::auth::Role;
  static const auto kAll =
      std::vector<std::shared_ptr<const kangyun::auth::Principal>>{nullptr,
                                                                   As(Role::kClinician),
                                                                   As(Role::kResident),
                                                                   As(Role::kFamilyDoctor),
                                                                   As(Role::kElderCare),
                                                                   As(Role::kInsurer),
                                                                   As(Role::kRegulator),
                                                                   As(Role::kAdmin)};
  return kAll;
}

// Reads the input a byte at a time; zeros once it runs out.
struct Bytes {
  const uint8_t* at;
  const uint8_t* end;
  uint8_t Next() { return at < end ? *at++ : 0; }
  template <size_t N>
  const char* Pick(const char* const (&list)[N]) {
    return list[Next() % N];
  }
};

constexpr const char* kTypes[] = {"Patient",        "Observation",  "Encounter",    "Contract",
                                  "Consent",        "Organization", "Practitioner", "EpisodeOfCare",
                                  "ServiceRequest", "Condition",    "AuditEvent"};
constexpr const char* kParams[] = {"subject",
                                   "patient",
                                   "encounter",
                                   "service-provider",
                                   "organization",
                                   "authority",
                                   "actor",
                                   "performer",
                                   "name",
                                   "code",
                                   "status",
                                   "_id",
                                   "general-practitioner",
                                   "derived-from",
                                   "has-member",
                                   "part-of",
                                   "family",
                                   "entity"};
constexpr const char* kValues[] = {"Huang", "p1", "Patient/p2", "Organization/h1", "final",
                                   "x",     "h2", "",           "Organization/h2", "e1"};

// A search URL's query of chains, includes, reverse chains and _has, nested a few levels.
std::string Query(Bytes& in) {
  std::string q;
  int terms = 1 + in.Next() % 5;
  for (int t = 0; t < terms; ++t) {
    if (!q.empty()) q += "&";
    switch (in.Next() % 6) {
      case 0: {  // a chain
        q += in.Pick(kParams);
        for (int depth = in.Next() % 4; depth > 0; --depth) {
          q += ".";
          q += in.Pick(kParams);
        }
        q += std::string("=") + in.Pick(kValues);
        break;
      }
      case 1:
        q += std::string(in.Next() & 1 ? "_include" : "_include:iterate") + "=" + in.Pick(kTypes) +
             ":" + in.Pick(kParams);
        break;
      case 2:
        q += std::string(in.Next() & 1 ? "_revinclude" : "_revinclude:iterate") + "=" +
             in.Pick(kTypes) + ":" + in.Pick(kParams);
        break;
      case 3: {  // _has, nested
        for (int depth = 1 + in.Next() % 3; depth > 0; --depth)
          q += std::string("_has:") + in.Pick(kTypes) + ":" + in.Pick(kParams) + ":";
        q += std::string(in.Pick(kParams)) + "=" + in.Pick(kValues);
        break;
      }
      case 4:
        q += in.Next() & 1 ? "_summary=count" : "_count=" + std::to_string(in.Next() % 20);
        break;
      default: {  // raw bytes
        int n = in.Next() % 16;
        for (int k = 0; k < n; ++k) q += static_cast<char>(in.Next());
      }
    }
  }
  return q;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_loaded = kangyun::fuzzing::LoadDefinitionsOrDie();
  std::string path = "/tmp/kangyun-api-fuzz-" + std::to_string(getpid()) + ".db";
  auto store = kangyun::store::OpenSqliteStore(path);
  if (!store.ok()) std::abort();
  g_store = std::move(store).value();
  g_clock = kangyun::SystemClock();
  g_ids = kangyun::RandomIdSource();
  g_api =
      std::make_unique<kangyun::api::FhirApi>(*g_loaded.defs, *g_loaded.params, *g_store, *g_clock,
                                              *g_ids, kangyun::api::ApiConfig{}, g_services.All());
  kangyun::api::FhirRequest city;
  city.method = "POST";
  city.base_url = "http://fuzz/fhir";
  city.headers["content-type"] = "application/fhir+json";
  city.body = kCity;
  if (g_api->Handle(city).status != 200) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 65536) return 0;
  kangyun::api::FhirRequest req;
  req.base_url = "http://fuzz/fhir";
  if (data[0] & 8) {
    // A search as one of the roles.
    Bytes in{data + 1, data + size};
    req.principal = Principals()[in.Next() % Principals().size()];
    req.method = "GET";
    req.path = in.Pick(kTypes);
    req.raw_query = Query(in);
    req.query = kangyun::search::ParseQueryString(req.raw_query);
    kangyun::api::FhirResponse resp = g_api->Handle(req);
    if (resp.status >= 500) std::abort();
    return 0;
  }
  req.headers["content-type"] = "application/fhir+json";
  req.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      req.method = "POST";
      req.path = "";
      break;
    case 1:
      req.method = "POST";
      req.path = "Patient";
      break;
    case 2:
      req.method = "PUT";
      req.path = "Observation/fuzz";
      break;
    default:
      req.method = "PATCH";
      req.path = "Patient/fuzz";
      req.headers["content-type"] = "application/json-patch+json";
      break;
  }
  // Half the inputs come from a clinician of one hospital, so that the access rules (write
  // checks, consent and label conditions) run on whatever the fuzzer writes.
  if (data[0] & 4) {
    static const auto kClinician = [] {
      auto p = std::make_shared<kangyun::auth::Principal>();
      p->subject = "user/fuzz";
      p->role = kangyun::auth::Role::kClinician;
      p->organization = "fuzz-hospital";
      p->scopes = kangyun::auth::ParseScopes("user/*.cruds").value();
      return std::shared_ptr<const kangyun::auth::Principal>(p);
    }();
    req.principal = kClinician;
  }
  kangyun::api::FhirResponse resp = g_api->Handle(req);
  if (resp.status >= 500) std::abort();
  return 0;
}
