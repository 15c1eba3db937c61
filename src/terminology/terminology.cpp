#include "terminology/terminology.h"

#include <algorithm>
#include <set>

#include "base/strings.h"

namespace kangyun::terminology {

// What the terminology holds, in a namespace of its own rather than an anonymous one because
// Terminology::State, a member of a class with linkage, is made of them.
namespace held {

struct ConceptData {
  std::string code, display;
  std::vector<std::pair<std::string, std::string>> designations;
  std::vector<std::string> parents, children;
};

struct CodeSystemData {
  std::string url, name, version, content;
  std::vector<ConceptData> concepts;
  std::unordered_map<std::string, size_t> index;

  const ConceptData* Find(std::string_view code) const {
    auto it = index.find(std::string(code));
    return it == index.end() ? nullptr : &concepts[it->second];
  }
};

struct MapGroup {
  std::string source, target;
  std::multimap<std::string, std::pair<Coding, std::string>> elements;  // code → (target, eq)
};

struct ConceptMapData {
  std::string url;
  std::vector<MapGroup> groups;
};

}  // namespace held

namespace {

using held::CodeSystemData;
using held::ConceptData;
using held::ConceptMapData;
using held::MapGroup;

std::string WithoutVersion(std::string_view url) {
  std::string s(url);
  if (auto bar = s.find('|'); bar != std::string::npos) s.resize(bar);
  return s;
}

void ReadConcepts(const json::Value& node, const std::string& parent, CodeSystemData* cs) {
  const json::Value* concepts = node.Find("concept");
  if (!concepts) return;
  for (const json::Value& c : concepts->items()) {
    std::string code(c.GetString("code"));
    if (code.empty()) continue;
    auto it = cs->index.find(code);
    if (it == cs->index.end()) {
      it = cs->index.emplace(code, cs->concepts.size()).first;
      cs->concepts.push_back({code, std::string(c.GetString("display")), {}, {}, {}});
      if (const json::Value* ds = c.Find("designation"))
        for (const json::Value& d : ds->items())
          cs->concepts.back().designations.emplace_back(std::string(d.GetString("language")),
                                                        std::string(d.GetString("value")));
    }
    if (!parent.empty()) {
      cs->concepts[it->second].parents.push_back(parent);
      cs->concepts[cs->index[parent]].children.push_back(code);
    }
    ReadConcepts(c, code, cs);
  }
}

}  // namespace

struct Terminology::State {
  std::unordered_map<std::string, std::shared_ptr<const CodeSystemData>> code_systems;
  std::unordered_map<std::string, std::shared_ptr<const json::Value>> value_sets;  // the resource
  std::unordered_map<std::string, std::shared_ptr<const ConceptMapData>> concept_maps;
};

Terminology::Terminology() : state_(std::make_shared<State>()) {}
Terminology::~Terminology() = default;

std::shared_ptr<const Terminology::State> Terminology::snapshot() const {
  std::lock_guard lock(mu_);
  return state_;
}

Status Terminology::Add(const std::vector<const json::Value*>& resources) {
  std::lock_guard lock(mu_);
  auto next = std::make_shared<State>(*state_);
  for (const json::Value* r : resources) {
    std::string type(r->GetString("resourceType"));
    if (type != "CodeSystem" && type != "ValueSet" && type != "ConceptMap") continue;
    std::string url(r->GetString("url"));
    if (url.empty())
      return Unprocessable(type + " needs a url to be used for terminology", type + ".url");
    if (type == "CodeSystem") {
      auto cs = std::make_shared<CodeSystemData>();
      cs->url = url;
      cs->name = std::string(r->GetString("name"));
      cs->version = std::string(r->GetString("version"));
      cs->content = std::string(r->GetString("content"));
      ReadConcepts(*r, "", cs.get());
      // A fragment adds to what is known of a system (ICD-10 codes the city uses on top of
      // another fragment); anything else replaces.
      auto existing = next->code_systems.find(url);
      if (cs->content == "fragment" && existing != next->code_systems.end()) {
        auto merged = std::make_shared<CodeSystemData>(*existing->second);
        for (const ConceptData& c : cs->concepts) {
          if (merged->index.count(c.code)) continue;
          merged->index[c.code] = merged->concepts.size();
          merged->concepts.push_back(c);
        }
        cs = merged;
      }
      next->code_systems[url] = std::move(cs);
    } else if (type == "ValueSet") {
      next->value_sets[url] = std::make_shared<json::Value>(*r);
    } else {
      auto cm = std::make_shared<ConceptMapData>();
      cm->url = url;
      if (const json::Value* groups = r->Find("group")) {
        for (const json::Value& g : groups->items()) {
          MapGroup group;
          group.source = std::string(g.GetString("source"));
          group.target = std::string(g.GetString("target"));
          if (const json::Value* elements = g.Find("element")) {
            for (const json::Value& e : elements->items()) {
              std::string code(e.GetString("code"));
              const json::Value* targets = e.Find("target");
              for (const json::Value& t : targets ? targets->items() : std::vector<json::Value>{})
                group.elements.emplace(
                    code, std::pair{Coding{group.target, std::string(t.GetString("code")),
                                           std::string(t.GetString("display"))},
                                    std::string(t.GetString("equivalence"))});
            }
          }
          cm->groups.push_back(std::move(group));
        }
      }
      next->concept_maps[url] = std::move(cm);
    }
  }
  state_ = std::move(next);
  std::lock_guard cache_lock(cache_mu_);
  cache_.clear();
  return Status::Ok();
}

Status Terminology::AddBundle(const json::Value& bundle) {
  std::vector<const json::Value*> resources;
  if (const json::Value* entries = bundle.Find("entry"))
    for (const json::Value& e : entries->items())
      if (const json::Value* r = e.Find("resource")) resources.push_back(r);
  return Add(resources);
}

bool Terminology::KnowsSystem(std::string_view system) const {
  auto s = snapshot();
  auto it = s->code_systems.find(std::string(system));
  return it != s->code_systems.end() && !it->second->concepts.empty();
}

bool Terminology::KnowsValueSet(std::string_view url) const {
  auto s = snapshot();
  return s->value_sets.count(WithoutVersion(url)) > 0;
}

std::optional<ConceptInfo> Terminology::Lookup(std::string_view system,
                                               std::string_view code) const {
  auto s = snapshot();
  auto it = s->code_systems.find(std::string(system));
  if (it == s->code_systems.end()) return std::nullopt;
  const ConceptData* c = it->second->Find(code);
  if (!c) return std::nullopt;
  ConceptInfo info;
  info.system = std::string(system);
  info.code = c->code;
  info.display = c->display;
  info.system_name = it->second->name;
  info.version = it->second->version;
  info.designations = c->designations;
  info.parents = c->parents;
  info.children = c->children;
  return info;
}

std::optional<std::vector<std::string>> Terminology::Subsumed(std::string_view system,
                                                              std::string_view code,
                                                              bool below) const {
  auto s = snapshot();
  auto it = s->code_systems.find(std::string(system));
  if (it == s->code_systems.end() || it->second->concepts.empty()) return std::nullopt;
  const CodeSystemData& cs = *it->second;
  std::vector<std::string> out{std::string(code)};
  std::set<std::string> seen{std::string(code)};
  for (size_t i = 0; i < out.size() && out.size() < 100000; ++i) {
    const ConceptData* c = cs.Find(out[i]);
    if (!c) continue;
    for (const std::string& next : below ? c->children : c->parents)
      if (seen.insert(next).second) out.push_back(next);
  }
  return out;
}

namespace {

// `code` and every code below it.
std::set<std::string> Descendants(const CodeSystemData& cs, const std::string& code) {
  std::set<std::string> out{code};
  std::vector<std::string> todo{code};
  while (!todo.empty()) {
    const ConceptData* c = cs.Find(todo.back());
    todo.pop_back();
    if (!c) continue;
    for (const std::string& child : c->children)
      if (out.insert(child).second) todo.push_back(child);
  }
  return out;
}

// The codes of `cs` that pass one compose filter; the error names an unsupported one.
Result<std::vector<const ConceptData*>> Filtered(const CodeSystemData& cs, const json::Value& f) {
  std::string property(f.GetString("property")), op(f.GetString("op")), value(f.GetString("value"));
  std::vector<const ConceptData*> out;
  if (property == "concept" && (op == "is-a" || op == "descendent-of" || op == "is-not-a")) {
    std::set<std::string> in = Descendants(cs, value);
    if (op == "descendent-of") in.erase(value);
    for (const ConceptData& c : cs.concepts)
      if (in.count(c.code) != (op == "is-not-a")) out.push_back(&c);
    return out;
  }
  if ((property == "concept" || property == "code") && (op == "=" || op == "in")) {
    std::vector<std::string> codes = op == "in" ? Split(value, ',') : std::vector{value};
    for (const std::string& code : codes)
      if (const ConceptData* c = cs.Find(Trim(code))) out.push_back(c);
    return out;
  }
  return Unprocessable("filter " + property + " " + op + " on " + cs.url +
                       " is not supported here (concept is-a, descendent-of, is-not-a, =, in are)");
}

Status ExpandInto(const Terminology::State& s, const json::Value& vs, int depth,
                  std::vector<Coding>* out);

// The codes one include or exclude names.
Status Part(const Terminology::State& s, const json::Value& part, int depth,
            std::vector<Coding>* out) {
  std::string system(part.GetString("system"));
  std::vector<Coding> from_sets;
  bool has_sets = false;
  if (const json::Value* sets = part.Find("valueSet")) {
    for (const json::Value& url : sets->items()) {
      has_sets = true;
      auto it = s.value_sets.find(WithoutVersion(url.str()));
      if (it == s.value_sets.end())
        return Unprocessable("ValueSet " + url.str() + " is not known here");
      KY_RETURN_IF_ERROR(ExpandInto(s, *it->second, depth + 1, &from_sets));
    }
  }
  if (system.empty()) {
    out->insert(out->end(), from_sets.begin(), from_sets.end());
    return Status::Ok();
  }
  auto cs_it = s.code_systems.find(system);
  const CodeSystemData* cs = cs_it == s.code_systems.end() ? nullptr : cs_it->second.get();
  std::vector<Coding> codes;
  if (const json::Value* concepts = part.Find("concept")) {
    for (const json::Value& c : concepts->items()) {
      std::string code(c.GetString("code")), display(c.GetString("display"));
      if (display.empty() && cs)
        if (const ConceptData* known = cs->Find(code)) display = known->display;
      codes.push_back({system, code, display});
    }
  } else {
    if (!cs || cs->concepts.empty())
      return Unprocessable("code system " + system + " is not known here, so " +
                           "a value set including all of it cannot be expanded");
    std::vector<const ConceptData*> selected;
    for (const ConceptData& c : cs->concepts) selected.push_back(&c);
    if (const json::Value* filters = part.Find("filter")) {
      for (const json::Value& f : filters->items()) {
        KY_ASSIGN_OR_RETURN(auto passing, Filtered(*cs, f));
        std::set<const ConceptData*> keep(passing.begin(), passing.end());
        std::erase_if(selected, [&](const ConceptData* c) { return !keep.count(c); });
      }
    }
    for (const ConceptData* c : selected) codes.push_back({system, c->code, c->display});
  }
  if (has_sets) {
    // Both a system and value sets: the codes in all of them.
    std::set<std::pair<std::string, std::string>> in;
    for (const Coding& c : from_sets) in.insert({c.system, c.code});
    std::erase_if(codes, [&](const Coding& c) { return !in.count({c.system, c.code}); });
  }
  out->insert(out->end(), codes.begin(), codes.end());
  return Status::Ok();
}

Status ExpandInto(const Terminology::State& s, const json::Value& vs, int depth,
                  std::vector<Coding>* out) {
  if (depth > 10) return Unprocessable("value sets include each other too deeply");
  // A stored expansion is used as it is.
  if (const json::Value* expansion = vs.Find("expansion"); expansion && !vs.Find("compose")) {
    if (const json::Value* contains = expansion->Find("contains"))
      for (const json::Value& c : contains->items())
        out->push_back({std::string(c.GetString("system")), std::string(c.GetString("code")),
                        std::string(c.GetString("display"))});
    return Status::Ok();
  }
  const json::Value* compose = vs.Find("compose");
  if (!compose)
    return Unprocessable("ValueSet " + std::string(vs.GetString("url")) + " has no compose");
  std::vector<Coding> included, excluded;
  if (const json::Value* includes = compose->Find("include"))
    for (const json::Value& inc : includes->items())
      KY_RETURN_IF_ERROR(Part(s, inc, depth, &included));
  if (const json::Value* excludes = compose->Find("exclude"))
    for (const json::Value& exc : excludes->items())
      KY_RETURN_IF_ERROR(Part(s, exc, depth, &excluded));
  std::set<std::pair<std::string, std::string>> out_set, excluded_set;
  for (const Coding& c : excluded) excluded_set.insert({c.system, c.code});
  for (Coding& c : included) {
    std::pair key{c.system, c.code};
    if (excluded_set.count(key) || !out_set.insert(key).second) continue;
    out->push_back(std::move(c));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Coding>> Terminology::Expand(std::string_view url) const {
  std::string key = WithoutVersion(url);
  auto s = snapshot();
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(key); it != cache_.end()) return *it->second;
  }
  auto it = s->value_sets.find(key);
  if (it == s->value_sets.end()) return NotFound("ValueSet " + key + " is not known here");
  std::vector<Coding> codes;
  KY_RETURN_IF_ERROR(ExpandInto(*s, *it->second, 0, &codes));
  std::lock_guard lock(cache_mu_);
  cache_[key] = std::make_shared<const std::vector<Coding>>(codes);
  return codes;
}

Result<std::vector<TranslateMatch>> Terminology::Translate(std::string_view map_url,
                                                           std::string_view system,
                                                           std::string_view code,
                                                           std::string_view target_system) const {
  auto s = snapshot();
  std::vector<const ConceptMapData*> maps;
  if (!map_url.empty()) {
    auto it = s->concept_maps.find(WithoutVersion(map_url));
    if (it == s->concept_maps.end())
      return NotFound("ConceptMap " + std::string(map_url) + " is not known here");
    maps.push_back(it->second.get());
  } else {
    for (const auto& [url, cm] : s->concept_maps) maps.push_back(cm.get());
    std::sort(maps.begin(), maps.end(),
              [](const ConceptMapData* a, const ConceptMapData* b) { return a->url < b->url; });
  }
  std::vector<TranslateMatch> out;
  for (const ConceptMapData* cm : maps) {
    for (const MapGroup& g : cm->groups) {
      if (!system.empty() && g.source != system) continue;
      if (!target_system.empty() && g.target != target_system) continue;
      auto [from, to] = g.elements.equal_range(std::string(code));
      for (auto it = from; it != to; ++it) {
        Coding target = it->second.first;
        if (target.display.empty())
          if (auto info = Lookup(target.system, target.code)) target.display = info->display;
        out.push_back({it->second.second, target, cm->url});
      }
    }
  }
  return out;
}

}  // namespace kangyun::terminology
