// Structural validation of a resource against the R4 StructureDefinitions: known elements
// (choice types, one type a choice element, extensions, contained resources), primitive
// formats, cardinality and required bindings (on codes, Codings and CodeableConcepts); then the
// base specification's invariants (invariants.h). Errors carry
// the FHIRPath of the offending element.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "fhir/definitions.h"
#include "json/value.h"

namespace kangyun::fhir {

class Validator {
 public:
  explicit Validator(const Definitions& defs) : defs_(defs) {}

  // OK, or kUnprocessable (kInvalid for an unknown resourceType) naming the element: the
  // structure, then the invariants.
  Status Validate(const json::Value& resource) const;
  // The structural checks alone (what Validate does before the invariants).
  Status ValidateStructure(const json::Value& resource) const;

  // Format check of one primitive JSON value of FHIR type `type`; "" when valid, otherwise
  // what is wrong.
  static std::string CheckPrimitive(std::string_view type, const json::Value& v);
  static bool IsValidId(std::string_view id);

 private:
  Status ValidateResource(const json::Value& r, const std::string& path, int depth) const;
  Status ValidateObject(const json::Value& obj, const std::string& def_key, const std::string& path,
                        int depth) const;
  Status ValidateValue(const json::Value& v, const ChildElement& child, const std::string& path,
                       int depth) const;
  Status CheckRequiredBinding(const json::Value& v, const std::string& type, const ElementDef& def,
                              const std::string& path) const;

  const Definitions& defs_;
};

}  // namespace kangyun::fhir
