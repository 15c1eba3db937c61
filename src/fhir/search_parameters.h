// The search parameters the server knows: all of R4's, loaded from the official definition
// file, plus SearchParameter resources added at run time. Thread-safe: readers take an
// immutable snapshot; Add() publishes a new one.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "fhir/definitions.h"
#include "fhir/fhirpath/fhirpath.h"
#include "json/value.h"

namespace kangyun::fhir {

struct SearchParamDef {
  std::string url;
  std::string code;  // the name used in URLs
  std::string type;  // number|date|string|token|reference|composite|quantity|uri|special
  std::vector<std::string> base;
  std::string expression;
  std::vector<std::string> targets;  // reference target types
  struct Component {
    std::string definition;  // canonical URL of the component's SearchParameter
    std::string expression;  // relative to the composite's value
    std::string type;        // resolved from the definition
    std::shared_ptr<const fhirpath::Expression> compiled;
  };
  std::vector<Component> components;
  std::shared_ptr<const fhirpath::Expression> compiled;  // null for special parameters
  // Set for parameters whose values the platform computes in code rather than by `expression`
  // (a name's pinyin, the registry's blocking keys): a resource's values (strings, or token
  // codes without a system), and the form a searched value is compared in (null: as sent).
  std::function<std::vector<std::string>(const json::Value& resource)> computed_values;
  // The computed values come besides those of `expression` (a name and its pinyin).
  bool computed_adds = false;
  std::function<std::string(std::string_view value)> query_form;
  // Per base type, the part of `compiled` that applies to it (fhirpath::SpecializeForType).
  // Looked up by string_view (once per parameter of every written resource), without a copy.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::shared_ptr<const fhirpath::Expression>, NameHash,
                     std::equal_to<>>
      compiled_by_type;

  // What to evaluate on a resource of `type`; null when nothing can be selected on it.
  const fhirpath::Expression* CompiledFor(std::string_view type) const {
    auto it = compiled_by_type.find(type);
    return it != compiled_by_type.end() ? it->second.get() : compiled.get();
  }
};

using SearchParamPtr = std::shared_ptr<const SearchParamDef>;

class SearchParameterRegistry {
 public:
  struct Snapshot {
    // Parameters of each concrete resource type, Resource/DomainResource ones included.
    std::unordered_map<std::string, std::vector<SearchParamPtr>> by_type;
    std::unordered_map<std::string, SearchParamPtr> by_url;
    uint64_t generation = 0;

    SearchParamPtr Find(std::string_view type, std::string_view code) const;
  };

  // Loads search-parameters.json from the definitions directory.
  static Result<std::unique_ptr<SearchParameterRegistry>> Load(const std::string& dir,
                                                               const Definitions& defs);

  std::shared_ptr<const Snapshot> snapshot() const;
  SearchParamPtr Find(std::string_view type, std::string_view code) const {
    return snapshot()->Find(type, code);
  }

  // Parses and checks a SearchParameter resource (compiles its expression) without adding it.
  Result<SearchParamPtr> Parse(const json::Value& resource) const;
  // Adds or replaces (same url) a parameter.
  void Add(SearchParamPtr param);

  // From now on, the parameters known so far (R4's and the platform's own) are built in: a
  // stored SearchParameter may add codes, never redefine one of these (the access rules
  // search by them).
  void SealBuiltIns();
  // kUnprocessable when param would replace a built-in parameter (by url, or by code on one
  // of its base types).
  Status CheckAddsOnly(const SearchParamDef& param) const;

 private:
  explicit SearchParameterRegistry(const Definitions& defs) : defs_(defs) {}
  void AddTo(Snapshot* snap, SearchParamPtr param) const;

  const Definitions& defs_;
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::shared_ptr<const Snapshot> built_in_;  // null until SealBuiltIns
};

}  // namespace kangyun::fhir
