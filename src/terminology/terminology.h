// The terminology service's knowledge: CodeSystems, ValueSets and ConceptMaps (R4's own, loaded
// from the definitions, the platform's, content/platform_content.h, and any a client stores),
// and what is asked of them: look a code up, expand a value set, tell whether a code is in one,
// find the codes a code subsumes, translate a code through a map. Thread-safe: readers take an
// immutable snapshot; Add publishes a new one.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "json/value.h"

namespace kangyun::terminology {

struct Coding {
  std::string system, code, display;
};

struct ConceptInfo {
  std::string system, code, display;
  std::string system_name, version;
  std::vector<std::pair<std::string, std::string>> designations;  // language, value
  std::vector<std::string> parents, children;
};

struct TranslateMatch {
  std::string equivalence;  // http://hl7.org/fhir/concept-map-equivalence
  Coding target;
  std::string map_url;
};

class Terminology {
 public:
  Terminology();
  ~Terminology();

  // Adds (or replaces, by url) CodeSystem, ValueSet and ConceptMap resources; others are left
  // out. kUnprocessable naming the first one that cannot be used (one without a url).
  Status Add(const std::vector<const json::Value*>& resources);
  Status Add(const json::Value& resource) { return Add(std::vector{&resource}); }
  // Adds the CodeSystems and ValueSets of a definitions Bundle (R4's valuesets.json).
  Status AddBundle(const json::Value& bundle);

  bool KnowsSystem(std::string_view system) const;
  std::optional<ConceptInfo> Lookup(std::string_view system, std::string_view code) const;
  // Every code of a value set (a "|version" suffix is ignored). The error says why it cannot be
  // expanded: unknown value set, a code system not known here, a filter not supported.
  Result<std::vector<Coding>> Expand(std::string_view url) const;
  // `code` and the codes it subsumes (below) or that subsume it (above); nullopt when the
  // system is not known here.
  std::optional<std::vector<std::string>> Subsumed(std::string_view system, std::string_view code,
                                                   bool below) const;
  // Translations of system|code: through the map `map_url`, or every map from that system
  // (to target_system when given).
  Result<std::vector<TranslateMatch>> Translate(std::string_view map_url, std::string_view system,
                                                std::string_view code,
                                                std::string_view target_system) const;
  bool KnowsValueSet(std::string_view url) const;

  struct State;

 private:
  std::shared_ptr<const State> snapshot() const;

  mutable std::mutex mu_;
  std::shared_ptr<const State> state_;
  // Expansions already made, per snapshot (cleared when a new one is published).
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::shared_ptr<const std::vector<Coding>>> cache_;
};

}  // namespace kangyun::terminology
