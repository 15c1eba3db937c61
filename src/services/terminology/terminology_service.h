// The terminology service (http://hl7.org/fhir/R4/terminology-service.html): $lookup,
// $validate-code, $expand and $translate over the code systems, value sets and maps the
// engine knows (R4's, the platform's and stored ones), for anyone who may search those types.
#pragma once

#include "api/service.h"

namespace kangyun::services {

class TerminologyService : public api::Service {
 public:
  std::string_view name() const override { return "terminology"; }
  void Register(api::ServiceRegistry& registry) override;
};

}  // namespace kangyun::services
