#include "fhir/invariants.h"

#include "fhir/fhirpath/fhirpath.h"

namespace kangyun::fhir {
namespace {

class InvariantWalk {
 public:
  InvariantWalk(const Definitions& defs, const json::Value& top, bool warnings,
                std::vector<InvariantFailure>* out)
      : defs_(defs), top_(top), resource_(&top), warnings_(warnings), out_(out) {
    options_.definitions = &defs;
  }

  // %resource is the resource an element is part of: a Bundle entry's or a contained
  // resource's own constraints (sdf-8, bdl-4) speak of it, not of the Bundle; %rootResource is
  // a contained resource's container (ref-1: a local reference points among its contained).
  void Resource(const json::Value& r, bool contained = false) {
    std::string type(r.GetString("resourceType"));
    if (!defs_.IsResourceType(type)) return;
    const json::Value* outer = resource_;
    const json::Value* outer_root = options_.root_resource;
    if (!contained)
      options_.root_resource = nullptr;
    else if (!options_.root_resource)
      options_.root_resource = resource_;
    resource_ = &r;
    Object(r, type, type);
    resource_ = outer;
    options_.root_resource = outer_root;
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
          Resource(item, m.key == "contained");
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
      auto result = fhirpath::EvaluateOn(*c.compiled, focus, *resource_, options_);
      if (!result.ok() || result->size() != 1) continue;
      const fhirpath::Item& value = (*result)[0];
      if (value.kind == fhirpath::Item::Kind::kBoolean && !value.boolean)
        out_->push_back({&c, Path()});
    }
  }

  // The path to the object being checked, made only when it fails something.
  std::string Path() const {
    std::string path(top_.GetString("resourceType"));
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
  const json::Value& top_;
  const json::Value* resource_;  // the innermost resource being walked
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
