// The FHIR API in the test's own process, on a fresh embedded store in a folder of its own:
// for unit tests of what the engine does with what is registered on it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "api/fhir_api.h"
#include "search/search_request.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/unit/test_definitions.h"

namespace kangyun::testing {

class InProcessApi {
 public:
  // `clock`: null for the system's.
  InProcessApi(const std::string& name, api::ServiceList services = {},
               std::unique_ptr<Clock> clock = nullptr)
      : dir_(std::filesystem::temp_directory_path() /
             ("ky-" + name + "-" + std::to_string(getpid()))),
        clock_(clock ? std::move(clock) : SystemClock()) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = store::OpenSqliteStore((dir_ / "k.db").string());
    if (!store.ok()) {
      ADD_FAILURE() << store.status().message();
      std::abort();
    }
    store_ = std::move(store).value();
    params_ = NewRegistry();
    api::ApiConfig config;
    config.export_dir = (dir_ / "exports").string();
    api_ = std::make_unique<api::FhirApi>(Defs(), *params_, *store_, *clock_, *ids_, config,
                                          std::move(services));
  }
  ~InProcessApi() {
    api_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  api::FhirApi& api() { return *api_; }
  store::Store& store() { return *store_; }
  Clock& clock() { return *clock_; }

  // `target` below the base, with its query: "Patient?name=x".
  api::FhirResponse Call(const std::string& method, const std::string& target,
                         const std::string& body = "") {
    api::FhirRequest req;
    req.method = method;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) {
      req.raw_query = target.substr(q + 1);
      req.query = search::ParseQueryString(req.raw_query);
    }
    req.body = body;
    if (!body.empty()) req.headers["content-type"] = "application/fhir+json";
    req.base_url = "http://in-process/fhir";
    return api_->Handle(req);
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<fhir::SearchParameterRegistry> params_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<IdSource> ids_ = RandomIdSource();
  std::unique_ptr<api::FhirApi> api_;
};

}  // namespace kangyun::testing
