#include "tests/support/bulk_export_client.h"

#include <chrono>
#include <sstream>
#include <thread>

namespace kangyun::testing {

std::string PathFromFhir(const std::string& url) {
  size_t at = url.find("/fhir");
  return at == std::string::npos ? url : url.substr(at);
}

namespace {
Headers With(Headers base, const Headers& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}
}  // namespace

ExportRun PollExport(int port, ExportRun run, int timeout_seconds, const Headers& auth) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    HttpResult r = HttpCall("127.0.0.1", port, "GET", run.status_path, auth, "");
    if (r.status != 202) {
      run.final = r;
      if (r.status == 200) {
        auto m = json::Parse(r.body);
        if (m.ok()) run.manifest = std::move(m).value();
      }
      return run;
    }
    run.progress.push_back(r.headers["x-progress"]);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  run.final.error = "the export did not finish in time";
  return run;
}

ExportRun RunExport(int port, const std::string& path, int timeout_seconds, const Headers& auth) {
  ExportRun run;
  run.kick_off =
      HttpCall("127.0.0.1", port, "GET", path,
               With({{"Accept", "application/fhir+json"}, {"Prefer", "respond-async"}}, auth), "");
  if (run.kick_off.status != 202) return run;
  run.status_path = PathFromFhir(run.kick_off.headers["content-location"]);
  return PollExport(port, std::move(run), timeout_seconds, auth);
}

std::map<std::string, std::vector<std::string>> DownloadOutputs(int port,
                                                                const json::Value& manifest,
                                                                const Headers& auth) {
  std::map<std::string, std::vector<std::string>> files;
  const json::Value* output = manifest.Find("output");
  if (!output) return files;
  for (const json::Value& o : output->items()) {
    HttpResult r = HttpCall("127.0.0.1", port, "GET", PathFromFhir(std::string(o.GetString("url"))),
                            With({{"Accept", "application/fhir+ndjson"}}, auth), "");
    auto& lines = files[std::string(o.GetString("type"))];
    std::istringstream in(r.body);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(line);
  }
  return files;
}

}  // namespace kangyun::testing
