// libFuzzer target: arbitrary request bodies (Bundles, resources, JSON Patches) through the
// whole FHIR API on a real SQLite store. No input may yield a 500 or a crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "api/fhir_api.h"
#include "base/env.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/fuzz/fuzz_definitions.h"

namespace {
kangyun::fuzzing::LoadedDefinitions g_loaded;
std::unique_ptr<kangyun::store::Store> g_store;
std::unique_ptr<kangyun::Clock> g_clock;
std::unique_ptr<kangyun::IdSource> g_ids;
std::unique_ptr<kangyun::api::FhirApi> g_api;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_loaded = kangyun::fuzzing::LoadDefinitionsOrDie();
  std::string path = "/tmp/kangyun-api-fuzz-" + std::to_string(getpid()) + ".db";
  auto store = kangyun::store::OpenSqliteStore(path);
  if (!store.ok()) std::abort();
  g_store = std::move(store).value();
  g_clock = kangyun::SystemClock();
  g_ids = kangyun::RandomIdSource();
  g_api = std::make_unique<kangyun::api::FhirApi>(*g_loaded.defs, *g_loaded.params, *g_store,
                                                  *g_clock, *g_ids);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 65536) return 0;
  kangyun::api::FhirRequest req;
  req.base_url = "http://fuzz/fhir";
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
