// Every regional service the platform serves (src/services/), made once per server process.
#pragma once

#include <memory>

#include "api/service.h"
#include "services/bulk_data/bulk_data_service.h"
#include "services/person_registry/person_registry_service.h"
#include "services/reminders/reminders_service.h"
#include "services/subscriptions/subscriptions_service.h"
#include "services/terminology/terminology_service.h"

namespace kangyun::services {

struct ServiceSet {
  ServiceSet();
  std::shared_ptr<PersonRegistryService> person_registry;
  std::shared_ptr<TerminologyService> terminology;
  std::shared_ptr<BulkDataService> bulk_data;
  std::shared_ptr<RemindersService> reminders;
  std::shared_ptr<SubscriptionsService> subscriptions;
  // In the order they register.
  api::ServiceList All() const;
};

}  // namespace kangyun::services
