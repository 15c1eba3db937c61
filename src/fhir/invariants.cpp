#include "fhir/invariants.h"

#include "fhir/fhirpath/fhirpath.h"

namespace kangyun::fhir {
namespace {

class InvariantWalk {
 public:
  InvariantWalk(const Definitions& defs, const json::Value& root, bool warnings,
                std::vector<InvariantFailure>* out)
      : defs_(defs), root_(root), warnings_(warnings), out_(out) {
    options_.definitions = &defs;
  }

  void Resource(const json::Value& r) {
    std::string type(r.GetString("resourceType"));
    if (!defs_.IsResourceType(type)) return;
    Object(r, type, type);
  }

 private:
  // `key` is the definition key of obj's children (a type, or a backbone element's path).
  void Object(const json::Value& obj, const std::string& type, const std::string& key) {
    Check(obj, type, key);
    for (const json::Member& m : obj.members()) {
      if (m.key.empty() || m.key[0] == '_' || m.key == "resourceType") continue;
      auto child = defs_.ResolveChild(key, m.key);
      if (!child || defs_.IsPrimitiveType(child->type)) continue;
      bool resource = child->type == "Resource" || defs_.IsResourceType(child->type);
      auto visit = [&](const json::Value& item, size_t index) {
        if (!item.is_object()) return;
        steps_.push_back({&m.key, index});
        if (resource)
          Resource(item);
        else
          Object(item, child->type, child->child_key);
        steps_.pop_back();
      };
      if (m.value.is_array()) {
        for (size_t i = 0; i < m.value.items().size(); ++i) visit(m.value.items()[i], i);
      } else {
        visit(m.value, kSingle);
      }
    }
  }

  void Check(const json::Value& obj, const std::string& type, const std::string& key) {
    for (const Constraint& c : defs_.Constraints(key)) {
      if (!c.error && !warnings_) continue;
      fhirpath::Item focus = fhirpath::Item::Node(&obj, type, key);
      auto result = fhirpath::EvaluateOn(*c.compiled, focus, root_, options_);
      if (!result.ok() || result->size() != 1) continue;
      const fhirpath::Item& value = (*result)[0];
      if (value.kind == fhirpath::Item::Kind::kBoolean && !value.boolean)
        out_->push_back({&c, Path()});
    }
  }

  // The path to the object being checked, made only when it fails something.
  std::string Path() const {
    std::string path(root_.GetString("resourceType"));
    for (const Step& step : steps_) {
      path += "." + *step.member;
      if (step.index != kSingle) path += "[" + std::to_string(step.index) + "]";
    }
    return path;
  }

  static constexpr size_t kSingle = static_cast<size_t>(-1);
  struct Step {
    const std::string* member;
    size_t index;  // kSingle for a member that is not an array
  };
  const Definitions& defs_;
  const json::Value& root_;
  bool warnings_;
  std::vector<InvariantFailure>* out_;
  fhirpath::EvalOptions options_;
  std::vector<Step> steps_;
};

}  // namespace

std::vector<InvariantFailure> FailedInvariants(const Definitions& defs, const json::Value& resource,
                                               bool warnings) {
  std::vector<InvariantFailure> out;
  InvariantWalk(defs, resource, warnings, &out).Resource(resource);
  return out;
}

}  // namespace kangyun::fhir
