// OperationDefinition resources for the operations the platform defines, built from their
// registrations (api/service.h) so that what is documented is what is routed.
#pragma once

#include <string>
#include <vector>

#include "api/service.h"
#include "json/value.h"

namespace kangyun::api {

struct OperationParameter {
  std::string name;
  bool out = false;  // an output ("out") rather than an input
  int min = 0;
  std::string max = "1";
  std::string type;  // "Reference", "Parameters", "string", ...
  std::string documentation;
};

// op.definition is its canonical URL; its id is the URL's last segment.
json::Value OperationDefinitionFor(const OperationSpec& op, const std::string& title,
                                   const std::string& description,
                                   const std::vector<OperationParameter>& parameters);

}  // namespace kangyun::api
