#include "search/index_extractor.h"

#include <algorithm>
#include <cstdlib>

#include "base/strings.h"
#include "fhir/datetime.h"
#include "fhir/fhirpath/fhirpath.h"
#include "fhir/fhirpath/quantity.h"
#include "fhir/normalize.h"
#include "search/resource_text.h"

namespace kangyun::search {
namespace {

using fhir::fhirpath::Item;
using store::IndexRows;

bool IsQuantityType(const std::string& t) {
  return t == "Quantity" || t == "Age" || t == "Duration" || t == "Count" || t == "Distance" ||
         t == "SimpleQuantity" || t == "MoneyQuantity" || t == "Money";
}

double ToDouble(const json::Value* v) {
  return v && v->is_number() ? std::strtod(v->str().c_str(), nullptr) : 0;
}

void AddString(const std::string& param, std::string_view value, IndexRows* rows) {
  if (value.empty()) return;
  rows->strings.push_back({param, fhir::NormalizeForSearch(value), std::string(value)});
}

void AddStringsOf(const std::string& param, const json::Value& obj, const char* const* keys,
                  IndexRows* rows) {
  for (const char* const* k = keys; *k; ++k) {
    const json::Value* v = obj.Find(*k);
    if (!v) continue;
    if (v->is_string()) AddString(param, v->str(), rows);
    for (const json::Value& e : v->items())
      if (e.is_string()) AddString(param, e.str(), rows);
  }
}

bool DateRange(const std::string& s, int64_t* low, int64_t* high) {
  auto dt = fhir::ParseDateTime(s, true);
  if (!dt) return false;
  *low = dt->LowMicros();
  *high = dt->HighMicros();
  return true;
}

// The [low, high] a date-like item covers.
bool ItemDateRange(const Item& item, int64_t* low, int64_t* high) {
  if (!item.node) return false;
  const json::Value& v = *item.node;
  if (v.is_string()) return DateRange(v.str(), low, high);
  if (!v.is_object()) return false;
  if (item.type == "Period") {
    int64_t l = INT64_MIN, h = INT64_MAX, ignore;
    bool any = false;
    if (auto s = v.GetString("start"); !s.empty()) any = DateRange(std::string(s), &l, &ignore);
    if (auto e = v.GetString("end"); !e.empty())
      any = DateRange(std::string(e), &ignore, &h) || any;
    *low = l;
    *high = h;
    return any;
  }
  if (item.type == "Timing") {
    const json::Value* events = v.Find("event");
    if (!events) return false;
    bool any = false;
    int64_t l = INT64_MAX, h = INT64_MIN;
    for (const json::Value& e : events->items()) {
      int64_t a, b;
      if (e.is_string() && DateRange(e.str(), &a, &b)) {
        l = std::min(l, a);
        h = std::max(h, b);
        any = true;
      }
    }
    *low = l;
    *high = h;
    return any;
  }
  return false;
}

void AddToken(const std::string& param, const Item& item, IndexRows* rows) {
  if (!item.node) {
    Item v = fhir::fhirpath::ToSystemValue(item);
    if (v.kind == Item::Kind::kString) rows->tokens.push_back({param, "", v.text, ""});
    if (v.kind == Item::Kind::kBoolean)
      rows->tokens.push_back({param, "", v.boolean ? "true" : "false", ""});
    return;
  }
  const json::Value& v = *item.node;
  if (v.is_bool()) {
    rows->tokens.push_back({param, "", v.as_bool() ? "true" : "false", ""});
    return;
  }
  if (v.is_string()) {
    rows->tokens.push_back({param, "", v.str(), ""});
    return;
  }
  if (v.is_number()) {
    rows->tokens.push_back({param, "", v.str(), ""});
    return;
  }
  if (!v.is_object()) return;
  const std::string& t = item.type;
  auto add_coding = [&](const json::Value& c, const std::string& text) {
    std::string code(c.GetString("code"));
    std::string display = text.empty() ? fhir::NormalizeForSearch(c.GetString("display")) : text;
    if (code.empty() && display.empty()) return;
    rows->tokens.push_back({param, std::string(c.GetString("system")), code, display});
  };
  if (t == "CodeableConcept" || (t.empty() && v.Find("coding"))) {
    std::string text = fhir::NormalizeForSearch(v.GetString("text"));
    const json::Value* codings = v.Find("coding");
    bool any = false;
    if (codings) {
      for (const json::Value& c : codings->items()) {
        add_coding(c, fhir::NormalizeForSearch(c.GetString("display")));
        any = true;
      }
    }
    if (!text.empty()) rows->tokens.push_back({param, "", "", text});
    (void)any;
    return;
  }
  if (t == "Coding") {
    add_coding(v, "");
    return;
  }
  if (t == "Identifier" || (t.empty() && v.Find("value") && v.Find("system"))) {
    std::string type_text;
    if (const json::Value* type = v.Find("type"))
      type_text = fhir::NormalizeForSearch(type->GetString("text"));
    std::string value(v.GetString("value"));
    if (value.empty()) return;
    rows->tokens.push_back({param, std::string(v.GetString("system")), value, type_text});
    // :of-type searches the identifier's type coding together with its value.
    if (const json::Value* type = v.Find("type")) {
      if (const json::Value* codings = type->Find("coding")) {
        for (const json::Value& c : codings->items()) {
          rows->tokens.push_back({param + ":of-type", std::string(c.GetString("system")),
                                  std::string(c.GetString("code")) + "|" + value, ""});
        }
      }
    }
    return;
  }
  if (t == "ContactPoint") {
    std::string value(v.GetString("value"));
    if (!value.empty())
      rows->tokens.push_back({param, std::string(v.GetString("system")), value, ""});
    return;
  }
  if (t == "Reference") {  // token on a Reference: its identifier
    if (const json::Value* id = v.Find("identifier"))
      rows->tokens.push_back(
          {param, std::string(id->GetString("system")), std::string(id->GetString("value")), ""});
  }
}

void AddReference(const std::string& param, const Item& item, IndexRows* rows) {
  if (!item.node) return;
  const json::Value& v = *item.node;
  std::string ref;
  if (v.is_string()) {
    ref = v.str();
    if (auto bar = ref.find('|'); bar != std::string::npos) ref.resize(bar);  // canonical|version
  } else if (v.is_object()) {
    ref = std::string(v.GetString("reference"));
    if (const json::Value* ident = v.Find("identifier")) {
      // Kept as a token so that :identifier searches find it.
      rows->tokens.push_back({param + ":identifier", std::string(ident->GetString("system")),
                              std::string(ident->GetString("value")), ""});
    }
  }
  if (ref.empty() || ref[0] == '#') return;
  store::ReferenceRow row{param, "", "", ""};
  std::string type, id;
  bool absolute = ref.find("://") != std::string::npos || StartsWith(ref, "urn:");
  if (ParseLocalReference(ref, &type, &id)) {
    row.target_type = type;
    row.target_id = id;
  }
  if (absolute) row.url = ref;
  if (row.target_id.empty() && row.url.empty()) return;
  rows->references.push_back(std::move(row));
}

void AddQuantity(const std::string& param, const Item& item, IndexRows* rows) {
  if (!item.node || !item.node->is_object()) return;
  const json::Value& v = *item.node;
  const json::Value* value = v.Find("value");
  if (!value || !value->is_number()) return;
  store::QuantityRow row;
  row.param = param;
  row.value = ToDouble(value);
  if (item.type == "Money") {
    row.code = std::string(v.GetString("currency"));
    row.system = "urn:iso:std:iso:4217";
  } else {
    row.system = std::string(v.GetString("system"));
    row.code = std::string(v.GetString("code"));
    if (row.code.empty()) row.code = std::string(v.GetString("unit"));
  }
  row.canonical_value = row.value;
  if (row.system.empty() || row.system == "http://unitsofmeasure.org") {
    if (auto canon = fhir::ParseUcum(row.code); canon && !row.code.empty()) {
      row.canonical_code = canon->Code();
      row.canonical_value = row.value * canon->factor;
    }
  }
  rows->quantities.push_back(std::move(row));
}

}  // namespace

bool ParseLocalReference(std::string_view ref, std::string* type, std::string* id) {
  std::vector<std::string> parts = Split(ref, '/');
  // Drop a trailing _history/n.
  if (parts.size() >= 4 && parts[parts.size() - 2] == "_history") parts.resize(parts.size() - 2);
  if (parts.size() < 2) return false;
  const std::string& t = parts[parts.size() - 2];
  const std::string& i = parts[parts.size() - 1];
  if (t.empty() || i.empty() || !(t[0] >= 'A' && t[0] <= 'Z')) return false;
  if (parts.size() > 2 && ref.find("://") == std::string_view::npos) return false;
  *type = t;
  *id = i;
  return true;
}

void IndexExtractor::ExtractParam(const fhir::SearchParamDef& p, const json::Value& resource,
                                  store::IndexRows* rows) const {
  if (p.computed_values) {
    for (const std::string& value : p.computed_values(resource)) {
      if (p.type == "string")
        AddString(p.code, value, rows);
      else if (p.type == "token")
        rows->tokens.push_back({p.code, "", value, ""});
    }
    if (!p.computed_adds) return;
  }
  const fhir::fhirpath::Expression* expr = p.CompiledFor(resource.GetString("resourceType"));
  if (!expr) return;
  fhir::fhirpath::EvalOptions options;
  options.definitions = &defs_;
  auto items = fhir::fhirpath::Evaluate(*expr, resource, options);
  if (!items.ok()) return;  // an expression that fails on this resource indexes nothing
  static const char* const kNameKeys[] = {"text", "family", "given", "prefix", "suffix", nullptr};
  static const char* const kAddressKeys[] = {"text",  "line",       "city",    "district",
                                             "state", "postalCode", "country", nullptr};
  for (const Item& item : *items) {
    if (p.type == "string") {
      Item v = fhir::fhirpath::ToSystemValue(item);
      if (v.kind == Item::Kind::kString) {
        AddString(p.code, v.text, rows);
      } else if (item.node && item.node->is_object()) {
        if (item.type == "HumanName")
          AddStringsOf(p.code, *item.node, kNameKeys, rows);
        else if (item.type == "Address")
          AddStringsOf(p.code, *item.node, kAddressKeys, rows);
      }
    } else if (p.type == "token") {
      AddToken(p.code, item, rows);
    } else if (p.type == "reference") {
      AddReference(p.code, item, rows);
    } else if (p.type == "date") {
      int64_t low, high;
      if (ItemDateRange(item, &low, &high)) rows->dates.push_back({p.code, low, high});
    } else if (p.type == "number") {
      Item v = fhir::fhirpath::ToSystemValue(item);
      if (v.kind == Item::Kind::kInteger)
        rows->numbers.push_back({p.code, static_cast<double>(v.integer)});
      else if (v.kind == Item::Kind::kDecimal)
        rows->numbers.push_back({p.code, v.decimal});
    } else if (p.type == "quantity") {
      if (IsQuantityType(item.type) || (item.node && item.node->is_object()))
        AddQuantity(p.code, item, rows);
    } else if (p.type == "uri") {
      Item v = fhir::fhirpath::ToSystemValue(item);
      if (v.kind == Item::Kind::kString) rows->uris.push_back({p.code, v.text});
    } else if (p.type == "composite" && p.components.size() >= 2) {
      const auto& c1 = p.components[0];
      const auto& c2 = p.components[1];
      if (!c1.compiled || !c2.compiled) continue;
      auto first = fhir::fhirpath::EvaluateOn(*c1.compiled, item, resource, options);
      auto second = fhir::fhirpath::EvaluateOn(*c2.compiled, item, resource, options);
      if (!first.ok() || !second.ok()) continue;
      store::IndexRows a, b;
      for (const Item& x : *first) {
        if (c1.type == "reference")
          AddReference("c1", x, &a);
        else
          AddToken("c1", x, &a);
      }
      for (const Item& y : *second) {
        if (c2.type == "quantity")
          AddQuantity("c2", y, &b);
        else if (c2.type == "date") {
          int64_t lo, hi;
          if (ItemDateRange(y, &lo, &hi)) b.dates.push_back({"c2", lo, hi});
        } else if (c2.type == "string") {
          Item v = fhir::fhirpath::ToSystemValue(y);
          if (v.kind == Item::Kind::kString) AddString("c2", v.text, &b);
        } else if (c2.type == "reference") {
          AddReference("c2", y, &b);
        } else if (c2.type == "number") {
          Item v = fhir::fhirpath::ToSystemValue(y);
          if (v.kind == Item::Kind::kInteger || v.kind == Item::Kind::kDecimal)
            b.numbers.push_back(
                {"c2", v.kind == Item::Kind::kInteger ? double(v.integer) : v.decimal});
        } else {
          AddToken("c2", y, &b);
        }
      }
      std::vector<std::pair<std::string, std::string>> firsts;
      for (const auto& t : a.tokens) firsts.emplace_back(t.system, t.code);
      for (const auto& r : a.references) firsts.emplace_back("", r.target_type + "/" + r.target_id);
      for (const auto& first_value : firsts) {
        auto base = [&] {
          store::CompositeRow row;
          row.param = p.code;
          row.c1_system = first_value.first;
          row.c1_code = first_value.second;
          return row;
        };
        for (const auto& t : b.tokens) {
          auto row = base();
          row.c2_system = t.system;
          row.c2_code = t.code;
          rows->composites.push_back(row);
        }
        for (const auto& q : b.quantities) {
          auto row = base();
          row.c2_system = q.system;
          row.c2_code = q.code;
          row.c2_low = row.c2_high = q.value;
          rows->composites.push_back(row);
        }
        for (const auto& n : b.numbers) {
          auto row = base();
          row.c2_low = row.c2_high = n.value;
          rows->composites.push_back(row);
        }
        for (const auto& d : b.dates) {
          auto row = base();
          row.c2_low = static_cast<double>(d.low);
          row.c2_high = static_cast<double>(d.high);
          rows->composites.push_back(row);
        }
        for (const auto& s : b.strings) {
          auto row = base();
          row.c2_text = s.norm;
          rows->composites.push_back(row);
        }
        for (const auto& r : b.references) {
          auto row = base();
          row.c2_text = r.target_type + "/" + r.target_id;
          rows->composites.push_back(row);
        }
      }
    }
  }
}

void IndexExtractor::AddText(const std::string& param, const std::string& text,
                             store::IndexRows* rows) {
  std::string norm = fhir::NormalizeForSearch(text);
  if (!Trim(norm).empty()) rows->texts.push_back({param, std::move(norm)});
}

store::IndexRows IndexExtractor::Extract(const json::Value& resource) const {
  store::IndexRows rows;
  std::string type(resource.GetString("resourceType"));
  auto snap = params_.snapshot();
  auto it = snap->by_type.find(type);
  if (it != snap->by_type.end()) {
    for (const auto& p : it->second) {
      // _id and _lastUpdated are answered from the resource table itself.
      if (p->code == "_id" || p->code == "_lastUpdated") continue;
      ExtractParam(*p, resource, &rows);
    }
  }
  std::string narrative = NarrativeText(resource);
  AddText("_text", narrative, &rows);
  AddText("_content", ContentText(resource, std::move(narrative)), &rows);
  rows.patient_compartments = CompartmentsFromReferences(resource, rows.references);
  return rows;
}

std::vector<std::string> IndexExtractor::CompartmentsFromReferences(
    const json::Value& resource, const std::vector<store::ReferenceRow>& references) const {
  // Patient compartment membership, from the official CompartmentDefinition.
  std::vector<std::string> out;
  std::string type(resource.GetString("resourceType"));
  const auto& compartment = defs_.PatientCompartment();
  auto c = compartment.find(type);
  if (c != compartment.end()) {
    for (const std::string& param : c->second) {
      if (param == "{def}") {
        out.push_back(std::string(resource.GetString("id")));
        continue;
      }
      for (const auto& r : references)
        if (r.param == param && r.target_type == "Patient") out.push_back(r.target_id);
    }
  }
  if (type == "Patient") out.push_back(std::string(resource.GetString("id")));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

store::IndexRows IndexExtractor::ExtractOnly(const json::Value& resource,
                                             const std::vector<std::string>& params) const {
  store::IndexRows rows;
  std::string type(resource.GetString("resourceType"));
  for (const std::string& code : params) {
    if (code == "_text" || code == "_content") {
      std::string narrative = NarrativeText(resource);
      AddText(code, code == "_text" ? narrative : ContentText(resource, narrative), &rows);
    } else if (auto def = params_.Find(type, code))
      ExtractParam(*def, resource, &rows);
  }
  // The compartment's own parameters too: membership is read from reference rows.
  store::IndexRows compartment_refs;
  const auto& compartment = defs_.PatientCompartment();
  if (auto c = compartment.find(type); c != compartment.end()) {
    for (const std::string& param : c->second) {
      if (std::find(params.begin(), params.end(), param) != params.end()) continue;
      if (auto def = params_.Find(type, param)) ExtractParam(*def, resource, &compartment_refs);
    }
  }
  std::vector<store::ReferenceRow> refs = rows.references;
  refs.insert(refs.end(), compartment_refs.references.begin(), compartment_refs.references.end());
  rows.patient_compartments = CompartmentsFromReferences(resource, refs);
  return rows;
}

std::vector<std::string> IndexExtractor::PatientCompartments(const json::Value& resource) const {
  std::string type(resource.GetString("resourceType"));
  store::IndexRows rows;
  const auto& compartment = defs_.PatientCompartment();
  auto c = compartment.find(type);
  if (c != compartment.end()) {
    for (const std::string& param : c->second)
      if (auto def = params_.Find(type, param)) ExtractParam(*def, resource, &rows);
  }
  return CompartmentsFromReferences(resource, rows.references);
}

}  // namespace kangyun::search
