#include "fhir/profile.h"

#include <algorithm>
#include <cstdlib>

#include "base/strings.h"
#include "fhir/codings.h"
#include "fhir/fhirpath/fhirpath.h"
#include "json/json.h"

namespace kangyun::fhir {

struct Profile::Element {
  std::string id, path;
  std::string name;  // the JSON member name ("value" for value[x])
  bool choice = false;
  int min = 0;
  int max = -1;                    // -1: unbounded
  std::vector<std::string> types;  // FHIR type codes allowed
  std::vector<std::string> type_profiles;
  std::optional<json::Value> fixed, pattern;
  std::string binding_strength, binding_valueset;
  std::vector<Constraint> constraints;  // the profile's own, not the base specification's
  // Slicing of this element, and its slices (elements with the same path and a sliceName).
  struct Discriminator {
    std::string type, path;
  };
  std::vector<Discriminator> discriminators;
  bool closed = false;
  std::string slice_name;
  std::vector<const Element*> slices;
  std::vector<const Element*> children;
};

namespace {

using Element = Profile::Element;

// fixed[x] and pattern[x]: the member whose name is the prefix and a type ("fixedUri").
std::optional<json::Value> ValueOfPrefix(const json::Value& el, std::string_view prefix) {
  for (const json::Member& m : el.members())
    if (m.key.size() > prefix.size() && StartsWith(m.key, prefix) && m.key[prefix.size()] >= 'A' &&
        m.key[prefix.size()] <= 'Z')
      return m.value;
  return std::nullopt;
}

std::string WithoutVersion(std::string_view canonical) {
  return std::string(canonical.substr(0, canonical.find('|')));
}

// The instance contains the pattern: every member the pattern has, with a value that contains
// the pattern's; every item of a pattern array matched by some item of the instance's.
bool Contains(const json::Value& instance, const json::Value& pattern) {
  if (pattern.is_object()) {
    if (!instance.is_object()) return false;
    for (const json::Member& m : pattern.members()) {
      const json::Value* v = instance.Find(m.key);
      if (!v || !Contains(*v, m.value)) return false;
    }
    return true;
  }
  if (pattern.is_array()) {
    if (!instance.is_array()) return false;
    return std::all_of(pattern.items().begin(), pattern.items().end(), [&](const json::Value& p) {
      return std::any_of(instance.items().begin(), instance.items().end(),
                         [&](const json::Value& i) { return Contains(i, p); });
    });
  }
  if (instance.is_array())  // a pattern on one item of a repeating element
    return std::any_of(instance.items().begin(), instance.items().end(),
                       [&](const json::Value& i) { return Contains(i, pattern); });
  return instance == pattern;
}

std::string Cardinality(const Element& el) {
  return std::to_string(el.min) + ".." + (el.max < 0 ? "*" : std::to_string(el.max));
}

// One value of an element in an instance.
struct Found {
  const json::Value* value;
  std::string path;              // its FHIRPath
  std::string type;              // for a choice element, the type its member name says
  bool extensions_only = false;  // a primitive without a value ("_birthDate" alone)
};

class Checker {
 public:
  Checker(const Profile& profile, const Definitions& defs, const json::Value& root,
          const CodeInValueSet& codes, const ProfileSet* known, int depth,
          std::vector<ProfileIssue>* out)
      : profile_(profile),
        defs_(defs),
        root_(root),
        codes_(codes),
        known_(known),
        depth_(depth),
        out_(out) {
    options_.definitions = &defs;
  }

  void Node(const json::Value& v, const Element& el, const std::string& type,
            const std::string& path) {
    if (el.fixed && !(v == *el.fixed))
      Issue("error", "value", path, "must be exactly " + json::Write(*el.fixed));
    if (el.pattern && !Contains(v, *el.pattern))
      Issue("error", "value", path, "must match the pattern " + json::Write(*el.pattern));
    if (!el.binding_valueset.empty()) Binding(v, el, type, path);
    for (const Constraint& c : el.constraints) {
      std::string key = type == "BackboneElement" || type == "Element" ? el.path : type;
      fhirpath::Item focus = fhirpath::Item::Node(&v, type, key);
      auto result = fhirpath::EvaluateOn(*c.compiled, focus, root_, options_);
      if (!result.ok() || result->size() != 1) continue;
      const fhirpath::Item& value = (*result)[0];
      if (value.kind == fhirpath::Item::Kind::kBoolean && !value.boolean)
        Issue(c.error ? "error" : "warning", "invariant", path, c.key + ": " + c.human);
    }
    DataTypeProfiles(v, el, type, path);
    if (!v.is_object()) return;
    for (const Element* child : el.children) Child(v, *child, path);
  }

 private:
  void Child(const json::Value& obj, const Element& el, const std::string& parent_path) {
    std::vector<Found> found = Collect(obj, el, parent_path);
    std::string where = parent_path + "." + el.name + (el.choice ? "[x]" : "");
    Count(found.size(), el, where, "");
    for (const Found& f : found) {
      if (el.choice && !el.types.empty() &&
          std::find(el.types.begin(), el.types.end(), f.type) == el.types.end()) {
        Issue("error", "structure", f.path,
              "the type " + f.type + " is not one the profile allows here (" +
                  Join(el.types, ", ") + ")");
        continue;
      }
      if (!f.extensions_only) Node(*f.value, el, TypeOf(el, f), f.path);
    }
    if (!el.slices.empty() && !el.discriminators.empty()) Slices(found, el, where);
  }

  // A value whose type the profile constrains further with a data type's profile: checked
  // against the profiles of its type the server knows. Extensions are checked by their url,
  // wherever they are (CheckExtensions), so not here; a chain of profiles naming profiles ends
  // after a few steps.
  void DataTypeProfiles(const json::Value& v, const Element& el, const std::string& type,
                        const std::string& path) {
    if (!known_ || depth_ >= kMaxDepth || type.empty() || type == "Extension") return;
    for (const std::string& url : el.type_profiles) {
      std::shared_ptr<const Profile> p = known_->Find(url);
      if (!p || p->of_resource() || p->type() != type) continue;
      std::vector<ProfileIssue> found = p->CheckValue(v, path, root_, codes_, known_, depth_ + 1);
      out_->insert(out_->end(), found.begin(), found.end());
    }
  }
  static constexpr int kMaxDepth = 4;

  std::string TypeOf(const Element& el, const Found& f) const {
    if (el.choice) return f.type;
    return el.types.size() == 1 ? el.types[0] : std::string();
  }

  void Count(size_t n, const Element& el, const std::string& where, const std::string& slice) {
    std::string what = slice.empty() ? "" : " (slice " + slice + ")";
    if (static_cast<int>(n) < el.min)
      Issue("error", "required", where,
            "at least " + std::to_string(el.min) + " required" + what + ", found " +
                std::to_string(n) + " (cardinality " + Cardinality(el) + ")");
    else if (el.max >= 0 && static_cast<int>(n) > el.max)
      Issue("error", "structure", where,
            (el.max == 0 ? std::string("not allowed") : "at most " + std::to_string(el.max)) +
                what + ", found " + std::to_string(n) + " (cardinality " + Cardinality(el) + ")");
  }

  // The values of `el` in obj; a choice element's from any of its typed member names.
  std::vector<Found> Collect(const json::Value& obj, const Element& el,
                             const std::string& parent_path) const {
    std::vector<Found> out;
    for (const json::Member& m : obj.members()) {
      // A primitive present only by its extensions ("_birthDate", "_performedDateTime") is
      // present; one with both a value and extensions counts once.
      std::string_view key = m.key;
      bool extensions_only = !key.empty() && key[0] == '_';
      if (extensions_only) {
        key.remove_prefix(1);
        if (obj.Find(key)) continue;
      }
      std::string type;
      if (el.choice) {
        if (key.size() <= el.name.size() || !StartsWith(key, el.name)) continue;
        std::string suffix(key.substr(el.name.size()));
        if (suffix[0] < 'A' || suffix[0] > 'Z') continue;
        // "DateTime" is the primitive dateTime, "Quantity" the type Quantity.
        std::string lower = suffix;
        lower[0] = static_cast<char>(lower[0] + 32);
        type = defs_.IsPrimitiveType(lower) ? lower : suffix;
      } else if (key != el.name) {
        continue;
      }
      std::string path = parent_path + "." + m.key;
      if (m.value.is_array()) {
        for (size_t i = 0; i < m.value.items().size(); ++i)
          if (!m.value.items()[i].is_null())
            out.push_back(
                {&m.value.items()[i], path + "[" + std::to_string(i) + "]", type, extensions_only});
      } else if (!m.value.is_null()) {
        out.push_back({&m.value, path, type, extensions_only});
      }
    }
    return out;
  }

  void Slices(const std::vector<Found>& found, const Element& sliced, const std::string& where) {
    // Whether a discriminator can be evaluated depends on the profile alone: ask with a value
    // that has nothing.
    static const json::Value kNothing = json::Value::Object();
    for (const Element* slice : sliced.slices)
      if (!Matches(Found{&kNothing, "", ""}, *slice, sliced)) return;
    std::vector<std::vector<const Found*>> members(sliced.slices.size());
    std::vector<const Found*> unmatched;
    for (const Found& f : found) {
      bool matched = false;
      for (size_t i = 0; i < sliced.slices.size() && !matched; ++i) {
        if (*Matches(f, *sliced.slices[i], sliced)) {
          members[i].push_back(&f);
          matched = true;
        }
      }
      if (!matched) unmatched.push_back(&f);
    }
    for (size_t i = 0; i < sliced.slices.size(); ++i) {
      const Element& slice = *sliced.slices[i];
      Count(members[i].size(), slice, where, slice.slice_name);
      for (const Found* f : members[i])
        if (!f->extensions_only) Node(*f->value, slice, TypeOf(slice, *f), f->path);
    }
    if (sliced.closed)
      for (const Found* f : unmatched)
        Issue("error", "structure", f->path,
              "matches none of the slices, and the slicing is closed");
  }

  // Whether a value belongs to a slice; nullopt when a discriminator cannot be evaluated.
  std::optional<bool> Matches(const Found& f, const Element& slice, const Element& sliced) const {
    for (const Element::Discriminator& d : sliced.discriminators) {
      if (d.type == "type" && d.path == "$this") {
        if (slice.types.size() != 1) return std::nullopt;
        if (f.type != slice.types[0]) return false;
        continue;
      }
      const Element* target = Descendant(slice, d.path);
      if (!target) return std::nullopt;
      std::vector<const json::Value*> actual = Values(*f.value, d.path);
      if (d.type == "exists") {
        if (target->min >= 1 && actual.empty()) return false;
        if (target->max == 0 && !actual.empty()) return false;
        if (target->min < 1 && target->max != 0) return std::nullopt;
        continue;
      }
      if (d.type != "value" && d.type != "pattern") return std::nullopt;
      std::optional<json::Value> expected = target->fixed ? target->fixed : target->pattern;
      // An extension's slice names its definition; the url is the definition's.
      if (!expected && d.path == "url" && !slice.type_profiles.empty())
        expected = json::Value::String(WithoutVersion(slice.type_profiles[0]));
      if (!expected) return std::nullopt;
      bool any = std::any_of(actual.begin(), actual.end(),
                             [&](const json::Value* a) { return Contains(*a, *expected); });
      if (!any) return false;
    }
    return true;
  }

  // The element at a discriminator's path below a slice: "$this", "url", "coding.system".
  static const Element* Descendant(const Element& from, const std::string& path) {
    if (path == "$this") return &from;
    const Element* at = &from;
    for (const std::string& step : Split(path, '.')) {
      if (step.find('(') != std::string::npos) return nullptr;  // resolve(), ofType(): not here
      const Element* next = nullptr;
      for (const Element* c : at->children)
        if (c->name == step) next = c;
      if (!next) return nullptr;
      at = next;
    }
    return at;
  }

  // The values at a dotted path below a JSON value, arrays flattened.
  static std::vector<const json::Value*> Values(const json::Value& from, const std::string& path) {
    std::vector<const json::Value*> at{&from};
    if (path == "$this") return at;
    for (const std::string& step : Split(path, '.')) {
      std::vector<const json::Value*> next;
      for (const json::Value* v : at) {
        const json::Value* m = v->is_object() ? v->Find(step) : nullptr;
        if (!m) continue;
        if (m->is_array()) {
          for (const json::Value& i : m->items()) next.push_back(&i);
        } else {
          next.push_back(m);
        }
      }
      at = std::move(next);
    }
    return at;
  }

  void Binding(const json::Value& v, const Element& el, const std::string& type,
               const std::string& path) {
    if (!codes_) return;
    std::string severity;
    if (el.binding_strength == "required") severity = "error";
    if (el.binding_strength == "extensible" || el.binding_strength == "preferred")
      severity = "warning";
    if (severity.empty()) return;
    // A string of an element without a declared type is taken as a code.
    std::vector<CodingRef> codings = CodingsOf(v, type.empty() && v.is_string() ? "code" : type);
    std::erase_if(codings, [](const CodingRef& c) { return c.code.empty(); });
    if (codings.empty()) return;
    bool unknown = false;
    for (const auto& [system, code] : codings) {
      std::optional<bool> in = codes_(el.binding_valueset, system, code);
      if (!in) unknown = true;
      if (in && *in) return;
    }
    if (unknown) return;  // the value set cannot be told here: no finding
    Issue(severity, "code-invalid", path,
          "no code in the value set " + el.binding_valueset + " (binding " + el.binding_strength +
              ")");
  }

  void Issue(const std::string& severity, const std::string& code, const std::string& path,
             const std::string& what) {
    out_->push_back(
        {severity, code, path + ": " + what + " (profile " + profile_.url() + ")", path});
  }

  const Profile& profile_;
  const Definitions& defs_;
  const json::Value& root_;
  const CodeInValueSet& codes_;
  const ProfileSet* known_;
  int depth_;
  std::vector<ProfileIssue>* out_;
  fhirpath::EvalOptions options_;
};

}  // namespace

Profile::~Profile() = default;

Result<std::shared_ptr<const Profile>> Profile::Parse(const json::Value& sd,
                                                      const Definitions& defs) {
  auto refuse = [](const std::string& what, const std::string& path) {
    return Status(StatusCode::kUnprocessable, "StructureDefinition: " + what, path);
  };
  if (sd.GetString("resourceType") != "StructureDefinition")
    return refuse("a profile is a StructureDefinition", "resourceType");
  std::shared_ptr<Profile> p(new Profile());
  p->defs_ = &defs;
  p->url_ = std::string(sd.GetString("url"));
  p->version_ = std::string(sd.GetString("version"));
  p->type_ = std::string(sd.GetString("type"));
  if (p->url_.empty())
    return refuse("a profile needs its canonical url", "StructureDefinition.url");
  if (sd.GetString("derivation") != "constraint")
    return refuse("a profile constrains a type (derivation constraint)",
                  "StructureDefinition.derivation");
  p->of_resource_ = defs.IsResourceType(p->type_);
  if (!p->of_resource_ && (!defs.IsKnownType(p->type_) || defs.IsPrimitiveType(p->type_)))
    return refuse("'" + p->type_ + "' is neither a resource type nor a data type this server knows",
                  "StructureDefinition.type");
  const json::Value* snapshot = sd.Find("snapshot");
  const json::Value* elements = snapshot ? snapshot->Find("element") : nullptr;
  if (!elements || !elements->is_array() || elements->items().empty())
    return refuse("a profile is used from its snapshot, and this one has none",
                  "StructureDefinition.snapshot");

  std::unordered_map<std::string, Element*> by_id;
  for (const json::Value& e : elements->items()) {
    auto el = std::make_unique<Element>();
    el->path = std::string(e.GetString("path"));
    el->id = e.GetString("id").empty() ? el->path : std::string(e.GetString("id"));
    std::string last = el->path.substr(el->path.rfind('.') + 1);
    el->choice = EndsWith(last, "[x]");
    el->name = el->choice ? last.substr(0, last.size() - 3) : last;
    el->slice_name = std::string(e.GetString("sliceName"));
    if (const json::Value* min = e.Find("min"); min && min->is_number())
      el->min = std::atoi(min->str().c_str());
    if (std::string_view max = e.GetString("max"); !max.empty() && max != "*")
      el->max = std::atoi(std::string(max).c_str());
    if (const json::Value* types = e.Find("type"))
      for (const json::Value& t : types->items()) {
        el->types.push_back(TypeCode(t));
        if (const json::Value* profiles = t.Find("profile"))
          for (const json::Value& u : profiles->items()) el->type_profiles.push_back(u.str());
      }
    el->fixed = ValueOfPrefix(e, "fixed");
    el->pattern = ValueOfPrefix(e, "pattern");
    if (const json::Value* binding = e.Find("binding")) {
      el->binding_strength = std::string(binding->GetString("strength"));
      el->binding_valueset = WithoutVersion(binding->GetString("valueSet"));
    }
    const std::vector<Constraint>& base = defs.Constraints(el->path);
    if (const json::Value* constraints = e.Find("constraint"))
      for (const json::Value& c : constraints->items()) {
        std::string key(c.GetString("key"));
        std::string expression(c.GetString("expression"));
        if (key == "ele-1" || key == "ext-1" || expression.empty()) continue;
        // The base specification's invariants are the validator's; a profile's are new keys.
        if (std::any_of(base.begin(), base.end(),
                        [&](const Constraint& b) { return b.key == key; }))
          continue;
        auto compiled = fhirpath::Compile(expression);
        if (!compiled.ok())
          return refuse("the invariant " + key + " is not FHIRPath this server evaluates: " +
                            compiled.status().message(),
                        "StructureDefinition.snapshot.element.constraint");
        el->constraints.push_back(Constraint{key, c.GetString("severity") != "warning",
                                             std::string(c.GetString("human")),
                                             std::move(expression), *compiled});
      }
    if (const json::Value* slicing = e.Find("slicing")) {
      if (const json::Value* ds = slicing->Find("discriminator"))
        for (const json::Value& d : ds->items())
          el->discriminators.push_back(
              {std::string(d.GetString("type")), std::string(d.GetString("path"))});
      el->closed = slicing->GetString("rules") == "closed";
    }
    Element* raw = el.get();
    p->elements_.push_back(std::move(el));
    if (raw->id == p->type_) {
      p->root_ = raw;
    } else {
      // "Patient.identifier:cid.system": the child `system` of the slice `cid` of
      // Patient.identifier; "Patient.identifier:cid": a slice of Patient.identifier.
      size_t dot = raw->id.rfind('.');
      if (dot == std::string::npos) continue;
      std::string parent = raw->id.substr(0, dot);
      std::string step = raw->id.substr(dot + 1);
      size_t colon = step.find(':');
      if (colon != std::string::npos) {
        auto sliced = by_id.find(parent + "." + step.substr(0, colon));
        if (sliced != by_id.end()) sliced->second->slices.push_back(raw);
      } else if (auto up = by_id.find(parent); up != by_id.end()) {
        up->second->children.push_back(raw);
      }
    }
    by_id[raw->id] = raw;
  }
  if (!p->root_)
    return refuse("the snapshot has no element for " + p->type_ + " itself",
                  "StructureDefinition.snapshot.element");
  return std::shared_ptr<const Profile>(std::move(p));
}

std::vector<ProfileIssue> Profile::Check(const json::Value& resource, const CodeInValueSet& codes,
                                         const ProfileSet* known) const {
  std::vector<ProfileIssue> out;
  if (!of_resource_ || resource.GetString("resourceType") != type_) {
    out.push_back({"error", "structure",
                   "a " + std::string(resource.GetString("resourceType")) +
                       " cannot conform to profile " + url_ + ", which is of " + type_,
                   "resourceType"});
    return out;
  }
  Checker(*this, *defs_, resource, codes, known, 0, &out).Node(resource, *root_, type_, type_);
  return out;
}

std::vector<ProfileIssue> Profile::CheckValue(const json::Value& value, const std::string& path,
                                              const json::Value& root, const CodeInValueSet& codes,
                                              const ProfileSet* known, int depth) const {
  std::vector<ProfileIssue> out;
  Checker(*this, *defs_, root, codes, known, depth, &out).Node(value, *root_, type_, path);
  return out;
}

namespace {

// Every extension below `v` (at `path`) whose url names a known extension definition.
void WalkExtensions(const json::Value& v, const std::string& path, const json::Value& root,
                    const ProfileSet& known, const CodeInValueSet& codes,
                    std::vector<ProfileIssue>* out) {
  if (v.is_array()) {
    for (size_t i = 0; i < v.items().size(); ++i)
      WalkExtensions(v.items()[i], path + "[" + std::to_string(i) + "]", root, known, codes, out);
    return;
  }
  if (!v.is_object()) return;
  for (const json::Member& m : v.members()) {
    std::string at = path + "." + m.key;
    if ((m.key == "extension" || m.key == "modifierExtension") && m.value.is_array()) {
      for (size_t i = 0; i < m.value.items().size(); ++i) {
        const json::Value& ext = m.value.items()[i];
        std::string ext_path = at + "[" + std::to_string(i) + "]";
        std::shared_ptr<const Profile> p = known.Find(ext.GetString("url"));
        if (p && !p->of_resource() && p->type() == "Extension") {
          std::vector<ProfileIssue> found = p->CheckValue(ext, ext_path, root, codes, &known);
          out->insert(out->end(), found.begin(), found.end());
        } else {
          WalkExtensions(ext, ext_path, root, known, codes, out);
        }
      }
      continue;
    }
    if (m.key == "contained" && m.value.is_array()) {
      // A contained resource's paths start from its own type, as the validator's do.
      for (size_t i = 0; i < m.value.items().size(); ++i)
        WalkExtensions(m.value.items()[i], at + "[" + std::to_string(i) + "]", root, known, codes,
                       out);
      continue;
    }
    WalkExtensions(m.value, at, root, known, codes, out);
  }
}

}  // namespace

std::vector<ProfileIssue> CheckExtensions(const json::Value& resource, const ProfileSet& known,
                                          const CodeInValueSet& codes) {
  std::vector<ProfileIssue> out;
  if (!known.HasExtensions()) return out;
  WalkExtensions(resource, std::string(resource.GetString("resourceType")), resource, known, codes,
                 &out);
  return out;
}

std::shared_ptr<const ProfileSet::Map> ProfileSet::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::shared_ptr<const Profile> ProfileSet::Find(std::string_view canonical) const {
  std::shared_ptr<const Map> map = Current();
  size_t bar = canonical.find('|');
  auto it = map->by_url.find(std::string(canonical.substr(0, bar)));
  if (it == map->by_url.end()) return nullptr;
  if (bar != std::string_view::npos && it->second->version() != canonical.substr(bar + 1))
    return nullptr;
  return it->second;
}

void ProfileSet::Replace(std::vector<std::shared_ptr<const Profile>> profiles) {
  auto map = std::make_shared<Map>();
  for (auto& p : profiles) {
    if (!p->of_resource() && p->type() == "Extension") map->extensions = true;
    map->by_url[p->url()] = std::move(p);
  }
  std::lock_guard lock(mu_);
  current_ = std::move(map);
}

size_t ProfileSet::size() const { return Current()->by_url.size(); }

bool ProfileSet::HasExtensions() const { return Current()->extensions; }

}  // namespace kangyun::fhir
