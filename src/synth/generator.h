// `kangyun generate`: a whole synthetic city, deterministic for a seed, streamed to files.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace kangyun::synth {

struct CityOptions {
  int64_t residents = 1000;
  uint64_t seed = 1;
  std::string out_dir;
  int bundle_size = 0;  // entries per transaction Bundle; 0 writes none
  double duplicate_share = 0.05;
  // Resource types to write ("" or empty: all). Only Patients, for instance, is what the person
  // registry's evaluation reads (`kangyun mpi-eval`); references then point outside the files.
  std::vector<std::string> only_types;
  // The city's date: care happens in the year before it. Fixed, so that output depends on
  // nothing but the options.
  std::string as_of = "2026-07-01";
  // Called now and then with the residents written so far (for a command's progress).
  std::function<void(int64_t residents_done)> progress;
};

struct CitySummary {
  std::map<std::string, int64_t, std::less<>> resources;  // per type
  int64_t total = 0;
  std::string median_resident, largest_resident;  // Patient ids, by number of resources
};

// Writes DIR/Type.ndjson for every type, DIR/ground-truth.csv, DIR/summary.json and, with a
// bundle size, DIR/bundles/NNNNNN.json.
Result<CitySummary> GenerateCity(const CityOptions& options);

}  // namespace kangyun::synth
