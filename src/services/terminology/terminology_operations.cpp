// The terminology service (http://hl7.org/fhir/R4/terminology-service.html):
//   CodeSystem/$lookup, CodeSystem[/{id}]/$validate-code, ValueSet[/{id}]/$expand,
//   ValueSet[/{id}]/$validate-code, ConceptMap[/{id}]/$translate,
// by GET with query parameters or POST with a Parameters resource, answered from
// terminology::Terminology (R4's code systems, the platform's, and stored ones).
#include "services/terminology/terminology_operations.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "api/engine.h"
#include "api/outcome.h"
#include "base/env.h"
#include "base/strings.h"
#include "content/platform_content.h"
#include "json/json.h"

namespace kangyun::services {
namespace {

using api::Engine;
using api::FhirRequest;
using api::FhirResponse;

using json::Value;

using json::Str;

// The operation's inputs by name: query parameters, or a Parameters body's value[x] (as text)
// and resources.
struct Inputs {
  std::multimap<std::string, std::string> values;
  std::map<std::string, Value> resources;

  std::string Get(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? "" : it->second;
  }
};

Result<Inputs> ReadInputs(const Engine& s, const FhirRequest& req, const std::string& op) {
  Inputs in;
  for (const auto& [k, v] : req.query)
    if (k != "_format") in.values.emplace(k, v);
  if (req.method != "POST") return in;
  if (req.body.empty()) return Invalid(op + " by POST needs a Parameters resource in its body");
  KY_ASSIGN_OR_RETURN(Value params, json::Parse(req.body));
  if (!params.is_object() || params.GetString("resourceType") != "Parameters")
    return Invalid(op + " takes a Parameters resource", "Parameters");
  KY_RETURN_IF_ERROR(s.validator.Validate(params));
  if (const Value* list = params.Find("parameter")) {
    for (const Value& p : list->items()) {
      std::string name(p.GetString("name"));
      if (const Value* r = p.Find("resource")) {
        in.resources[name] = *r;
        continue;
      }
      for (const auto& m : p.members()) {
        if (m.key.rfind("value", 0) != 0) continue;
        if (m.key == "valueCoding") {
          in.values.emplace("system", std::string(m.value.GetString("system")));
          in.values.emplace("code", std::string(m.value.GetString("code")));
          if (!m.value.GetString("display").empty())
            in.values.emplace("display", std::string(m.value.GetString("display")));
        } else if (m.value.is_bool()) {
          in.values.emplace(name, m.value.as_bool() ? "true" : "false");
        } else {
          in.values.emplace(name, m.value.str());
        }
      }
    }
  }
  return in;
}

Value Param(const std::string& name, const char* key, Value v) {
  Value p = Value::Object();
  p.Set("name", Str(name));
  p.Set(key, std::move(v));
  return p;
}

FhirResponse Respond(Value body) {
  FhirResponse r;
  r.body = json::Write(body);
  return r;
}

Value Parameters(Value list) {
  Value out = Value::Object();
  out.Set("resourceType", Str("Parameters"));
  if (!list.items().empty()) out.Set("parameter", std::move(list));
  return out;
}

// The canonical url of the stored resource {type}/{id}.
Result<std::string> UrlOf(store::ReadTransaction& txn, const std::string& type,
                          const std::string& id) {
  KY_ASSIGN_OR_RETURN(auto current, txn.ReadCurrent(type, id));
  if (!current || current->deleted) return NotFound(type + "/" + id + " is not known");
  KY_ASSIGN_OR_RETURN(Value r, json::Parse(current->body));
  std::string url(r.GetString("url"));
  if (url.empty()) return Unprocessable(type + "/" + id + " has no url");
  return url;
}

Result<FhirResponse> Lookup(const Engine& s, const Inputs& in) {
  std::string system = in.Get("system"), code = in.Get("code");
  if (system.empty() || code.empty())
    return Invalid("$lookup needs system and code (or a coding)",
                   system.empty() ? "system" : "code");
  if (!s.terminology.KnowsSystem(system))
    return NotFound("Code system " + system + " is not known here");
  auto info = s.terminology.Lookup(system, code);
  if (!info)
    return Status(StatusCode::kNotFound, "Code '" + code + "' is not in " + system, "code");
  Value list = Value::Array();
  list.Push(
      Param("name", "valueString", Str(info->system_name.empty() ? system : info->system_name)));
  if (!info->version.empty()) list.Push(Param("version", "valueString", Str(info->version)));
  if (!info->display.empty()) list.Push(Param("display", "valueString", Str(info->display)));
  for (const auto& [language, value] : info->designations) {
    Value d = Value::Object();
    d.Set("name", Str("designation"));
    Value parts = Value::Array();
    if (!language.empty()) parts.Push(Param("language", "valueCode", Str(language)));
    parts.Push(Param("value", "valueString", Str(value)));
    d.Set("part", std::move(parts));
    list.Push(std::move(d));
  }
  auto property = [&](const char* name, const std::string& value) {
    Value p = Value::Object();
    p.Set("name", Str("property"));
    Value parts = Value::Array();
    parts.Push(Param("code", "valueCode", Str(name)));
    parts.Push(Param("value", "valueCode", Str(value)));
    p.Set("part", std::move(parts));
    list.Push(std::move(p));
  };
  for (const std::string& p : info->parents) property("parent", p);
  for (const std::string& c : info->children) property("child", c);
  return Respond(Parameters(std::move(list)));
}

// Whether a display is the concept's own or one of its designations.
bool DisplayFits(const std::optional<terminology::ConceptInfo>& info, const std::string& display,
                 const std::string& listed) {
  if (display.empty()) return true;
  if (display == listed) return true;
  if (!info) return false;
  if (display == info->display) return true;
  for (const auto& [language, value] : info->designations)
    if (value == display) return true;
  return false;
}

Result<FhirResponse> ValidateCode(const Engine& s, store::ReadTransaction& txn,
                                  const std::string& type, const std::string& id,
                                  const Inputs& in) {
  std::string code = in.Get("code"), system = in.Get("system"), display = in.Get("display");
  if (code.empty()) return Invalid("$validate-code needs a code (or a coding)", "code");
  std::string url = in.Get("url");
  if (!id.empty()) {
    KY_ASSIGN_OR_RETURN(url, UrlOf(txn, type, id));
  }
  bool found = false;
  std::string listed_display, message;
  if (type == "CodeSystem") {
    if (url.empty()) url = system;
    if (url.empty()) return Invalid("$validate-code on CodeSystem needs url or system", "url");
    if (!s.terminology.KnowsSystem(url))
      return NotFound("Code system " + url + " is not known here");
    system = url;
    auto info = s.terminology.Lookup(url, code);
    found = info.has_value();
    if (found) listed_display = info->display;
  } else {
    if (url.empty())
      return Invalid("$validate-code on ValueSet needs url (or the ValueSet's id)", "url");
    KY_ASSIGN_OR_RETURN(auto codes, s.terminology.Expand(url));
    for (const terminology::Coding& c : codes) {
      if (c.code != code || (!system.empty() && c.system != system)) continue;
      found = true;
      system = c.system;
      listed_display = c.display;
      break;
    }
  }
  auto info = found ? s.terminology.Lookup(system, code) : std::nullopt;
  bool display_ok = DisplayFits(info, display, listed_display);
  Value list = Value::Array();
  list.Push(Param("result", "valueBoolean", Value::Bool(found && display_ok)));
  if (!found)
    message = "Code '" + code + "'" + (system.empty() ? "" : " of " + system) + " is not in " + url;
  else if (!display_ok)
    message = "Display '" + display + "' is not a display of " + system + "|" + code +
              " (its display is '" + listed_display + "')";
  if (!message.empty()) list.Push(Param("message", "valueString", Str(message)));
  std::string best = info && !info->display.empty() ? info->display : listed_display;
  if (found && !best.empty()) list.Push(Param("display", "valueString", Str(best)));
  return Respond(Parameters(std::move(list)));
}

bool Matches(const terminology::Coding& c, const std::string& filter) {
  if (filter.empty()) return true;
  std::string f = AsciiLower(filter);
  return AsciiLower(c.code).find(f) != std::string::npos ||
         AsciiLower(c.display).find(f) != std::string::npos;
}

Result<FhirResponse> Expand(const Engine& s, store::ReadTransaction& txn, const std::string& id,
                            const Inputs& in) {
  std::string url = in.Get("url");
  if (!id.empty()) {
    KY_ASSIGN_OR_RETURN(url, UrlOf(txn, "ValueSet", id));
  }
  if (url.empty()) return Invalid("$expand needs url (or the ValueSet's id)", "url");
  std::string filter = in.Get("filter");
  long long offset = 0, count = 1000;
  for (auto [name, slot, max] :
       {std::tuple{"offset", &offset, 1000000LL}, std::tuple{"count", &count, 1000LL}}) {
    std::string v = in.Get(name);
    if (v.empty()) continue;
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (*end || n < 0 || n > max)
      return Invalid(std::string(name) + " must be a whole number from 0 to " + std::to_string(max),
                     name);
    *slot = n;
  }
  KY_ASSIGN_OR_RETURN(auto codes, s.terminology.Expand(url));
  std::erase_if(codes, [&](const terminology::Coding& c) { return !Matches(c, filter); });
  Value vs = Value::Object();
  vs.Set("resourceType", Str("ValueSet"));
  vs.Set("url", Str(url));
  vs.Set("status", Str("active"));
  Value expansion = Value::Object();
  expansion.Set("identifier", Str("urn:uuid:" + s.ids.NewId()));
  expansion.Set("timestamp", Str(FormatInstant(s.clock.NowMicros())));
  expansion.Set("total", Value::Integer(static_cast<long long>(codes.size())));
  expansion.Set("offset", Value::Integer(offset));
  Value parameters = Value::Array();
  if (!filter.empty()) parameters.Push(Param("filter", "valueString", Str(filter)));
  parameters.Push(Param("offset", "valueInteger", Value::Integer(offset)));
  parameters.Push(Param("count", "valueInteger", Value::Integer(count)));
  expansion.Set("parameter", std::move(parameters));
  Value contains = Value::Array();
  for (size_t i = static_cast<size_t>(offset);
       i < codes.size() && contains.items().size() < static_cast<size_t>(count); ++i) {
    Value c = Value::Object();
    c.Set("system", Str(codes[i].system));
    c.Set("code", Str(codes[i].code));
    if (!codes[i].display.empty()) c.Set("display", Str(codes[i].display));
    contains.Push(std::move(c));
  }
  if (!contains.items().empty()) expansion.Set("contains", std::move(contains));
  vs.Set("expansion", std::move(expansion));
  return Respond(std::move(vs));
}

Result<FhirResponse> Translate(const Engine& s, store::ReadTransaction& txn, const std::string& id,
                               const Inputs& in) {
  std::string url = in.Get("url"), system = in.Get("system"), code = in.Get("code"),
              target = in.Get("targetsystem");
  if (!id.empty()) {
    KY_ASSIGN_OR_RETURN(url, UrlOf(txn, "ConceptMap", id));
  }
  if (code.empty() || system.empty())
    return Invalid("$translate needs system and code (or a coding)",
                   code.empty() ? "code" : "system");
  KY_ASSIGN_OR_RETURN(auto matches, s.terminology.Translate(url, system, code, target));
  bool result = std::any_of(matches.begin(), matches.end(), [](const auto& m) {
    return m.equivalence != "unmatched" && m.equivalence != "disjoint";
  });
  Value list = Value::Array();
  list.Push(Param("result", "valueBoolean", Value::Bool(result)));
  if (!result)
    list.Push(Param("message", "valueString",
                    Str("No translation of " + system + "|" + code +
                        (target.empty() ? "" : " to " + target) + " is known here")));
  for (const terminology::TranslateMatch& m : matches) {
    Value match = Value::Object();
    match.Set("name", Str("match"));
    Value parts = Value::Array();
    parts.Push(Param("equivalence", "valueCode", Str(m.equivalence)));
    Value coding = Value::Object();
    coding.Set("system", Str(m.target.system));
    coding.Set("code", Str(m.target.code));
    if (!m.target.display.empty()) coding.Set("display", Str(m.target.display));
    parts.Push(Param("concept", "valueCoding", std::move(coding)));
    parts.Push(Param("source", "valueUri", Str(m.map_url)));
    match.Set("part", std::move(parts));
    list.Push(std::move(match));
  }
  return Respond(Parameters(std::move(list)));
}

}  // namespace

Result<FhirResponse> TerminologyOperation(Engine& s, store::ReadTransaction& txn,
                                          const FhirRequest& req, const std::string& type,
                                          const std::string& id, const std::string& op) {
  KY_ASSIGN_OR_RETURN(Inputs in, ReadInputs(s, req, op));
  if (op == "$lookup") return Lookup(s, in);
  if (op == "$validate-code") return ValidateCode(s, txn, type, id, in);
  if (op == "$expand") return Expand(s, txn, id, in);
  return Translate(s, txn, id, in);
}

}  // namespace kangyun::services
