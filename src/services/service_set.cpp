#include "services/service_set.h"

namespace kangyun::services {

ServiceSet::ServiceSet()
    : person_registry(std::make_shared<PersonRegistryService>()),
      terminology(std::make_shared<TerminologyService>()),
      bulk_data(std::make_shared<BulkDataService>()),
      reminders(std::make_shared<RemindersService>()),
      subscriptions(std::make_shared<SubscriptionsService>()) {}

api::ServiceList ServiceSet::All() const {
  return {person_registry, terminology, bulk_data, reminders, subscriptions};
}

}  // namespace kangyun::services
