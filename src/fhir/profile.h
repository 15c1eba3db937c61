// Profiles: StructureDefinitions that constrain a resource type or a data type (derivation
// "constraint"), as national and regional implementation guides publish them, read from their
// snapshot; and the check of a resource against one. An extension's definition is a profile of
// the type Extension: every extension whose url names a known one is checked against it
// (CheckExtensions), and an element whose type names a data type's profile is checked against
// that profile too. A profile adds to the base specification, which the
// validator (validator.h) has checked already: cardinality, fixed and pattern values, the types
// a choice element may take, bindings, slices (value, pattern, exists and type discriminators)
// and the profile's own invariants. A slicing whose discriminator this checker cannot evaluate
// (profile, resolve()) is not held against the resource: no check rather than a wrong one.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "fhir/definitions.h"
#include "json/value.h"

namespace kangyun::fhir {

struct ProfileIssue {
  std::string severity;  // "error" or "warning"
  std::string code;      // OperationOutcome issue type: required, structure, value, code-invalid,
                         // invariant
  std::string message;
  std::string path;  // FHIRPath of the offending element: "Patient.name[0]"
};

// Whether system|code is in a value set; nullopt when that cannot be told here (a value set not
// known or not expandable). An empty system: a `code` element, whose system the binding implies.
using CodeInValueSet = std::function<std::optional<bool>(
    std::string_view valueset, std::string_view system, std::string_view code)>;

class ProfileSet;

class Profile {
 public:
  ~Profile();
  // kUnprocessable naming what keeps it from being used as a profile (no snapshot, a type that
  // is neither a resource nor a data type, not a constraint).
  static Result<std::shared_ptr<const Profile>> Parse(const json::Value& sd,
                                                      const Definitions& defs);

  const std::string& url() const { return url_; }
  const std::string& version() const { return version_; }
  const std::string& type() const { return type_; }
  // A profile of a resource type, not of a data type (an extension's definition among them).
  bool of_resource() const { return of_resource_; }

  // The issues of `resource` against this profile, errors and warnings (none: it conforms).
  // With `known`, elements whose type names a known data type profile are checked against it.
  std::vector<ProfileIssue> Check(const json::Value& resource, const CodeInValueSet& codes,
                                  const ProfileSet* known = nullptr) const;
  // The issues of a value of this profile's data type found at `path` of a resource (`root`).
  std::vector<ProfileIssue> CheckValue(const json::Value& value, const std::string& path,
                                       const json::Value& root, const CodeInValueSet& codes,
                                       const ProfileSet* known, int depth = 0) const;

  struct Element;

 private:
  Profile() = default;
  const Definitions* defs_ = nullptr;
  std::string url_, version_, type_;
  bool of_resource_ = true;
  std::vector<std::unique_ptr<Element>> elements_;
  const Element* root_ = nullptr;
};

// The profiles a server knows, by canonical URL. Thread-safe: readers take the current set;
// Replace publishes a new one.
class ProfileSet {
 public:
  // By "url" or "url|version" (a version that is not the one known finds nothing).
  std::shared_ptr<const Profile> Find(std::string_view canonical) const;
  void Replace(std::vector<std::shared_ptr<const Profile>> profiles);
  size_t size() const;
  // Whether an extension's definition is among them (else CheckExtensions has nothing to do).
  bool HasExtensions() const;

 private:
  struct Map {
    std::unordered_map<std::string, std::shared_ptr<const Profile>> by_url;
    bool extensions = false;
  };
  std::shared_ptr<const Map> Current() const;
  mutable std::mutex mu_;
  std::shared_ptr<const Map> current_ = std::make_shared<Map>();
};

// The issues of every extension in `resource`, at any depth, whose url names an extension
// definition in `known`, against that definition.
std::vector<ProfileIssue> CheckExtensions(const json::Value& resource, const ProfileSet& known,
                                          const CodeInValueSet& codes);

}  // namespace kangyun::fhir
