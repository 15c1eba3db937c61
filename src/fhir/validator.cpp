#include "fhir/validator.h"

#include "base/strings.h"
#include "fhir/codings.h"
#include "fhir/datetime.h"
#include "fhir/invariants.h"

namespace kangyun::fhir {
namespace {

constexpr int kMaxDepth = 64;

bool IsIntegerText(const std::string& s) { return s.find_first_of(".eE") == std::string::npos; }

bool IsBase64(std::string_view s) {
  size_t n = 0, pad = 0;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\r') continue;
    if (c == '=') {
      ++pad;
    } else if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/')) {
      return false;
    }
    ++n;
  }
  return pad <= 2 && n % 4 == 0;
}

}  // namespace

bool Validator::IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.'))
      return false;
  return true;
}

std::string Validator::CheckPrimitive(std::string_view type, const json::Value& v) {
  if (type == "boolean") return v.is_bool() ? "" : "must be a JSON boolean";
  if (type == "integer" || type == "positiveInt" || type == "unsignedInt") {
    if (!v.is_number() || !IsIntegerText(v.str())) return "must be a JSON integer";
    if (v.str().size() > 11) return "is out of range for an integer";
    long long n = std::stoll(v.str());
    if (n > 2147483647LL || n < -2147483648LL) return "is out of range for an integer";
    if (type == "positiveInt" && n < 1) return "must be a positive integer";
    if (type == "unsignedInt" && n < 0) return "must not be negative";
    return "";
  }
  if (type == "decimal") return v.is_number() ? "" : "must be a JSON number";
  if (!v.is_string()) return "must be a JSON string";
  const std::string& s = v.str();
  if (s.empty()) return "must not be empty";
  if (s.size() > 1048576) return "is longer than 1 MiB";
  if (type == "code") {
    if (Trim(s).size() != s.size()) return "must not have leading or trailing whitespace";
    return "";
  }
  if (type == "id") return IsValidId(s) ? "" : "is not a valid id ([A-Za-z0-9\\-\\.]{1,64})";
  if (type == "uri" || type == "url" || type == "canonical") {
    for (char c : s)
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return "must not contain whitespace";
    return "";
  }
  if (type == "oid") return StartsWith(s, "urn:oid:") ? "" : "must start with urn:oid:";
  if (type == "uuid") return StartsWith(s, "urn:uuid:") ? "" : "must start with urn:uuid:";
  if (type == "date") {
    auto d = ParseDateTime(s);
    if (!d || d->precision > DatePrecision::kDay)
      return "is not a valid date (YYYY, YYYY-MM or YYYY-MM-DD)";
    return "";
  }
  if (type == "dateTime") {
    auto d = ParseDateTime(s);
    if (!d) return "is not a valid dateTime";
    if (d->precision > DatePrecision::kDay && !d->tz_offset_minutes)
      return "needs a time zone when it has a time";
    return "";
  }
  if (type == "instant") {
    auto d = ParseDateTime(s);
    if (!d || d->precision < DatePrecision::kSecond || !d->tz_offset_minutes)
      return "is not a valid instant (full date, time to seconds, and zone)";
    return "";
  }
  if (type == "time") {
    auto t = ParseTime(s);
    if (!t || t->precision < DatePrecision::kSecond) return "is not a valid time (hh:mm:ss)";
    return "";
  }
  if (type == "base64Binary") return IsBase64(s) ? "" : "is not valid base64";
  return "";  // string, markdown, xhtml
}

Status Validator::ValidateStructure(const json::Value& resource) const {
  if (!resource.is_object()) return Invalid("A resource must be a JSON object");
  std::string_view type = resource.GetString("resourceType");
  if (type.empty()) return Invalid("Missing resourceType", "resourceType");
  if (!defs_.IsResourceType(type))
    return Invalid("Unknown resource type '" + std::string(type) + "'", "resourceType");
  return ValidateResource(resource, std::string(type), 0);
}

Status Validator::Validate(const json::Value& resource) const {
  KY_RETURN_IF_ERROR(ValidateStructure(resource));
  std::vector<InvariantFailure> failed = FailedInvariants(defs_, resource, /*warnings=*/false);
  if (!failed.empty())
    return Unprocessable(
        "Invariant " + failed[0].constraint->key + " failed: " + failed[0].constraint->human,
        failed[0].path);
  return Status::Ok();
}

Status Validator::ValidateResource(const json::Value& r, const std::string& path, int depth) const {
  if (!r.is_object()) return Unprocessable("A resource must be a JSON object", path);
  std::string type(r.GetString("resourceType"));
  if (!defs_.IsResourceType(type))
    return Unprocessable("Unknown resource type '" + type + "'", path + ".resourceType");
  if (const json::Value* id = r.Find("id")) {
    if (!id->is_string() || !IsValidId(id->str()))
      return Unprocessable("Resource id is not valid ([A-Za-z0-9\\-\\.]{1,64})", path + ".id");
  }
  return ValidateObject(r, type, path, depth);
}

Status Validator::ValidateObject(const json::Value& obj, const std::string& def_key,
                                 const std::string& path, int depth) const {
  if (depth > kMaxDepth) return Unprocessable("Resource nested too deep", path);
  if (obj.members().empty()) return Unprocessable("Empty objects are not allowed", path);
  for (const json::Member& m : obj.members()) {
    if (m.key == "resourceType") continue;
    if (m.key == "fhir_comments") continue;
    std::string member_path = path + "." + m.key;
    if (!m.key.empty() && m.key[0] == '_') {
      // Extensions and ids of primitive elements.
      auto base = defs_.ResolveChild(def_key, std::string_view(m.key).substr(1));
      if (!base) return Unprocessable("Unknown element '" + m.key + "'", member_path);
      ChildElement element{base->def, "Element", "Element"};
      const auto& items = m.value.is_array() ? m.value.items() : std::vector<json::Value>{m.value};
      for (size_t i = 0; i < items.size(); ++i) {
        if (items[i].is_null()) continue;
        if (!items[i].is_object())
          return Unprocessable("Primitive extension must be an object", member_path);
        KY_RETURN_IF_ERROR(ValidateObject(items[i], "Element", member_path, depth + 1));
      }
      continue;
    }
    auto child = defs_.ResolveChild(def_key, m.key);
    if (!child) return Unprocessable("Unknown element '" + m.key + "'", member_path);
    const ElementDef& def = *child->def;
    if (def.is_choice) {
      // A choice element holds one of its types: valueString or valueBoolean, not both.
      for (const json::Member& other : obj.members()) {
        if (&other == &m) break;
        if (other.key.empty() || other.key[0] == '_') continue;
        auto earlier = defs_.ResolveChild(def_key, other.key);
        if (earlier && earlier->def == &def)
          return Unprocessable("Only one type of '" + def.name + "[x]' may be given: '" +
                                   other.key + "' and '" + m.key + "' are both present",
                               member_path);
      }
    }
    if (def.many) {
      if (!m.value.is_array())
        return Unprocessable("Element '" + m.key + "' must be an array", member_path);
      if (m.value.items().empty()) return Unprocessable("Arrays must not be empty", member_path);
      const json::Value* ext = obj.Find("_" + m.key);
      for (size_t i = 0; i < m.value.items().size(); ++i) {
        const json::Value& item = m.value.items()[i];
        std::string item_path = member_path + "[" + std::to_string(i) + "]";
        if (item.is_null()) {
          // Allowed only where a parallel _element carries this item's extensions.
          if (!ext || !ext->is_array() || i >= ext->items().size() || ext->items()[i].is_null())
            return Unprocessable("null is not allowed here", item_path);
          continue;
        }
        KY_RETURN_IF_ERROR(ValidateValue(item, *child, item_path, depth));
      }
    } else {
      if (m.value.is_array())
        return Unprocessable("Element '" + m.key + "' must not be an array", member_path);
      KY_RETURN_IF_ERROR(ValidateValue(m.value, *child, member_path, depth));
    }
  }
  // Required elements.
  for (const ElementDef* def : defs_.Children(def_key)) {
    if (def->min < 1) continue;
    bool present = obj.Find(def->name) != nullptr || obj.Find("_" + def->name) != nullptr;
    if (!present && def->is_choice) {
      for (const json::Member& m : obj.members())
        if (m.key.size() > def->name.size() && StartsWith(m.key, def->name)) present = true;
    }
    if (!present)
      return Unprocessable("Missing required element '" + def->name + "'", path + "." + def->name);
  }
  return Status::Ok();
}

Status Validator::ValidateValue(const json::Value& v, const ChildElement& child,
                                const std::string& path, int depth) const {
  const std::string& type = child.type;
  if (type == "Resource" || type == "DomainResource" || defs_.IsResourceType(type))
    return ValidateResource(v, path, depth + 1);
  if (v.is_null()) return Unprocessable("null is not allowed here", path);
  if (defs_.IsPrimitiveType(type) || type == "xhtml") {
    std::string problem = CheckPrimitive(type, v);
    if (!problem.empty())
      return Unprocessable("Value of '" + child.def->name + "' " + problem, path);
    if (type == "code" && !child.def->required_valueset.empty()) {
      if (const auto* codes = defs_.ValueSetCodes(child.def->required_valueset)) {
        if (!codes->count(v.str()))
          return Unprocessable("Code '" + v.str() + "' is not in the required value set " +
                                   child.def->required_valueset,
                               path);
      }
    }
    return Status::Ok();
  }
  if (!v.is_object())
    return Unprocessable("Element '" + child.def->name + "' must be a JSON object", path);
  KY_RETURN_IF_ERROR(ValidateObject(v, child.child_key, path, depth + 1));
  if ((type == "CodeableConcept" || type == "Coding") && !child.def->required_valueset.empty())
    return CheckRequiredBinding(v, type, *child.def, path);
  return Status::Ok();
}

// A required binding on a Coding: its code (of its system) is in the value set; on a
// CodeableConcept: one of its codings is (text alone does not conform). Value sets the
// loaded definitions cannot enumerate (SNOMED CT, LOINC) are not checked.
Status Validator::CheckRequiredBinding(const json::Value& v, const std::string& type,
                                       const ElementDef& def, const std::string& path) const {
  const std::vector<Definitions::Code>* expansion = defs_.ValueSetExpansion(def.required_valueset);
  if (!expansion) return Status::Ok();
  std::vector<CodingRef> codings = CodingsOf(v, type);
  for (const CodingRef& coding : codings) {
    if (coding.code.empty()) continue;
    for (const Definitions::Code& c : *expansion)
      if (c.code == coding.code && (coding.system.empty() || c.system == coding.system))
        return Status::Ok();
  }
  std::string given;
  for (const CodingRef& coding : codings)
    given +=
        (given.empty() ? "" : ", ") + std::string(coding.system) + "|" + std::string(coding.code);
  return Unprocessable("'" + def.name + "' must have a code from the required value set " +
                           def.required_valueset +
                           (given.empty() ? std::string(" (it has none)") : "; given: " + given),
                       path);
}

}  // namespace kangyun::fhir
