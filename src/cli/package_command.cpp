// kangyun package install FILE.tgz --db STORE   installs an implementation guide: the
// StructureDefinitions, ValueSets, CodeSystems and ConceptMaps of a FHIR package, written
// through the same path as a bulk load (validated as a write would be), so that the server
// validates against its profiles and binds to its value sets.
#include <map>

#include "base/log.h"
#include "cli/commands.h"
#include "cli/platform.h"
#include "fhir/package.h"
#include "json/json.h"

namespace kangyun::cli {
namespace {

constexpr const char* kInstalledTypes[] = {"StructureDefinition", "ValueSet", "CodeSystem",
                                           "ConceptMap"};

bool Installed(std::string_view type) {
  for (const char* t : kInstalledTypes)
    if (type == t) return true;
  return false;
}

class PackageSource : public services::bulk_data::ImportSource {
 public:
  explicit PackageSource(const fhir::Package& package) : package_(package) {}
  bool Next(services::bulk_data::ImportLine* line) override {
    while (next_ < package_.resources.size()) {
      const fhir::PackageResource& r = package_.resources[next_++];
      if (!Installed(r.resource.GetString("resourceType"))) continue;
      line->text = json::Write(r.resource);
      line->source = r.file;
      line->number = 1;
      return true;
    }
    return false;
  }

 private:
  const fhir::Package& package_;
  size_t next_ = 0;
};

int Install(const std::string& file, const std::string& db, const std::string& definitions) {
  auto package = fhir::ReadPackage(file);
  if (!package.ok()) {
    std::fprintf(stderr, "kangyun package: %s\n", package.status().message().c_str());
    return 1;
  }
  // Kangyun serves R4: a guide for another version would not mean what it says here.
  if (!package->fhir_version.empty() && package->fhir_version.rfind("4.0", 0) != 0) {
    std::fprintf(stderr, "kangyun package: %s %s is for FHIR %s; this server is FHIR R4 (4.0.1)\n",
                 package->name.c_str(), package->version.c_str(), package->fhir_version.c_str());
    return 1;
  }
  std::map<std::string, int> counts;
  for (const fhir::PackageResource& r : package->resources)
    if (std::string type(r.resource.GetString("resourceType")); Installed(type)) ++counts[type];
  auto platform = OpenPlatform(db, definitions);
  if (!platform.ok()) {
    Log(LogLevel::kError, platform.status().message());
    return 1;
  }
  PackageSource source(*package);
  services::bulk_data::ImportOptions options;
  options.max_errors = 1000;
  auto result = (*platform)->services.bulk_data->Import(source, options, [](int64_t) {});
  (*platform)->api->Shutdown();
  if (!result.ok()) {
    Log(LogLevel::kError, "install stopped: " + result.status().message());
    return 1;
  }
  for (const services::bulk_data::ImportError& e : result->errors)
    std::fprintf(stderr, "%s: %s\n", e.source.c_str(), e.message.c_str());
  std::string what;
  for (const auto& [type, n] : counts)
    what += (what.empty() ? "" : ", ") + type + " " + std::to_string(n);
  std::fprintf(stderr, "installed %lld resources of %s %s (%s); %lld refused\n",
               static_cast<long long>(result->resources), package->name.c_str(),
               package->version.c_str(), what.c_str(), static_cast<long long>(result->failed));
  return result->failed == 0 ? 0 : 1;
}

}  // namespace

int PackageCommand(const Args& args) {
  std::string action, file, db, definitions;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--db")
      db = OptionValue("package", args, &i);
    else if (a == "--definitions")
      definitions = OptionValue("package", args, &i);
    else if (!a.empty() && a[0] != '-' && action.empty())
      action = a;
    else if (!a.empty() && a[0] != '-' && file.empty())
      file = a;
    else {
      std::fprintf(stderr, "kangyun package: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (action != "install" || file.empty() || db.empty()) {
    std::fprintf(stderr,
                 "usage: kangyun package install FILE.tgz --db sqlite:PATH|postgresql://URL\n");
    return 2;
  }
  return Install(file, db, definitions);
}

}  // namespace kangyun::cli
