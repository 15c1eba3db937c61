#include "fhir/fhirpath_patch.h"

#include <functional>

#include "base/strings.h"
#include "fhir/fhirpath/fhirpath.h"

namespace kangyun::fhir {
namespace {

// Where a value found by FHIRPath sits in the resource: the object holding it, its member's
// name, and its index when the member is a list (-1 otherwise).
struct Place {
  json::Value* holder = nullptr;
  std::string member;
  int index = -1;
};

bool Locate(json::Value& at, const json::Value* target, Place* out) {
  if (!at.is_object()) return false;
  for (json::Member& m : at.members()) {
    if (&m.value == target) {
      *out = {&at, m.key, -1};
      return true;
    }
    if (m.value.is_array()) {
      for (size_t i = 0; i < m.value.items().size(); ++i) {
        json::Value& item = m.value.items()[i];
        if (&item == target) {
          *out = {&at, m.key, static_cast<int>(i)};
          return true;
        }
        if (Locate(item, target, out)) return true;
      }
    } else if (Locate(m.value, target, out)) {
      return true;
    }
  }
  return false;
}

class Patcher {
 public:
  Patcher(const Definitions& defs, json::Value* resource) : defs_(defs), resource_(resource) {
    options_.definitions = &defs;
  }

  Status Apply(const json::Value& operation, const std::string& where) {
    where_ = where;
    std::string type, path, name;
    const json::Value* value = nullptr;
    std::optional<int64_t> index, source, destination;
    const json::Value* parts = operation.Find("part");
    if (!parts || !parts->is_array()) return Refuse("an operation has its details as parts");
    for (const json::Value& p : parts->items()) {
      std::string_view n = p.GetString("name");
      if (n == "type") type = std::string(p.GetString("valueCode"));
      if (n == "path") path = std::string(p.GetString("valueString"));
      if (n == "name") name = std::string(p.GetString("valueString"));
      if (n == "value") value = &p;
      auto integer = [&]() -> std::optional<int64_t> {
        const json::Value* v = p.Find("valueInteger");
        if (!v || !v->is_number()) return std::nullopt;
        return std::atoll(v->str().c_str());
      };
      if (n == "index") index = integer();
      if (n == "source") source = integer();
      if (n == "destination") destination = integer();
    }
    if (path.empty()) return Refuse("the operation has no path");
    if (type == "add") {
      if (name.empty() || !value) return Refuse("add needs a name and a value");
      return Add(path, name, *value);
    }
    if (type == "insert") {
      if (!value || !index) return Refuse("insert needs a value and an index");
      return Insert(path, *value, *index);
    }
    if (type == "delete") return Delete(path);
    if (type == "replace") {
      if (!value) return Refuse("replace needs a value");
      return Replace(path, *value);
    }
    if (type == "move") {
      if (!source || !destination) return Refuse("move needs a source and a destination");
      return Move(path, *source, *destination);
    }
    return Refuse("the type '" + type + "' is not one of add, insert, delete, replace, move");
  }

 private:
  Status Refuse(const std::string& what) const {
    return Status(StatusCode::kUnprocessable, "FHIRPath Patch: " + what, where_);
  }

  Result<fhirpath::Collection> Find(const std::string& path) const {
    auto compiled = fhirpath::Compile(path);
    if (!compiled.ok()) return Refuse("the path '" + path + "': " + compiled.status().message());
    auto found = fhirpath::Evaluate(**compiled, *resource_, options_);
    if (!found.ok()) return Refuse("the path '" + path + "': " + found.status().message());
    for (const fhirpath::Item& item : *found)
      if (item.kind != fhirpath::Item::Kind::kNode || !item.node)
        return Refuse("the path '" + path + "' finds values, not elements of the resource");
    return found;
  }

  Result<Place> PlaceOf(const fhirpath::Item& item, const std::string& path) const {
    Place place;
    if (!Locate(*resource_, item.node, &place))
      return Refuse("the path '" + path + "' finds the resource itself, not one of its elements");
    return place;
  }

  // The value of a `value` part: value[x] as its JSON, or parts as an object of them. The type
  // of value[x] names a choice element's member ("valueQuantity").
  Result<std::pair<json::Value, std::string>> ValueOf(const json::Value& part) const {
    if (const json::Value* parts = part.Find("part"); parts && parts->is_array()) {
      json::Value object = json::Value::Object();
      for (const json::Value& p : parts->items()) {
        std::string name(p.GetString("name"));
        if (name.empty()) return Refuse("a part of a value has no name");
        KY_ASSIGN_OR_RETURN(auto v, ValueOf(p));
        object.Set(name, std::move(v.first));
      }
      return std::make_pair(std::move(object), std::string());
    }
    for (const json::Member& m : part.members())
      if (m.key.size() > 5 && StartsWith(m.key, "value") && m.key[5] >= 'A' && m.key[5] <= 'Z')
        return std::make_pair(m.value, m.key.substr(5));
    return Refuse("a value has neither value[x] nor parts");
  }

  Status Add(const std::string& path, const std::string& name, const json::Value& part) {
    KY_ASSIGN_OR_RETURN(fhirpath::Collection found, Find(path));
    if (found.size() != 1)
      return Refuse("add needs the path '" + path + "' to find one element, it finds " +
                    std::to_string(found.size()));
    json::Value* target = const_cast<json::Value*>(found[0].node);
    if (!target->is_object())
      return Refuse("add needs '" + path + "' to be an element with children");
    KY_ASSIGN_OR_RETURN(auto value, ValueOf(part));
    std::string member = name;
    bool many = false;
    auto child = defs_.ResolveChild(found[0].def_key, name);
    if (!child && !value.second.empty())
      child = defs_.ResolveChild(found[0].def_key, name + value.second);
    if (child) {
      many = child->def->many;
      if (child->def->is_choice) member = name + Capitalize(value.second);
    }
    json::Value* existing = target->Find(member);
    if (many) {
      if (!existing) existing = &target->Set(member, json::Value::Array());
      existing->Push(std::move(value.first));
      return Status::Ok();
    }
    if (existing) return Refuse("'" + path + "' has a " + member + " already (replace it)");
    target->Set(member, std::move(value.first));
    return Status::Ok();
  }

  // The list a path names: the array its elements are in.
  Result<json::Value*> ListOf(const std::string& path, bool create) {
    KY_ASSIGN_OR_RETURN(fhirpath::Collection found, Find(path));
    if (!found.empty()) {
      KY_ASSIGN_OR_RETURN(Place first, PlaceOf(found[0], path));
      if (first.index < 0) return Refuse("'" + path + "' is not a list");
      return first.holder->Find(first.member);
    }
    if (!create) return Refuse("'" + path + "' finds no list");
    // An empty list: its parent, and the list made there.
    size_t dot = path.rfind('.');
    if (dot == std::string::npos) return Refuse("'" + path + "' finds no list");
    KY_ASSIGN_OR_RETURN(fhirpath::Collection parent, Find(path.substr(0, dot)));
    if (parent.size() != 1 || !parent[0].node->is_object())
      return Refuse("'" + path + "' finds no list, nor one element to make it in");
    return &const_cast<json::Value*>(parent[0].node)
                ->Set(path.substr(dot + 1), json::Value::Array());
  }

  Status Insert(const std::string& path, const json::Value& part, int64_t index) {
    KY_ASSIGN_OR_RETURN(json::Value * list, ListOf(path, true));
    if (index < 0 || index > static_cast<int64_t>(list->items().size()))
      return Refuse("insert at " + std::to_string(index) + " in a list of " +
                    std::to_string(list->items().size()));
    KY_ASSIGN_OR_RETURN(auto value, ValueOf(part));
    list->items().insert(list->items().begin() + index, std::move(value.first));
    return Status::Ok();
  }

  Status Delete(const std::string& path) {
    KY_ASSIGN_OR_RETURN(fhirpath::Collection found, Find(path));
    if (found.empty()) return Status::Ok();  // nothing to delete is not an error
    if (found.size() > 1)
      return Refuse("delete needs '" + path + "' to find one element, it finds " +
                    std::to_string(found.size()));
    KY_ASSIGN_OR_RETURN(Place place, PlaceOf(found[0], path));
    json::Value* member = place.holder->Find(place.member);
    if (place.index >= 0) {
      member->items().erase(member->items().begin() + place.index);
      if (member->items().empty()) place.holder->Erase(place.member);
    } else {
      place.holder->Erase(place.member);
    }
    return Status::Ok();
  }

  Status Replace(const std::string& path, const json::Value& part) {
    KY_ASSIGN_OR_RETURN(fhirpath::Collection found, Find(path));
    if (found.size() != 1)
      return Refuse("replace needs '" + path + "' to find one element, it finds " +
                    std::to_string(found.size()));
    KY_ASSIGN_OR_RETURN(auto value, ValueOf(part));
    KY_ASSIGN_OR_RETURN(Place place, PlaceOf(found[0], path));
    json::Value* member = place.holder->Find(place.member);
    if (place.index >= 0) {
      member->items()[static_cast<size_t>(place.index)] = std::move(value.first);
      return Status::Ok();
    }
    // A choice element may change type: `Observation.value` found valueQuantity, and the
    // value is a string.
    std::string element = path.substr(path.rfind('.') + 1);
    if (!value.second.empty() && place.member != element && StartsWith(place.member, element) &&
        place.member != element + Capitalize(value.second)) {
      place.holder->Erase(place.member);
      place.holder->Set(element + Capitalize(value.second), std::move(value.first));
      return Status::Ok();
    }
    *member = std::move(value.first);
    return Status::Ok();
  }

  Status Move(const std::string& path, int64_t source, int64_t destination) {
    KY_ASSIGN_OR_RETURN(json::Value * list, ListOf(path, false));
    auto& items = list->items();
    auto n = static_cast<int64_t>(items.size());
    if (source < 0 || source >= n || destination < 0 || destination >= n)
      return Refuse("move from " + std::to_string(source) + " to " + std::to_string(destination) +
                    " in a list of " + std::to_string(n));
    json::Value moved = std::move(items[static_cast<size_t>(source)]);
    items.erase(items.begin() + source);
    items.insert(items.begin() + destination, std::move(moved));
    return Status::Ok();
  }

  const Definitions& defs_;
  json::Value* resource_;
  fhirpath::EvalOptions options_;
  std::string where_;
};

}  // namespace

Status ApplyFhirPathPatch(const Definitions& defs, const json::Value& patch,
                          json::Value* resource) {
  if (patch.GetString("resourceType") != "Parameters")
    return Status(StatusCode::kUnprocessable, "FHIRPath Patch is a Parameters resource",
                  "resourceType");
  const json::Value* params = patch.Find("parameter");
  if (!params || !params->is_array() || params->items().empty())
    return Status(StatusCode::kUnprocessable, "FHIRPath Patch: no operations", "Parameters");
  Patcher patcher(defs, resource);
  for (size_t i = 0; i < params->items().size(); ++i) {
    const json::Value& op = params->items()[i];
    std::string where = "Parameters.parameter[" + std::to_string(i) + "]";
    if (op.GetString("name") != "operation")
      return Status(StatusCode::kUnprocessable, "FHIRPath Patch: every parameter is an operation",
                    where);
    KY_RETURN_IF_ERROR(patcher.Apply(op, where));
  }
  return Status::Ok();
}

}  // namespace kangyun::fhir
