// What validation costs on the bulk path: the city's resources validated structurally, and
// their invariants evaluated, each timed alone in CPU time (so that what else runs on the
// machine does not count), as resources a second of one core.
//   kangyun-validation-bench DEFINITIONS_DIR CITY_DIR  ->  one JSON line
#include <time.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fhir/definitions.h"
#include "fhir/invariants.h"
#include "fhir/validator.h"
#include "json/json.h"

namespace {

double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kangyun;
  if (argc != 3) {
    std::fprintf(stderr, "usage: kangyun-validation-bench DEFINITIONS_DIR CITY_DIR\n");
    return 2;
  }
  auto defs = fhir::Definitions::Load(argv[1]);
  if (!defs.ok()) {
    std::fprintf(stderr, "%s\n", defs.status().message().c_str());
    return 1;
  }
  std::vector<json::Value> resources;
  for (const auto& entry : std::filesystem::directory_iterator(argv[2])) {
    if (entry.path().extension() != ".ndjson") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      auto v = json::Parse(line);
      if (v.ok()) resources.push_back(std::move(*v));
    }
  }
  fhir::Validator validator(**defs);
  size_t refused = 0, failed = 0;
  double t0 = CpuSeconds();
  for (const json::Value& r : resources)
    if (!validator.ValidateStructure(r).ok()) ++refused;
  double t1 = CpuSeconds();
  for (const json::Value& r : resources)
    if (!fhir::FailedInvariants(**defs, r, false).empty()) ++failed;
  double t2 = CpuSeconds();
  double n = static_cast<double>(resources.size());
  std::printf(
      "{\"resources\":%zu,\"structurePerSecond\":%.0f,\"invariantsPerSecond\":%.0f,"
      "\"refused\":%zu,\"failedInvariants\":%zu}\n",
      resources.size(), n / (t1 - t0), n / (t2 - t1), refused, failed);
  return 0;
}
