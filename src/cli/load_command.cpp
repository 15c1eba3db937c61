// kangyun load --db STORE DIR   loads Type.ndjson files through the bulk path
// kangyun load --url URL DIR          posts them to a server as transaction Bundles
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "base/log.h"
#include "cli/commands.h"
#include "cli/platform.h"
#include "cli/progress.h"
#include "http/client.h"
#include "json/json.h"

namespace kangyun::cli {
namespace {

namespace fs = std::filesystem;
using Seconds = std::chrono::duration<double>;

// The NDJSON files of a folder, in name order, line by line.
class NdjsonFolder : public services::bulk_data::ImportSource {
 public:
  explicit NdjsonFolder(const std::string& dir) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.is_regular_file() && entry.path().extension() == ".ndjson") {
        files_.push_back(entry.path());
        total_bytes_ += static_cast<int64_t>(entry.file_size(ec));
      }
    std::sort(files_.begin(), files_.end());
  }
  bool empty() const { return files_.empty(); }
  // The share of the files' bytes read so far.
  double Share() const {
    return total_bytes_ > 0 ? static_cast<double>(read_bytes_.load()) / total_bytes_ : 1;
  }

  bool Next(services::bulk_data::ImportLine* line) override {
    for (;;) {
      if (!in_.is_open()) {
        if (next_file_ >= files_.size()) return false;
        in_.open(files_[next_file_]);
        source_ = files_[next_file_].filename().string();
        ++next_file_;
        number_ = 0;
      }
      while (std::getline(in_, line->text)) {
        ++number_;
        read_bytes_ += static_cast<int64_t>(line->text.size()) + 1;
        if (line->text.find_first_not_of(" \t\r") == std::string::npos) continue;
        line->source = source_;
        line->number = number_;
        return true;
      }
      in_.close();
    }
  }

 private:
  std::vector<fs::path> files_;
  size_t next_file_ = 0;
  std::ifstream in_;
  std::string source_;
  int64_t number_ = 0;
  int64_t total_bytes_ = 0;
  std::atomic<int64_t> read_bytes_{0};
};

struct Timeline {
  std::vector<std::pair<double, int64_t>> points;  // (seconds, resources written)
  // Resources per second over the part of the load between two fractions of its resources.
  double Rate(double from, double to) const {
    if (points.empty()) return 0;
    int64_t total = points.back().second;
    auto at = [&](double fraction) {
      std::pair<double, int64_t> found{0.0, 0};
      for (const auto& p : points) {
        if (p.second > fraction * total) break;
        found = p;
      }
      return found;
    };
    auto a = at(from), b = to >= 1 ? points.back() : at(to);
    return b.first > a.first ? (b.second - a.second) / (b.first - a.first) : 0;
  }
};

void WriteStats(const std::string& path, const std::string& json) {
  if (path.empty()) return;
  std::ofstream out(path);
  out << json << "\n";
}

int LoadIntoStore(const std::string& db, const std::string& dir, const std::string& definitions,
                  const services::bulk_data::ImportOptions& options,
                  const std::string& stats_path) {
  NdjsonFolder folder(dir);
  if (folder.empty()) {
    std::fprintf(stderr, "kangyun load: no .ndjson files in %s\n", dir.c_str());
    return 1;
  }
  auto platform = OpenPlatform(db, definitions);
  if (!platform.ok()) {
    Log(LogLevel::kError, platform.status().message());
    return 1;
  }
  Timeline timeline;
  auto start = std::chrono::steady_clock::now();
  Progress progress("loading", "resources");
  auto result = (*platform)->services.bulk_data->Import(folder, options, [&](int64_t written) {
    double at = Seconds(std::chrono::steady_clock::now() - start).count();
    timeline.points.emplace_back(at, written);
    progress.Update(written, folder.Share());
  });
  progress.Finish();
  double seconds = Seconds(std::chrono::steady_clock::now() - start).count();
  (*platform)->api->Shutdown();
  if (!result.ok()) {
    Log(LogLevel::kError, "load stopped: " + result.status().message());
    return 1;
  }
  for (const services::bulk_data::ImportError& e : result->errors)
    std::fprintf(stderr, "%s:%lld: %s\n", e.source.c_str(), static_cast<long long>(e.line),
                 e.message.c_str());
  double rate = result->resources / std::max(seconds, 1e-9);
  double first = timeline.Rate(0, 0.1), last = timeline.Rate(0.9, 1);
  std::fprintf(
      stderr,
      "loaded %lld resources in %.1f s: %.0f resources/s (first tenth %.0f/s, last "
      "tenth %.0f/s); %lld refused; %s\n",
      static_cast<long long>(result->resources), seconds, rate, first, last,
      static_cast<long long>(result->failed),
      result->bulk_path ? "bulk path" : "indexed row by row, since the store held many resources");
  char json[512];
  std::snprintf(json, sizeof json,
                "{\"resources\":%lld,\"refused\":%lld,\"seconds\":%.3f,\"perSecond\":%.1f,"
                "\"firstTenthPerSecond\":%.1f,\"lastTenthPerSecond\":%.1f}",
                static_cast<long long>(result->resources), static_cast<long long>(result->failed),
                seconds, rate, first, last);
  WriteStats(stats_path, json);
  return result->failed == 0 ? 0 : 1;
}

int LoadThroughApi(const std::string& url_text, const std::string& dir, int connections,
                   int bundle_size, const std::string& stats_path) {
  http::Url url;
  if (!http::ParseHttpUrl(url_text, &url)) {
    std::fprintf(stderr, "kangyun load: --url must be http://HOST:PORT/PATH\n");
    return 2;
  }
  NdjsonFolder folder(dir);
  if (folder.empty()) {
    std::fprintf(stderr, "kangyun load: no .ndjson files in %s\n", dir.c_str());
    return 1;
  }
  std::mutex mu;
  std::atomic<int64_t> loaded{0}, refused{0};
  std::string first_error;
  // Each connection takes the next bundle_size lines, wraps them as PUT entries of a
  // transaction Bundle and posts it.
  auto next_bundle = [&](std::string* bundle, int* entries) {
    std::lock_guard lock(mu);
    bundle->assign("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[");
    *entries = 0;
    services::bulk_data::ImportLine line;
    while (*entries < bundle_size && folder.Next(&line)) {
      auto resource = json::Parse(line.text);
      std::string type = resource.ok() ? std::string(resource->GetString("resourceType")) : "";
      std::string id = resource.ok() ? std::string(resource->GetString("id")) : "";
      if (type.empty() || id.empty()) {
        ++refused;
        if (first_error.empty())
          first_error = line.source + ":" + std::to_string(line.number) +
                        ": not a resource with resourceType and id";
        continue;
      }
      if (*entries > 0) bundle->push_back(',');
      bundle->append("{\"resource\":").append(line.text);
      bundle->append(",\"request\":{\"method\":\"PUT\",\"url\":\"" + type + "/" + id + "\"}}");
      ++*entries;
    }
    bundle->append("]}");
    return *entries > 0;
  };
  auto start = std::chrono::steady_clock::now();
  Progress progress("posting", "resources");
  auto work = [&] {
    std::string bundle;
    int entries = 0;
    while (next_bundle(&bundle, &entries)) {
      http::HttpResult r;
      for (int attempt = 0; attempt < 5; ++attempt) {
        r = http::HttpCall(url.host, url.port, "POST", url.path.empty() ? "/" : url.path,
                           {{"Content-Type", "application/fhir+json"}}, bundle, 300);
        if (r.status != 0 && r.status != 503) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
      }
      if (r.status == 200) {
        loaded += entries;
        progress.Update(loaded, folder.Share());
        continue;
      }
      refused += entries;
      std::lock_guard lock(mu);
      if (first_error.empty())
        first_error = "HTTP " + std::to_string(r.status) + " " + r.error + r.body.substr(0, 500);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, connections); ++i) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  progress.Finish();
  double seconds = Seconds(std::chrono::steady_clock::now() - start).count();
  if (!first_error.empty()) std::fprintf(stderr, "first error: %s\n", first_error.c_str());
  double rate = loaded / std::max(seconds, 1e-9);
  std::fprintf(stderr,
               "posted %lld resources in %.1f s as transaction Bundles of %d over %d "
               "connections: %.0f resources/s; %lld refused\n",
               static_cast<long long>(loaded.load()), seconds, bundle_size, connections, rate,
               static_cast<long long>(refused.load()));
  char json[256];
  std::snprintf(json, sizeof json,
                "{\"resources\":%lld,\"refused\":%lld,\"seconds\":%.3f,\"perSecond\":%.1f}",
                static_cast<long long>(loaded.load()), static_cast<long long>(refused.load()),
                seconds, rate);
  WriteStats(stats_path, json);
  return refused == 0 ? 0 : 1;
}

}  // namespace

int LoadCommand(const Args& args) {
  std::string db, url, dir, definitions, stats;
  services::bulk_data::ImportOptions options;
  int connections = 4, bundle_size = 100;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&] { return OptionValue("load", args, &i); };
    if (a == "--db")
      db = value();
    else if (a == "--url")
      url = value();
    else if (a == "--threads")
      options.threads = std::max(1, std::atoi(value().c_str()));
    else if (a == "--batch")
      options.batch_size = std::max(1, std::atoi(value().c_str()));
    else if (a == "--connections")
      connections = std::max(1, std::atoi(value().c_str()));
    else if (a == "--bundle-size")
      bundle_size = std::max(1, std::atoi(value().c_str()));
    else if (a == "--definitions")
      definitions = value();
    else if (a == "--stats")
      stats = value();
    else if (!a.empty() && a[0] != '-' && dir.empty())
      dir = a;
    else {
      std::fprintf(stderr, "kangyun load: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (dir.empty() || db.empty() == url.empty()) {
    std::fprintf(stderr,
                 "usage: kangyun load (--db sqlite:PATH|postgresql://URL | --url "
                 "http://HOST:PORT/fhir) DIR\n");
    return 2;
  }
  if (!db.empty()) return LoadIntoStore(db, dir, definitions, options, stats);
  return LoadThroughApi(url, dir, connections, bundle_size, stats);
}

}  // namespace kangyun::cli
