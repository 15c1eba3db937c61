// FHIRPath (http://hl7.org/fhirpath/N1/) as FHIR R4 uses it: compile an expression once,
// evaluate it on many resources. Used for search-parameter extraction and by
// `kangyun fhirpath`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "fhir/datetime.h"
#include "json/value.h"

namespace kangyun::fhir {
class Definitions;
}

namespace kangyun::fhir::fhirpath {

struct Quantity {
  double value = 0;
  std::string value_text;  // the number as written
  std::string unit;        // a UCUM code, or a calendar duration word ("year", "days")
};

// One item of a FHIRPath collection: either an element of the input resource (a node) or a
// value computed by the expression.
struct Item {
  enum class Kind {
    kNode,
    kBoolean,
    kInteger,
    kDecimal,
    kString,
    kDate,
    kDateTime,
    kTime,
    kQuantity
  };
  Kind kind = Kind::kNode;
  const json::Value* node = nullptr;  // kNode: points into the evaluated resource
  std::string type;     // FHIR type of a node ("HumanName", "dateTime", "Patient"), or ""
  std::string def_key;  // definition key for the node's children (see Definitions)
  bool boolean = false;
  int64_t integer = 0;
  double decimal = 0;
  std::string text;  // kString value; kDecimal as written
  DateTimeValue datetime;
  TimeValue time;
  Quantity quantity;

  static Item Boolean(bool b);
  static Item Integer(int64_t i);
  static Item Decimal(double d, std::string text = {});
  static Item String(std::string s);
  static Item Node(const json::Value* node, std::string type, std::string def_key);
};

using Collection = std::vector<Item>;

// Resolves a reference string (from Reference.reference) to a resource, for resolve(). May return
// nullptr; then resolve() yields a typed placeholder, which is enough for `resolve() is Patient`.
using ReferenceResolver = std::function<const json::Value*(std::string_view reference)>;

struct EvalOptions {
  const Definitions* definitions = nullptr;  // without them, node types are inferred from JSON
  ReferenceResolver resolver;
  int64_t now_micros = 0;  // now(), today(); 0 means the system clock
  // %rootResource, when the evaluated resource is contained in another: the container, whose
  // `contained` local references (#id) point into. Null: the evaluated resource itself.
  const json::Value* root_resource = nullptr;
};

class Node;

// A compiled expression. Immutable and thread-safe.
class Expression {
 public:
  explicit Expression(std::unique_ptr<Node> root, std::string text);
  ~Expression();
  const std::string& text() const { return text_; }
  const Node& root() const { return *root_; }

 private:
  std::unique_ptr<Node> root_;
  std::string text_;
};

// Compiles an expression. A syntax error names the character position (1-based).
Result<std::shared_ptr<const Expression>> Compile(std::string_view text);

// The part of a union of paths (`Observation.code | Condition.code | ...`, as shared search
// parameters are written) that can select anything on a resource of `type`: branches rooted
// at another resource type are left out. `expr` itself when every branch may apply; null when
// none does.
std::shared_ptr<const Expression> SpecializeForType(const std::shared_ptr<const Expression>& expr,
                                                    std::string_view type);

// Evaluates on a resource (its JSON object; REQUIRES resource outlives the result, since node
// items point into it).
Result<Collection> Evaluate(const Expression& expr, const json::Value& resource,
                            const EvalOptions& options);

// Evaluates with `context` (an item of an earlier evaluation on resource) as $this and focus;
// for composite search parameter components.
Result<Collection> EvaluateOn(const Expression& expr, const Item& context,
                              const json::Value& resource, const EvalOptions& options);

// The collection as a JSON array: nodes as their JSON, values as JSON scalars.
json::Value ToJson(const Collection& items);

// The value of a primitive node as a typed item (a FHIR date becomes kDate, and so on).
Item ToSystemValue(const Item& item);

}  // namespace kangyun::fhir::fhirpath
