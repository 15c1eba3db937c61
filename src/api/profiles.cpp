// Profiles on the FHIR API: the StructureDefinitions stored in the database that constrain a
// resource type or a data type are the profiles the server knows (fhir/profile.h), also those
// another process stored or `kangyun package install` put there. A write is checked against
// the known profiles its resource claims in meta.profile and against those the administrator
// requires for its type (`serve --require-profile`), and every extension it carries whose url
// names a known extension definition against that definition; a profile the server does not
// know is not held against a resource that claims it (data from elsewhere claims guides not
// installed here), but a required one it does not know refuses the write: the requirement
// cannot be met.
#include "api/engine.h"
#include "base/log.h"
#include "fhir/profile.h"

namespace kangyun::api {
namespace {

// A StructureDefinition that is a profile of a resource type or of a data type (an extension's
// definition is one of the type Extension).
bool IsProfile(const json::Value& sd) {
  std::string_view kind = sd.GetString("kind");
  return sd.GetString("derivation") == "constraint" &&
         (kind == "resource" || kind == "complex-type");
}

Status FirstError(const std::vector<fhir::ProfileIssue>& issues) {
  for (const fhir::ProfileIssue& issue : issues)
    if (issue.severity == "error")
      return Status(StatusCode::kUnprocessable, issue.message, issue.path);
  return Status::Ok();
}

}  // namespace

fhir::CodeInValueSet CodesFor(const Engine& s) {
  return [&s](std::string_view valueset, std::string_view system,
              std::string_view code) -> std::optional<bool> {
    auto codes = s.terminology.Expand(valueset);
    if (!codes.ok()) return std::nullopt;
    for (const terminology::Coding& c : *codes)
      if (c.code == code && (system.empty() || c.system == system)) return true;
    return false;
  };
}

std::vector<fhir::ProfileIssue> CheckProfiles(const Engine& s, const json::Value& resource,
                                              const std::vector<std::string>& asked,
                                              const std::string& unknown_at) {
  std::vector<fhir::ProfileIssue> issues;
  fhir::CodeInValueSet codes = CodesFor(s);
  for (const std::string& url : asked) {
    if (auto profile = s.profiles.Find(url)) {
      std::vector<fhir::ProfileIssue> found = profile->Check(resource, codes, &s.profiles);
      issues.insert(issues.end(), found.begin(), found.end());
    } else {
      issues.push_back({"error", "not-found",
                        "The profile " + url +
                            " is not known to this server (install its "
                            "implementation guide with `kangyun package install`)",
                        unknown_at});
    }
  }
  return issues;
}

std::vector<fhir::ProfileIssue> CheckExtensionDefinitions(const Engine& s,
                                                          const json::Value& resource) {
  return fhir::CheckExtensions(resource, s.profiles, CodesFor(s));
}

std::vector<std::string> ProfilesToCheck(const Engine& s, const json::Value& resource) {
  std::vector<std::string> urls;
  if (auto required =
          s.config.required_profiles.find(std::string(resource.GetString("resourceType")));
      required != s.config.required_profiles.end())
    urls = required->second;
  if (const json::Value* meta = resource.Find("meta"))
    if (const json::Value* claimed = meta->Find("profile"); claimed && claimed->is_array())
      for (const json::Value& url : claimed->items())
        if (url.is_string() && s.profiles.Find(url.str()) &&
            std::find(urls.begin(), urls.end(), url.str()) == urls.end())
          urls.push_back(url.str());
  return urls;
}

Result<bool> SyncStoredProfiles(Engine& s, store::ReadTransaction& txn) {
  int64_t now = s.clock.NowMicros();
  if (s.profile_versions.load() >= 0 && now - s.profiles_checked.load() < 1'000'000) return false;
  s.profiles_checked = now;
  store::HistoryQuery versions;
  versions.type = "StructureDefinition";
  KY_ASSIGN_OR_RETURN(int64_t n, txn.CountHistory(versions));
  if (n == s.profile_versions.load()) return false;
  store::Query q;
  q.types = {"StructureDefinition"};
  KY_ASSIGN_OR_RETURN(auto rids, txn.Search(q, 100000));
  KY_ASSIGN_OR_RETURN(auto rows, txn.ReadRows(rids));
  std::vector<std::shared_ptr<const fhir::Profile>> profiles;
  for (const auto& row : rows) {
    KY_ASSIGN_OR_RETURN(json::Value sd, json::Parse(row.body));
    if (!IsProfile(sd)) continue;
    auto profile = fhir::Profile::Parse(sd, s.defs);
    if (!profile.ok()) {
      Log(LogLevel::kWarning, "stored StructureDefinition/" + row.id +
                                  " is not used as a profile: " + profile.status().message());
      continue;
    }
    profiles.push_back(*profile);
  }
  bool at_start = s.profile_versions.load() < 0;
  s.profiles.Replace(std::move(profiles));
  s.profile_versions = n;
  // A guide installed beside a running server (`kangyun package install`) brings its value sets
  // and code systems with its profiles: they reach the terminology service with them, so that
  // the profiles' bindings are checked at once. At start-up, the platform's content loads them.
  if (!at_start) {
    if (Status added = AddStoredTerminology(s, txn); !added.ok())
      Log(LogLevel::kWarning, "stored terminology not all usable: " + added.message());
  }
  return true;
}

Status CheckUsableAsProfile(const Engine& s, const json::Value& resource) {
  if (resource.GetString("resourceType") != "StructureDefinition" || !IsProfile(resource))
    return Status::Ok();
  return fhir::Profile::Parse(resource, s.defs).status();
}

Status CheckWriteProfiles(const Engine& s, const json::Value& resource) {
  // A profile is stored only when it can be used as one.
  KY_RETURN_IF_ERROR(CheckUsableAsProfile(s, resource));
  KY_RETURN_IF_ERROR(FirstError(CheckExtensionDefinitions(s, resource)));
  std::vector<std::string> urls = ProfilesToCheck(s, resource);
  if (urls.empty()) return Status::Ok();
  return FirstError(CheckProfiles(s, resource, urls));
}

}  // namespace kangyun::api
