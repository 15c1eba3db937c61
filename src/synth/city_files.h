// Where a generated city goes: one NDJSON file per resource type (the FHIR Bulk Data
// format), optionally transaction Bundles of PUT entries, and the ground truth of which
// Patient records are the same person. Written as generated; nothing is held.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kangyun::synth {

class CityFiles {
 public:
  // bundle_size 0 writes no Bundles.
  // only_types: the resource types to write (empty: all).
  CityFiles(std::string dir, int bundle_size, std::vector<std::string> only_types = {});
  ~CityFiles();
  CityFiles(const CityFiles&) = delete;
  CityFiles& operator=(const CityFiles&) = delete;

  Status Open();
  // One resource: its JSON text on one line of Type.ndjson (and an entry of a Bundle).
  void Write(std::string_view type, std::string_view id, std::string_view json);
  // One line of ground-truth.csv: patient_id,person,errors. `person` labels a person: the
  // resident's number, or the twin's own id.
  void WriteGroundTruth(std::string_view patient_id, std::string_view person,
                        std::string_view errors);
  // Flushes and closes everything; the first write error, if any.
  Status Close();

  const std::map<std::string, int64_t, std::less<>>& counts() const { return counts_; }

 private:
  FILE* FileFor(std::string_view type);
  void Put(FILE* f, std::string_view text);
  void FlushBundle();

  std::string dir_;
  int bundle_size_;
  std::map<std::string, FILE*, std::less<>> files_;
  std::map<std::string, int64_t, std::less<>> counts_;
  FILE* ground_truth_ = nullptr;
  std::vector<std::string> only_types_;
  std::string bundle_;
  int bundle_entries_ = 0;
  int64_t bundles_written_ = 0;
  Status error_;
};

}  // namespace kangyun::synth
