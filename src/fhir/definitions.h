// The FHIR R4 type system, loaded at start-up from the official definition files
// (StructureDefinitions, ValueSets/CodeSystems, the Patient CompartmentDefinition).
// Immutable once loaded; safe to share between threads.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "json/value.h"

namespace kangyun::fhir {

namespace fhirpath {
class Expression;
}

struct ElementDef {
  std::string path;  // "Patient.contact.name"; choice elements end in "[x]"
  std::string name;  // last path segment without "[x]": "name", "value"
  bool is_choice = false;
  int min = 0;
  bool many = false;               // max is "*" or above 1
  std::vector<std::string> types;  // FHIR type codes: "HumanName", "BackboneElement", "dateTime"
  std::string content_reference;   // "Questionnaire.item" for a recursive element, else ""
  std::string required_valueset;   // canonical URL when the binding strength is required
  // Extensible and preferred bindings: a code from elsewhere is allowed, and $validate warns.
  std::string advised_valueset, advised_strength;
  bool is_summary = false;  // part of the _summary=true view
};

// An invariant of the base specification (ElementDefinition.constraint): a FHIRPath
// expression that holds for every instance of the element it is declared on.
struct Constraint {
  std::string key;         // "pat-1"
  bool error = true;       // severity error; else a warning
  std::string human;       // what it requires, in words
  std::string expression;  // FHIRPath, with the instance as its focus
  std::shared_ptr<const fhirpath::Expression> compiled;
};

// The FHIR type code of an ElementDefinition.type: snapshots use System.* codes for the value
// of primitives and for ids, and give the FHIR type by an extension.
std::string TypeCode(const json::Value& type);
// "Quantity" for "quantity": a choice element's type as its member name's suffix.
std::string Capitalize(std::string_view s);

// The element a JSON member name denotes, below a node whose definition key is known.
struct ChildElement {
  const ElementDef* def = nullptr;
  std::string type;       // the FHIR type of this member ("Quantity" for valueQuantity)
  std::string child_key;  // definition key for the member's own children
};

class Definitions {
 public:
  // Reads the definition files in dir (as placed by scripts/install-deps).
  static Result<std::unique_ptr<Definitions>> Load(const std::string& dir);
  // The directory the definitions were loaded from ("" when built otherwise): the terminology
  // service reads R4's code systems and value sets there.
  const std::string& dir() const { return dir_; }

  bool IsResourceType(std::string_view name) const;
  // Concrete resource types (not Resource/DomainResource), sorted.
  const std::vector<std::string>& ResourceTypes() const { return resource_types_; }
  bool IsPrimitiveType(std::string_view type) const;
  bool IsKnownType(std::string_view type) const;
  // True when `type` is `base` or derives from it (Patient is a DomainResource and a Resource).
  bool IsSubtypeOf(std::string_view type, std::string_view base) const;

  // Resolves the JSON member `json_name` below a node whose definition key is parent_key (a type
  // name such as "HumanName" or a backbone path such as "Patient.contact").
  std::optional<ChildElement> ResolveChild(std::string_view parent_key,
                                           std::string_view json_name) const;
  // Elements directly below parent_key (for cardinality checks).
  const std::vector<const ElementDef*>& Children(std::string_view parent_key) const;

  // The invariants declared on the element or type of definition key `key` ("Patient",
  // "Patient.contact", "Period"), without ele-1 and ext-1: the structural checks already
  // refuse empty elements and check extensions.
  const std::vector<Constraint>& Constraints(std::string_view key) const;

  // Codes of a ValueSet that a required binding names, or nullptr when the set cannot be
  // enumerated from the loaded files (such bindings are then not enforced).
  const std::unordered_set<std::string>* ValueSetCodes(std::string_view url) const;

  struct Code {
    std::string system, code;
  };
  // The (system, code) pairs of a ValueSet whose compose the loaded files enumerate (concept
  // lists, or whole loaded CodeSystems), or nullptr. A "|version" suffix is ignored.
  const std::vector<Code>* ValueSetExpansion(std::string_view url) const;
  // `code` and the codes it subsumes (below) or that subsume it (above) in a loaded CodeSystem's
  // hierarchy; nullopt when the system is not loaded.
  std::optional<std::vector<std::string>> Subsumed(std::string_view system, std::string_view code,
                                                   bool below) const;

  // R4's OperationDefinition of that canonical URL (Patient-match, ValueSet-expand, ...), or
  // nullptr.
  const json::Value* OperationDefinition(std::string_view url) const;

  // A compartment (R4's CompartmentDefinitions: Patient, Encounter, RelatedPerson,
  // Practitioner, Device): for each resource type in it, the search parameters that link it
  // to the compartment's owner ("subject", "performer", ...; "{def}" for the owner itself).
  using Compartment = std::map<std::string, std::vector<std::string>>;
  const Compartment& PatientCompartment() const { return compartments_.at("Patient"); }
  // Null for a type that owns no compartment (or whose definition was not installed).
  const Compartment* CompartmentOf(std::string_view owner_type) const;
  // The owner types, for the CapabilityStatement.
  std::vector<std::string> CompartmentOwners() const;

 private:
  Definitions() = default;
  Status LoadStructureDefinitions(const json::Value& bundle);
  void LoadValueSets(const json::Value& bundle);
  Status LoadCompartment(const json::Value& compartment);
  std::string ChildKeyFor(const ElementDef& def, const std::string& type) const;

  std::vector<std::string> resource_types_;
  std::unordered_set<std::string> resource_type_set_;
  std::unordered_map<std::string, std::string> kinds_;      // type -> "primitive-type"/...
  std::unordered_map<std::string, std::string> base_type_;  // type -> base type name
  std::unordered_map<std::string, ElementDef> elements_;    // by path
  std::unordered_map<std::string, std::vector<const ElementDef*>> children_;
  std::unordered_map<std::string, std::vector<Constraint>> constraints_;  // by path
  std::unordered_map<std::string, std::unordered_set<std::string>> valuesets_;
  std::unordered_map<std::string, std::vector<Code>> expansions_;
  std::unordered_map<std::string, json::Value> operation_definitions_;  // by url
  struct CodeSystemTree {
    std::vector<std::string> codes;
    std::unordered_map<std::string, std::string> parent;
    std::unordered_map<std::string, std::vector<std::string>> children;
  };
  std::unordered_map<std::string, CodeSystemTree> code_systems_;
  std::map<std::string, Compartment, std::less<>> compartments_;  // by owner type
  std::string dir_;
};

}  // namespace kangyun::fhir
