#include "fhir/search_parameters.h"

#include "base/files.h"
#include "json/json.h"

namespace kangyun::fhir {

SearchParamPtr SearchParameterRegistry::Snapshot::Find(std::string_view type,
                                                       std::string_view code) const {
  auto it = by_type.find(std::string(type));
  if (it == by_type.end()) return nullptr;
  for (const SearchParamPtr& p : it->second)
    if (p->code == code) return p;
  return nullptr;
}

Result<std::unique_ptr<SearchParameterRegistry>> SearchParameterRegistry::Load(
    const std::string& dir, const Definitions& defs) {
  std::string path = dir + "/search-parameters.json";
  std::optional<std::string> text = ReadFileBytes(path);
  if (!text) return Internal("cannot open " + path);
  KY_ASSIGN_OR_RETURN(json::Value bundle, json::Parse(*text));
  std::unique_ptr<SearchParameterRegistry> reg(new SearchParameterRegistry(defs));
  auto snap = std::make_shared<Snapshot>();
  std::vector<SearchParamPtr> composites;
  if (const json::Value* entries = bundle.Find("entry")) {
    for (const json::Value& e : entries->items()) {
      const json::Value* r = e.Find("resource");
      if (!r) continue;
      auto p = reg->Parse(*r);
      if (!p.ok()) return Internal("search-parameters.json: " + p.status().message());
      snap->by_url[(*p)->url] = *p;
    }
  }
  // Composite components name other parameters by URL: resolve their types now.
  for (auto& [url, p] : snap->by_url) {
    if (p->components.empty()) continue;
    auto copy = std::make_shared<SearchParamDef>(*p);
    for (auto& c : copy->components) {
      auto it = snap->by_url.find(c.definition);
      if (it != snap->by_url.end()) c.type = it->second->type;
    }
    p = copy;
  }
  for (auto& [url, p] : snap->by_url) reg->AddTo(snap.get(), p);
  reg->snapshot_ = snap;
  return reg;
}

std::shared_ptr<const SearchParameterRegistry::Snapshot> SearchParameterRegistry::snapshot() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

Result<SearchParamPtr> SearchParameterRegistry::Parse(const json::Value& r) const {
  auto p = std::make_shared<SearchParamDef>();
  p->url = std::string(r.GetString("url"));
  p->code = std::string(r.GetString("code"));
  p->type = std::string(r.GetString("type"));
  p->expression = std::string(r.GetString("expression"));
  std::string name = p->url.empty() ? p->code : p->url;
  if (p->code.empty()) return Unprocessable("SearchParameter needs a code", "SearchParameter.code");
  if (p->url.empty()) return Unprocessable("SearchParameter needs a url", "SearchParameter.url");
  static const char* kTypes[] = {"number",    "date",     "string", "token",  "reference",
                                 "composite", "quantity", "uri",    "special"};
  bool known = false;
  for (const char* t : kTypes) known = known || p->type == t;
  if (!known)
    return Unprocessable("SearchParameter.type '" + p->type + "' is not valid",
                         "SearchParameter.type");
  if (const json::Value* base = r.Find("base")) {
    for (const json::Value& b : base->items()) {
      if (b.str() != "Resource" && b.str() != "DomainResource" && !defs_.IsResourceType(b.str()))
        return Unprocessable("SearchParameter.base '" + b.str() + "' is not a resource type",
                             "SearchParameter.base");
      p->base.push_back(b.str());
    }
  }
  if (p->base.empty()) return Unprocessable("SearchParameter needs a base", "SearchParameter.base");
  if (const json::Value* targets = r.Find("target"))
    for (const json::Value& t : targets->items()) p->targets.push_back(t.str());
  if (!p->expression.empty()) {
    auto compiled = fhirpath::Compile(p->expression);
    if (!compiled.ok())
      return Unprocessable(name + ": " + compiled.status().message(), "SearchParameter.expression");
    p->compiled = *compiled;
    for (const std::string& b : p->base)
      if (b != "Resource" && b != "DomainResource")
        p->compiled_by_type[b] = fhirpath::SpecializeForType(p->compiled, b);
  } else if (p->type != "special") {
    // A parameter without an expression cannot be indexed; keep it known but inert.
  }
  if (const json::Value* comps = r.Find("component")) {
    for (const json::Value& c : comps->items()) {
      SearchParamDef::Component comp;
      comp.definition = std::string(c.GetString("definition"));
      comp.expression = std::string(c.GetString("expression"));
      auto compiled = fhirpath::Compile(comp.expression);
      if (!compiled.ok())
        return Unprocessable(name + " component: " + compiled.status().message(),
                             "SearchParameter.component.expression");
      comp.compiled = *compiled;
      auto snap = snapshot_;
      if (snap) {
        auto it = snap->by_url.find(comp.definition);
        if (it != snap->by_url.end()) comp.type = it->second->type;
      }
      p->components.push_back(std::move(comp));
    }
  }
  return SearchParamPtr(p);
}

void SearchParameterRegistry::AddTo(Snapshot* snap, SearchParamPtr param) const {
  for (const std::string& base : param->base) {
    for (const std::string& type : defs_.ResourceTypes()) {
      bool applies = base == type || base == "Resource" ||
                     (base == "DomainResource" && defs_.IsSubtypeOf(type, "DomainResource"));
      if (!applies) continue;
      auto& list = snap->by_type[type];
      bool replaced = false;
      for (auto& existing : list) {
        if (existing->code == param->code) {
          existing = param;
          replaced = true;
        }
      }
      if (!replaced) list.push_back(param);
    }
  }
}

void SearchParameterRegistry::SealBuiltIns() {
  std::lock_guard lock(mu_);
  built_in_ = snapshot_;
}

Status SearchParameterRegistry::CheckAddsOnly(const SearchParamDef& param) const {
  std::shared_ptr<const Snapshot> built_in;
  {
    std::lock_guard lock(mu_);
    built_in = built_in_;
  }
  if (!built_in) return Status::Ok();
  if (built_in->by_url.count(param.url))
    return Status(StatusCode::kUnprocessable,
                  "SearchParameter.url " + param.url +
                      " is a built-in parameter's; a stored SearchParameter adds new ones only",
                  "SearchParameter.url");
  for (const auto& [type, list] : built_in->by_type) {
    bool applies = false;
    for (const std::string& base : param.base)
      applies = applies || base == type || base == "Resource" || base == "DomainResource";
    if (!applies) continue;
    for (const SearchParamPtr& p : list)
      if (p->code == param.code)
        return Status(StatusCode::kUnprocessable,
                      "SearchParameter.code '" + param.code + "' is built in on " + type +
                          " (the platform's searches and access rules use it); a stored "
                          "SearchParameter adds new codes only",
                      "SearchParameter.code");
  }
  return Status::Ok();
}

void SearchParameterRegistry::Add(SearchParamPtr param) {
  std::lock_guard lock(mu_);
  auto snap = std::make_shared<Snapshot>(*snapshot_);
  snap->by_url[param->url] = param;
  AddTo(snap.get(), param);
  snap->generation++;
  snapshot_ = snap;
}

}  // namespace kangyun::fhir
