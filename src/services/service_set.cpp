#include "services/service_set.h"

namespace kangyun::services {

ServiceSet::ServiceSet()
    : person_registry(std::make_shared<PersonRegistryService>()),
      terminology(std::make_shared<TerminologyService>()) {}

api::ServiceList ServiceSet::All() const { return {person_registry, terminology}; }

}  // namespace kangyun::services
