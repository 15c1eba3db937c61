#include "http/static_files.h"

#include <filesystem>

#include "base/files.h"
#include "base/strings.h"

namespace kangyun::http {
namespace {

std::string ContentType(std::string_view name) {
  static const std::vector<std::pair<std::string_view, std::string_view>> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes)
    if (EndsWith(name, ext)) return std::string(type);
  return "application/octet-stream";
}

// The portal draws everything from its own origin; Element Plus sets inline styles.
constexpr const char* kPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

}  // namespace

Result<std::unique_ptr<StaticFiles>> StaticFiles::Load(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(root) / "index.html", ec))
    return NotFound("no built portal at " + root + " (index.html is missing)");
  auto files = std::unique_ptr<StaticFiles>(new StaticFiles());
  for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string name = "/" + fs::relative(entry.path(), root).generic_string();
    bool gz = EndsWith(name, ".gz");
    if (gz) name.resize(name.size() - 3);
    std::optional<std::string> bytes = ReadFileBytes(entry.path().string());
    if (!bytes) return Internal("cannot read " + entry.path().string());
    File& f = files->files_[name];
    (gz ? f.gzip : f.body) = std::move(*bytes);
    if (!gz) f.present = true;
    f.content_type = ContentType(name);
  }
  if (ec) return Internal("cannot list " + root + ": " + ec.message());
  // A compressed copy without its original is not served.
  std::erase_if(files->files_, [](const auto& kv) { return !kv.second.present; });
  return files;
}

StaticResponse StaticFiles::Answer(std::string_view name, const File& f, bool accepts_gzip) const {
  StaticResponse r;
  r.headers.emplace_back("Content-Type", f.content_type);
  r.headers.emplace_back("Content-Security-Policy", kPolicy);
  // Built assets carry a hash of their content in their name; index.html names them.
  bool hashed = StartsWith(name, "/assets/");
  r.headers.emplace_back("Cache-Control",
                         hashed ? "public, max-age=31536000, immutable" : "no-cache");
  if (!f.gzip.empty()) {
    r.headers.emplace_back("Vary", "Accept-Encoding");
    if (accepts_gzip) {
      r.headers.emplace_back("Content-Encoding", "gzip");
      r.body = f.gzip;
      return r;
    }
  }
  r.body = f.body;
  return r;
}

std::optional<StaticResponse> StaticFiles::Get(std::string_view path, bool accepts_gzip) const {
  if (path.empty() || path == "/") path = "/index.html";
  if (auto it = files_.find(path); it != files_.end())
    return Answer(it->first, it->second, accepts_gzip);
  std::string_view last = path.substr(path.rfind('/') + 1);
  if (last.find('.') != std::string_view::npos) return std::nullopt;
  auto index = files_.find(std::string_view("/index.html"));
  return Answer(index->first, index->second, accepts_gzip);
}

}  // namespace kangyun::http
