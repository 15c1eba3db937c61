// FHIR packages: the .tgz files in which implementation guides are published (packages.fhir.org,
// the npm registry), read so that a guide's conformance and terminology resources can be
// installed. Only the package's own folder is read (package/*.json): its examples, the other
// formats and the tooling files are not resources to install.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "json/value.h"

namespace kangyun::fhir {

struct PackageResource {
  std::string file;  // within the archive: "package/StructureDefinition-Patient-uv-ips.json"
  json::Value resource;
};

struct Package {
  std::string name, version;  // from package/package.json
  std::string fhir_version;   // the first of its fhirVersions ("4.0.1")
  std::vector<PackageResource> resources;
};

// kInvalid naming the file and what is wrong with it (not gzip, not tar, no package.json, a
// JSON file that does not parse).
Result<Package> ReadPackage(const std::string& path);

}  // namespace kangyun::fhir
