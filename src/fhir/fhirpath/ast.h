// The syntax tree of a FHIRPath expression (internal to fhirpath/).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fhir/fhirpath/fhirpath.h"

namespace kangyun::fhir::fhirpath {

class Node {
 public:
  enum class Kind {
    kLiteral,     // literal: a value item, or an empty collection ({})
    kEmpty,       // {}
    kIdentifier,  // member access or a type name at the root
    kInvoke,      // children[0] . (identifier or function)
    kFunction,    // name(args...)
    kIndexer,     // children[0][children[1]]
    kBinary,      // children[0] op children[1]
    kUnary,       // op children[0]
    kTypeOp,      // children[0] is/as type_name
    kThis,
    kIndex,
    kTotal,
    kVariable,  // %name
  };
  Kind kind;
  std::string name;  // identifier, function, operator, type or variable name
  Item literal;
  std::vector<std::unique_ptr<Node>> children;
  int position = 0;  // 1-based character offset, for errors
};

}  // namespace kangyun::fhir::fhirpath
