// Test support: a Bulk Data client that kicks off an export, polls it to the end and
// downloads its files, as a FHIR bulk client would.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "json/json.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {

struct ExportRun {
  HttpResult kick_off;      // the 202 (or the error)
  std::string status_path;  // path of the Content-Location, from /fhir on
  HttpResult final;         // the status response that ended polling (200 or an error)
  json::Value manifest = json::Value::Object();
  std::vector<std::string> progress;  // X-Progress of each 202 while polling
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Kicks off GET `path` (e.g. "/fhir/$export?_type=Patient") and polls every 100 ms until the
// status is no longer 202, at most timeout_seconds. `auth` goes with every request (a bearer
// token).
ExportRun RunExport(int port, const std::string& path, int timeout_seconds = 120,
                    const Headers& auth = {});
// Another port polls the same status path (several servers on one database).
ExportRun PollExport(int port, ExportRun run, int timeout_seconds = 120, const Headers& auth = {});

// The output files of a manifest, downloaded from `port`: type -> NDJSON lines.
std::map<std::string, std::vector<std::string>> DownloadOutputs(int port,
                                                                const json::Value& manifest,
                                                                const Headers& auth = {});

// The path of a URL from /fhir on ("http://h:1/fhir/x" -> "/fhir/x").
std::string PathFromFhir(const std::string& url);

}  // namespace kangyun::testing
