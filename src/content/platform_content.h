// The resources the platform ships and serves from every store: the NamingSystems of the
// identifiers it uses, and the CodeSystems, ValueSets and ConceptMaps of its codes (Chinese
// national code lists, its own institution codes, and the ICD-10 and LOINC codes the city
// uses). `kangyun serve` stores them at start-up (api/platform_content.cpp), so they are read
// and searched like any resource, and the terminology service answers from them.
#pragma once

#include <vector>

#include "json/value.h"

namespace kangyun::content {

// Every platform resource, each with a fixed id.
std::vector<json::Value> PlatformResources();

std::vector<json::Value> NamingSystems();
std::vector<json::Value> CodeSystems();
std::vector<json::Value> ValueSets();
std::vector<json::Value> ConceptMaps();

// The NamingSystem of one institution's medical record numbers (its system is
// cn::kMrnSystemPrefix + the Organization's id).
json::Value MrnNamingSystem(const std::string& organization_id, const std::string& name);

}  // namespace kangyun::content
