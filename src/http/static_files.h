// The web portal's built files (portal/dist), served at / beside the APIs. Read into memory
// once at start-up: a few hundred kilobytes, answered without touching the disk, and no path
// from a request ever reaches the file system.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kangyun::http {

struct StaticResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class StaticFiles {
 public:
  // Every file under `root`, which must hold index.html. A file `x.gz` beside `x` is `x`
  // compressed, sent to clients that accept gzip.
  static Result<std::unique_ptr<StaticFiles>> Load(const std::string& root);

  // The answer to a GET of `path`: a file by its name, or, for a path without an extension
  // (a screen of the portal: /resident, /callback), index.html, whose router draws it.
  // nullopt for any other path.
  std::optional<StaticResponse> Get(std::string_view path, bool accepts_gzip) const;

  size_t size() const { return files_.size(); }

 private:
  struct File {
    std::string body, gzip;
    std::string content_type;
    bool present = false;  // the original was found (an empty file is a file)
  };
  StaticResponse Answer(std::string_view name, const File& f, bool accepts_gzip) const;
  std::map<std::string, File, std::less<>> files_;  // by path from the root, "/index.html"
};

}  // namespace kangyun::http
