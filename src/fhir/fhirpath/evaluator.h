// The FHIRPath evaluator (internal to fhirpath/). Errors inside are thrown as EvalError and
// become a Status at Evaluate(); nothing is thrown out of this module.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "base/env.h"
#include "fhir/fhirpath/ast.h"
#include "fhir/fhirpath/fhirpath.h"

namespace kangyun::fhir::fhirpath {

struct EvalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Frame {
  const Item* this_item = nullptr;
  int64_t index = 0;
  const Collection* total = nullptr;
};

class Evaluator {
 public:
  Evaluator(const EvalOptions& options, const json::Value& resource);

  Collection Eval(const Node& node, const Collection& input, const Frame& frame);
  // Members named `name` of every item (choice elements included).
  void Navigate(const Item& item, std::string_view name, Collection* out) const;
  void AllChildren(const Item& item, Collection* out) const;
  bool IsType(const Item& item, std::string_view type_name) const;

  // Three-valued comparisons; nullopt where FHIRPath yields empty.
  std::optional<bool> Equal(const Item& a, const Item& b) const;
  bool Equivalent(const Item& a, const Item& b) const;
  std::optional<int> Compare(const Item& a, const Item& b) const;

  // Function calls live in functions.cpp.
  Collection CallFunction(const Node& fn, const Collection& input, const Frame& frame);

  const Collection& root() const { return root_; }
  // The evaluation's now: fixed by the options, else read from the clock on first use (most
  // expressions never ask, and search-value extraction runs many per write).
  int64_t now_micros() {
    if (!now_micros_) now_micros_ = SystemClock()->NowMicros();
    return now_micros_;
  }
  const EvalOptions& options() const { return options_; }

 private:
  Item MakeChild(const json::Value* v, const std::string& parent_key,
                 std::string_view json_name) const;
  Collection EvalBinary(const Node& node, const Collection& input, const Frame& frame);

  const EvalOptions& options_;
  Collection root_;
  int64_t now_micros_;
};

// Helpers shared by evaluator.cpp and functions.cpp.
std::optional<bool> SingletonBoolean(const Collection& c);  // throws on non-boolean
std::optional<std::string> SingletonString(const Collection& c);
std::optional<int64_t> SingletonInteger(const Collection& c);
Collection Bool(bool b);
Collection Distinct(const Evaluator& ev, const Collection& c);
bool Contains(const Evaluator& ev, const Collection& c, const Item& item);

}  // namespace kangyun::fhir::fhirpath
