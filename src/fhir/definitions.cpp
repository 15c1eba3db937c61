#include "fhir/definitions.h"

#include <algorithm>
#include <filesystem>

#include "base/files.h"
#include "base/strings.h"
#include "fhir/fhirpath/fhirpath.h"
#include "json/json.h"

namespace kangyun::fhir {
namespace {

Result<json::Value> ReadJsonFile(const std::string& path) {
  std::optional<std::string> text = ReadFileBytes(path);
  if (!text) return Status(StatusCode::kInternal, "cannot open FHIR definitions file " + path);
  json::ParseOptions options;
  options.max_depth = 512;
  auto v = json::Parse(*text, options);
  if (!v.ok()) return Internal(path + ": " + v.status().message());
  return v;
}

}  // namespace

std::string Capitalize(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

std::string TypeCode(const json::Value& type) {
  std::string code(type.GetString("code"));
  if (StartsWith(code, "http://hl7.org/fhirpath/System.")) {
    if (const json::Value* exts = type.Find("extension")) {
      for (const json::Value& e : exts->items()) {
        if (e.GetString("url") ==
            "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type") {
          std::string_view v = e.GetString("valueUrl");
          if (v.empty()) v = e.GetString("valueUri");
          if (!v.empty()) return std::string(v);
        }
      }
    }
    return AsciiLower(code.substr(std::string("http://hl7.org/fhirpath/System.").size()));
  }
  return code;
}

namespace {

const std::vector<const ElementDef*> kNoChildren;

}  // namespace

Result<std::unique_ptr<Definitions>> Definitions::Load(const std::string& dir) {
  std::unique_ptr<Definitions> defs(new Definitions());
  defs->dir_ = dir;
  for (const char* file : {"profiles-types.json", "profiles-resources.json"}) {
    KY_ASSIGN_OR_RETURN(json::Value bundle, ReadJsonFile(dir + "/" + file));
    KY_RETURN_IF_ERROR(defs->LoadStructureDefinitions(bundle));
  }
  {
    KY_ASSIGN_OR_RETURN(json::Value bundle, ReadJsonFile(dir + "/valuesets.json"));
    defs->LoadValueSets(bundle);
  }
  {
    KY_ASSIGN_OR_RETURN(json::Value cd, ReadJsonFile(dir + "/compartmentdefinition-patient.json"));
    KY_RETURN_IF_ERROR(defs->LoadCompartment(cd));
  }
  // The other compartments, where installed (scripts/install-deps takes them from R4's
  // examples package, which carries the official definitions).
  for (const char* owner : {"encounter", "relatedPerson", "practitioner", "device"}) {
    std::string path = dir + "/compartmentdefinition-" + AsciiLower(owner) + ".json";
    if (!std::filesystem::exists(path)) continue;
    KY_ASSIGN_OR_RETURN(json::Value cd, ReadJsonFile(path));
    KY_RETURN_IF_ERROR(defs->LoadCompartment(cd));
  }
  std::sort(defs->resource_types_.begin(), defs->resource_types_.end());
  if (defs->resource_types_.size() < 100)
    return Internal("FHIR definitions in " + dir + " look incomplete");
  return defs;
}

Status Definitions::LoadStructureDefinitions(const json::Value& bundle) {
  const json::Value* entries = bundle.Find("entry");
  if (!entries) return Internal("definitions bundle has no entries");
  for (const json::Value& entry : entries->items()) {
    const json::Value* sd = entry.Find("resource");
    if (sd && sd->GetString("resourceType") == "OperationDefinition") {
      operation_definitions_.emplace(std::string(sd->GetString("url")), *sd);
      continue;
    }
    if (!sd || sd->GetString("resourceType") != "StructureDefinition") continue;
    if (sd->GetString("derivation") == "constraint") continue;  // profiles, not base types
    std::string kind(sd->GetString("kind"));
    std::string name(sd->GetString("type"));
    if (name.empty() || kind == "logical") continue;
    kinds_[name] = kind;
    std::string_view base = sd->GetString("baseDefinition");
    if (auto slash = base.rfind('/'); slash != std::string_view::npos)
      base_type_[name] = std::string(base.substr(slash + 1));
    if (kind == "resource" && sd->Find("abstract") && !sd->Find("abstract")->as_bool()) {
      resource_types_.push_back(name);
      resource_type_set_.insert(name);
    }
    const json::Value* snapshot = sd->Find("snapshot");
    const json::Value* elements = snapshot ? snapshot->Find("element") : nullptr;
    if (!elements) continue;
    for (const json::Value& el : elements->items()) {
      ElementDef def;
      def.path = std::string(el.GetString("path"));
      if (const json::Value* constraints = el.Find("constraint")) {
        for (const json::Value& c : constraints->items()) {
          std::string key(c.GetString("key"));
          std::string expression(c.GetString("expression"));
          if (key == "ele-1" || key == "ext-1" || expression.empty()) continue;
          // An expression this FHIRPath engine cannot compile is left out, not guessed at.
          auto compiled = fhirpath::Compile(expression);
          if (!compiled.ok()) continue;
          constraints_[def.path].push_back(Constraint{key, c.GetString("severity") == "error",
                                                      std::string(c.GetString("human")),
                                                      std::move(expression), *compiled});
        }
      }
      auto dot = def.path.rfind('.');
      if (dot == std::string::npos) continue;  // the root element
      std::string last = def.path.substr(dot + 1);
      def.is_choice = EndsWith(last, "[x]");
      def.name = def.is_choice ? last.substr(0, last.size() - 3) : last;
      if (const json::Value* min = el.Find("min"); min && min->is_number())
        def.min = std::atoi(min->str().c_str());
      std::string_view max = el.GetString("max");
      def.many = max == "*" || (max != "0" && max != "1" && !max.empty());
      if (const json::Value* types = el.Find("type")) {
        for (const json::Value& t : types->items()) def.types.push_back(TypeCode(t));
      }
      if (const json::Value* summary = el.Find("isSummary"); summary && summary->is_bool())
        def.is_summary = summary->as_bool();
      std::string_view content_ref = el.GetString("contentReference");
      if (!content_ref.empty() && content_ref[0] == '#')
        def.content_reference = std::string(content_ref.substr(1));
      if (const json::Value* binding = el.Find("binding")) {
        std::string vs(binding->GetString("valueSet"));
        if (auto bar = vs.find('|'); bar != std::string::npos) vs.resize(bar);
        std::string_view strength = binding->GetString("strength");
        if (strength == "required") {
          def.required_valueset = vs;
        } else if (strength == "extensible" || strength == "preferred") {
          def.advised_valueset = vs;
          def.advised_strength = std::string(strength);
        }
      }
      std::string parent = def.path.substr(0, dot);
      auto [it, inserted] = elements_.emplace(def.path, std::move(def));
      if (inserted) children_[parent].push_back(&it->second);
    }
  }
  return Status::Ok();
}

void Definitions::LoadValueSets(const json::Value& bundle) {
  const json::Value* entries = bundle.Find("entry");
  if (!entries) return;
  // CodeSystems first: a ValueSet may include a whole system. Nested concepts are children.
  for (const json::Value& entry : entries->items()) {
    const json::Value* r = entry.Find("resource");
    if (!r || r->GetString("resourceType") != "CodeSystem") continue;
    CodeSystemTree& tree = code_systems_[std::string(r->GetString("url"))];
    std::vector<std::pair<const json::Value*, std::string>> stack{{r, ""}};
    while (!stack.empty()) {
      auto [node, parent] = stack.back();
      stack.pop_back();
      const json::Value* concepts = node->Find("concept");
      if (!concepts) continue;
      for (const json::Value& c : concepts->items()) {
        std::string code(c.GetString("code"));
        tree.codes.push_back(code);
        if (!parent.empty()) {
          tree.parent[code] = parent;
          tree.children[parent].push_back(code);
        }
        stack.emplace_back(&c, code);
      }
    }
  }
  for (const json::Value& entry : entries->items()) {
    const json::Value* r = entry.Find("resource");
    if (!r || r->GetString("resourceType") != "ValueSet") continue;
    const json::Value* compose = r->Find("compose");
    const json::Value* includes = compose ? compose->Find("include") : nullptr;
    if (!includes || compose->Find("exclude")) continue;
    std::vector<Code> expansion;
    bool complete = true;
    for (const json::Value& inc : includes->items()) {
      std::string system(inc.GetString("system"));
      if (inc.Find("filter") || inc.Find("valueSet") || system.empty()) {
        complete = false;
        break;
      }
      if (const json::Value* concepts = inc.Find("concept")) {
        for (const json::Value& c : concepts->items())
          expansion.push_back({system, std::string(c.GetString("code"))});
      } else {
        auto sys = code_systems_.find(system);
        if (sys == code_systems_.end() || sys->second.codes.empty()) {
          complete = false;
          break;
        }
        for (const std::string& code : sys->second.codes) expansion.push_back({system, code});
      }
    }
    if (!complete || expansion.empty()) continue;
    std::string url(r->GetString("url"));
    auto& codes = valuesets_[url];
    for (const Code& c : expansion) codes.insert(c.code);
    expansions_[url] = std::move(expansion);
  }
}

const std::vector<Definitions::Code>* Definitions::ValueSetExpansion(std::string_view url) const {
  std::string key(url);
  if (auto bar = key.find('|'); bar != std::string::npos) key.resize(bar);
  auto it = expansions_.find(key);
  return it == expansions_.end() ? nullptr : &it->second;
}

std::optional<std::vector<std::string>> Definitions::Subsumed(std::string_view system,
                                                              std::string_view code,
                                                              bool below) const {
  auto sys = code_systems_.find(std::string(system));
  // A CodeSystem without concepts (SNOMED CT, LOINC) is known by name only.
  if (sys == code_systems_.end() || sys->second.codes.empty()) return std::nullopt;
  const CodeSystemTree& tree = sys->second;
  std::vector<std::string> out{std::string(code)};
  if (below) {
    for (size_t i = 0; i < out.size(); ++i) {
      auto kids = tree.children.find(out[i]);
      if (kids != tree.children.end())
        out.insert(out.end(), kids->second.begin(), kids->second.end());
    }
  } else {
    for (auto p = tree.parent.find(out.back()); p != tree.parent.end() && out.size() < 64;
         p = tree.parent.find(out.back()))
      out.push_back(p->second);
  }
  return out;
}

Status Definitions::LoadCompartment(const json::Value& cd) {
  std::string code(cd.GetString("code"));
  if (code.empty()) return Internal("a CompartmentDefinition without its code");
  Compartment& compartment = compartments_[code];
  const json::Value* resources = cd.Find("resource");
  if (!resources) return Status::Ok();
  for (const json::Value& r : resources->items()) {
    const json::Value* params = r.Find("param");
    if (!params) continue;
    std::string type(r.GetString("code"));
    auto& list = compartment[type];
    for (const json::Value& p : params->items()) {
      // A Patient's `link` makes it part of the linked Patient's compartment. Kangyun's person
      // registry writes those links between records of different institutions, and access
      // rules are built on compartments: a record linked to a master would open the master to
      // whoever may see the record. The registry follows links itself where it should
      // ($everything, PIXm), as far as the requester may see each record.
      if (code == "Patient" && type == "Patient" && p.str() == "link") continue;
      list.emplace_back(p.str());
    }
  }
  return Status::Ok();
}

const Definitions::Compartment* Definitions::CompartmentOf(std::string_view owner_type) const {
  auto it = compartments_.find(owner_type);
  return it == compartments_.end() ? nullptr : &it->second;
}

std::vector<std::string> Definitions::CompartmentOwners() const {
  std::vector<std::string> out;
  for (const auto& [owner, compartment] : compartments_) out.push_back(owner);
  return out;
}

bool Definitions::IsResourceType(std::string_view name) const {
  return resource_type_set_.count(std::string(name)) > 0;
}

bool Definitions::IsPrimitiveType(std::string_view type) const {
  auto it = kinds_.find(std::string(type));
  return it != kinds_.end() && it->second == "primitive-type";
}

bool Definitions::IsKnownType(std::string_view type) const {
  return kinds_.count(std::string(type)) > 0;
}

bool Definitions::IsSubtypeOf(std::string_view type, std::string_view base) const {
  std::string t(type);
  for (int guard = 0; guard < 16 && !t.empty(); ++guard) {
    if (t == base) return true;
    auto it = base_type_.find(t);
    if (it == base_type_.end()) return false;
    t = it->second;
  }
  return false;
}

std::string Definitions::ChildKeyFor(const ElementDef& def, const std::string& type) const {
  if (!def.content_reference.empty()) return def.content_reference;
  if (type == "BackboneElement" || type == "Element") {
    // Inline structure when the element has children of its own.
    if (children_.count(def.path)) return def.path;
  }
  return type;
}

std::optional<ChildElement> Definitions::ResolveChild(std::string_view parent_key,
                                                      std::string_view json_name) const {
  std::string path;
  path.reserve(parent_key.size() + json_name.size() + 4);
  path.append(parent_key).append(".").append(json_name);
  auto it = elements_.find(path);
  if (it != elements_.end() && !it->second.is_choice) {
    const ElementDef& def = it->second;
    std::string type = def.types.empty() ? std::string() : def.types[0];
    if (!def.content_reference.empty()) {
      // The referenced element's type (usually BackboneElement).
      auto ref = elements_.find(def.content_reference);
      if (ref != elements_.end() && !ref->second.types.empty()) type = ref->second.types[0];
    }
    return ChildElement{&def, type, ChildKeyFor(def, type)};
  }
  // A choice element: "valueQuantity" is "value[x]" with type Quantity.
  auto children = children_.find(std::string(parent_key));
  if (children == children_.end()) return std::nullopt;
  for (const ElementDef* def : children->second) {
    if (!def->is_choice || !StartsWith(json_name, def->name)) continue;
    std::string_view suffix = json_name.substr(def->name.size());
    for (const std::string& t : def->types) {
      if (Capitalize(t) == suffix) return ChildElement{def, t, ChildKeyFor(*def, t)};
    }
  }
  return std::nullopt;
}

const std::vector<const ElementDef*>& Definitions::Children(std::string_view parent_key) const {
  auto it = children_.find(std::string(parent_key));
  return it == children_.end() ? kNoChildren : it->second;
}

const std::vector<Constraint>& Definitions::Constraints(std::string_view key) const {
  static const std::vector<Constraint> kNone;
  auto it = constraints_.find(std::string(key));
  return it == constraints_.end() ? kNone : it->second;
}

const std::unordered_set<std::string>* Definitions::ValueSetCodes(std::string_view url) const {
  auto it = valuesets_.find(std::string(url));
  return it == valuesets_.end() ? nullptr : &it->second;
}

const json::Value* Definitions::OperationDefinition(std::string_view url) const {
  auto it = operation_definitions_.find(std::string(url));
  return it == operation_definitions_.end() ? nullptr : &it->second;
}

}  // namespace kangyun::fhir
