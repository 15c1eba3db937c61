#include "services/service_set.h"

namespace kangyun::services {

ServiceSet::ServiceSet()
    : person_registry(std::make_shared<PersonRegistryService>()),
      terminology(std::make_shared<TerminologyService>()),
      bulk_data(std::make_shared<BulkDataService>()) {}

api::ServiceList ServiceSet::All() const { return {person_registry, terminology, bulk_data}; }

}  // namespace kangyun::services
