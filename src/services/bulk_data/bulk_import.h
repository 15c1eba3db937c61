// Bulk loading (kangyun load, later $import): resources keep their ids, are validated and
// indexed exactly as the REST API does, and are written in large transactions while other
// threads parse and index the next batch. A resource that exists gets a new version.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "api/engine.h"
#include "base/status.h"

namespace kangyun::services::bulk_data {

using api::Engine;
using api::FhirRequest;
using api::FhirResponse;

struct ImportOptions {
  int threads = 2;         // each parses and indexes a batch, then writes it
  int batch_size = 1000;   // resources per transaction
  size_t max_errors = 20;  // errors kept with their line; all are counted
};

struct ImportLine {
  std::string text;
  std::string source;  // file name, for errors
  int64_t number = 0;  // line number in source
};

// Where the lines come from. Called under a lock, from several threads in turn.
class ImportSource {
 public:
  virtual ~ImportSource() = default;
  // The next non-empty line; false at the end.
  virtual bool Next(ImportLine* line) = 0;
};

struct ImportError {
  std::string source;
  int64_t line = 0;
  std::string message;
};

struct ImportResult {
  int64_t resources = 0;  // written
  int64_t failed = 0;     // refused (invalid JSON or resource)
  // Whether the store took the bulk path (Store::BeginBulkLoad): on SQLite, search indexes set
  // aside and built at the end, several times faster than growing them row by row.
  bool bulk_path = false;
  std::vector<ImportError> errors;
};

// Called after each committed batch with the number of resources written so far.
using ImportProgress = std::function<void(int64_t written)>;

// Loads resources from `source`. The error is a store failure; refused lines are counted in
// the result.
Result<ImportResult> Import(Engine& s, ImportSource& source, const ImportOptions& options,
                            const ImportProgress& progress);

}  // namespace kangyun::services::bulk_data
