#include "fhir/binding_advice.h"

#include "fhir/codings.h"

namespace kangyun::fhir {
namespace {

class AdviceWalk {
 public:
  AdviceWalk(const Definitions& defs, std::vector<BindingAdvice>* out) : defs_(defs), out_(out) {}

  void Resource(const json::Value& r, const std::string& path) {
    std::string type(r.GetString("resourceType"));
    if (defs_.IsResourceType(type)) Object(r, type, path);
  }

 private:
  void Object(const json::Value& obj, const std::string& key, const std::string& path) {
    for (const json::Member& m : obj.members()) {
      if (m.key.empty() || m.key[0] == '_' || m.key == "resourceType") continue;
      auto child = defs_.ResolveChild(key, m.key);
      if (!child) continue;
      bool resource = child->type == "Resource" || defs_.IsResourceType(child->type);
      auto visit = [&](const json::Value& item, const std::string& item_path) {
        if (!child->def->advised_valueset.empty()) Check(item, child->type, *child->def, item_path);
        if (!item.is_object()) return;
        if (resource)
          Resource(item, item_path);
        else if (!defs_.IsPrimitiveType(child->type))
          Object(item, child->child_key, item_path);
      };
      std::string member_path = path + "." + m.key;
      if (m.value.is_array()) {
        for (size_t i = 0; i < m.value.items().size(); ++i)
          visit(m.value.items()[i], member_path + "[" + std::to_string(i) + "]");
      } else {
        visit(m.value, member_path);
      }
    }
  }

  void Check(const json::Value& v, const std::string& type, const ElementDef& def,
             const std::string& path) {
    const std::vector<Definitions::Code>* expansion = defs_.ValueSetExpansion(def.advised_valueset);
    if (!expansion) return;
    std::vector<CodingRef> codings = CodingsOf(v, type);
    if (codings.empty()) return;
    for (const auto& [system, code] : codings)
      for (const Definitions::Code& c : *expansion)
        if (c.code == code && (system.empty() || c.system == system)) return;
    out_->push_back({path, "'" + def.name + "' has no code from the value set " +
                               def.advised_valueset + " (binding " + def.advised_strength +
                               ": allowed, but not what is expected)"});
  }

  const Definitions& defs_;
  std::vector<BindingAdvice>* out_;
};

}  // namespace

std::vector<BindingAdvice> AdvisoryBindingWarnings(const Definitions& defs,
                                                   const json::Value& resource) {
  std::vector<BindingAdvice> out;
  AdviceWalk(defs, &out).Resource(resource, std::string(resource.GetString("resourceType")));
  return out;
}

}  // namespace kangyun::fhir
