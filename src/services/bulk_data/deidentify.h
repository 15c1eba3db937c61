// De-identification of resources for regulators' exports (docs/security.md): direct
// identifiers removed, dates of birth cut to the year, addresses to their district, free text
// dropped, and every resource id (and every local reference to one) replaced by a pseudonym
// keyed per export, so that records of one resident still link within one export but not to
// the platform's ids nor across exports. Internal to services/bulk_data/.
#pragma once

#include <string>

#include "json/value.h"

namespace kangyun::services::bulk_data {

// Rewrites resource in place. key: the export's secret pseudonym key.
void Deidentify(json::Value* resource, const std::string& key);

}  // namespace kangyun::services::bulk_data
