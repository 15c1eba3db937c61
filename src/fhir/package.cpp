#include "fhir/package.h"

#include <zlib.h>

#include <cstring>

#include "base/files.h"
#include "base/strings.h"
#include "json/json.h"

namespace kangyun::fhir {
namespace {

// An archive larger than this unpacked is refused rather than read into memory: R4's core
// package, the largest a guide depends on, unpacks to about 60 MB.
constexpr size_t kMaxUnpacked = size_t{1} << 30;

Result<std::string> Gunzip(const std::string& gz, const std::string& path) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Internal("zlib: cannot start inflating");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return Invalid(path + " is not a gzip-compressed package (.tgz)");
    }
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > kMaxUnpacked) {
      inflateEnd(&z);
      return Invalid(path + " unpacks to more than 1 GiB");
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      return Invalid(path + " ends before its gzip stream does");
    }
  }
  inflateEnd(&z);
  return out;
}

std::string Field(const char* block, size_t offset, size_t size) {
  const char* start = block + offset;
  return std::string(start, strnlen(start, size));
}

struct TarFile {
  std::string name;
  std::string_view bytes;
};

// The regular files of a tar archive (ustar, with pax or GNU long names).
Result<std::vector<TarFile>> Untar(std::string_view tar, const std::string& path) {
  std::vector<TarFile> files;
  std::string long_name;
  size_t pos = 0;
  while (pos + 512 <= tar.size()) {
    const char* h = tar.data() + pos;
    if (h[0] == '\0') break;  // the end: zero blocks
    std::string size_text = Field(h, 124, 12);
    char* end = nullptr;
    unsigned long long size = std::strtoull(size_text.c_str(), &end, 8);
    if (end == size_text.c_str() || pos + 512 + size > tar.size())
      return Invalid(path + ": a tar header at byte " + std::to_string(pos) + " is damaged");
    std::string_view data = tar.substr(pos + 512, size);
    char type = h[156];
    std::string name = Field(h, 0, 100);
    if (std::string prefix = Field(h, 345, 155); !prefix.empty()) name = prefix + "/" + name;
    if (!long_name.empty()) name = std::move(long_name);
    long_name.clear();
    if (type == 'L') {
      long_name = std::string(data.substr(0, data.find('\0')));
    } else if (type == 'x') {
      // pax records: "LENGTH path=NAME\n"
      for (const std::string& record : Split(data, '\n'))
        if (size_t at = record.find(" path="); at != std::string::npos)
          long_name = record.substr(at + 6);
    } else if (type == '0' || type == '\0') {
      files.push_back({name, data});
    }
    pos += 512 + (size + 511) / 512 * 512;
  }
  return files;
}

}  // namespace

Result<Package> ReadPackage(const std::string& path) {
  std::optional<std::string> gz = ReadFileBytes(path);
  if (!gz) return Invalid("cannot read the package " + path);
  KY_ASSIGN_OR_RETURN(std::string tar, Gunzip(*gz, path));
  KY_ASSIGN_OR_RETURN(std::vector<TarFile> files, Untar(tar, path));
  Package package;
  bool manifest = false;
  for (const TarFile& f : files) {
    if (!StartsWith(f.name, "package/") || f.name.find('/', 8) != std::string::npos ||
        !EndsWith(f.name, ".json") || f.name == "package/.index.json")
      continue;
    auto parsed = json::Parse(f.bytes);
    if (!parsed.ok()) return Invalid(path + ": " + f.name + ": " + parsed.status().message());
    if (f.name == "package/package.json") {
      manifest = true;
      package.name = std::string(parsed->GetString("name"));
      package.version = std::string(parsed->GetString("version"));
      if (const json::Value* versions = parsed->Find("fhirVersions");
          versions && versions->is_array() && !versions->items().empty())
        package.fhir_version = versions->items()[0].str();
      continue;
    }
    if (!parsed->is_object() || parsed->GetString("resourceType").empty()) continue;
    package.resources.push_back({f.name, std::move(parsed).value()});
  }
  if (!manifest) return Invalid(path + " is not a FHIR package: it has no package/package.json");
  return package;
}

}  // namespace kangyun::fhir
