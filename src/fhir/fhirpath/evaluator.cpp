#include "fhir/fhirpath/evaluator.h"

#include <cmath>
#include <sstream>

#include "base/env.h"
#include "base/strings.h"
#include "fhir/definitions.h"
#include "fhir/fhirpath/quantity.h"
#include "json/json.h"

namespace kangyun::fhir::fhirpath {

Item Item::Boolean(bool b) {
  Item i;
  i.kind = Kind::kBoolean;
  i.boolean = b;
  return i;
}
Item Item::Integer(int64_t v) {
  Item i;
  i.kind = Kind::kInteger;
  i.integer = v;
  return i;
}
Item Item::Decimal(double d, std::string text) {
  Item i;
  i.kind = Kind::kDecimal;
  i.decimal = d;
  i.text = std::move(text);
  return i;
}
Item Item::String(std::string s) {
  Item i;
  i.kind = Kind::kString;
  i.text = std::move(s);
  return i;
}
Item Item::Node(const json::Value* node, std::string type, std::string def_key) {
  Item i;
  i.kind = Kind::kNode;
  i.node = node;
  i.type = std::move(type);
  i.def_key = std::move(def_key);
  return i;
}

namespace {

const json::Value& EmptyObject() {
  static const json::Value* v = new json::Value(json::Value::Object());
  return *v;
}

bool IsFhirPrimitiveName(std::string_view t) {
  static const char* kNames[] = {"boolean",  "integer",     "string",       "decimal", "uri",
                                 "url",      "canonical",   "base64Binary", "instant", "date",
                                 "dateTime", "time",        "code",         "oid",     "id",
                                 "markdown", "unsignedInt", "positiveInt",  "uuid",    "xhtml"};
  for (const char* n : kNames)
    if (t == n) return true;
  return false;
}

bool IsSystemTypeName(std::string_view t) {
  for (const char* n : {"Boolean", "String", "Integer", "Decimal", "Date", "DateTime", "Time"})
    if (t == n) return true;
  return false;
}

std::string InferType(const json::Value& v) {
  switch (v.type()) {
    case json::Type::kString:
      return "string";
    case json::Type::kBool:
      return "boolean";
    case json::Type::kNumber:
      return v.str().find_first_of(".eE") == std::string::npos ? "integer" : "decimal";
    case json::Type::kObject:
      return std::string(v.GetString("resourceType"));
    default:
      return "";
  }
}

std::string StripNamespace(std::string_view t) {
  if (StartsWith(t, "FHIR.")) return std::string(t.substr(5));
  if (StartsWith(t, "System.")) return std::string(t.substr(7));
  return std::string(t);
}

}  // namespace

Item ToSystemValue(const Item& item) {
  if (item.kind != Item::Kind::kNode || !item.node) return item;
  const json::Value& v = *item.node;
  const std::string& t = item.type;
  if (v.is_bool()) return Item::Boolean(v.as_bool());
  if (v.is_number()) {
    if (t == "decimal" || v.str().find_first_of(".eE") != std::string::npos)
      return Item::Decimal(std::strtod(v.str().c_str(), nullptr), v.str());
    return Item::Integer(std::strtoll(v.str().c_str(), nullptr, 10));
  }
  if (v.is_string()) {
    if (t == "date" || t == "dateTime" || t == "instant") {
      if (auto dt = ParseDateTime(v.str(), true)) {
        Item out;
        out.kind = t == "date" ? Item::Kind::kDate : Item::Kind::kDateTime;
        out.datetime = *dt;
        return out;
      }
    }
    if (t == "time") {
      if (auto tm = ParseTime(v.str())) {
        Item out;
        out.kind = Item::Kind::kTime;
        out.time = *tm;
        return out;
      }
    }
    return Item::String(v.str());
  }
  if (v.is_object() && (t == "Quantity" || t == "Age" || t == "Duration" || t == "Distance" ||
                        t == "Count" || t == "SimpleQuantity" || t == "MoneyQuantity")) {
    const json::Value* value = v.Find("value");
    if (value && value->is_number()) {
      Item out;
      out.kind = Item::Kind::kQuantity;
      out.quantity.value = std::strtod(value->str().c_str(), nullptr);
      out.quantity.value_text = value->str();
      std::string_view code = v.GetString("code");
      out.quantity.unit = std::string(code.empty() ? v.GetString("unit") : code);
      return out;
    }
  }
  return item;
}

Evaluator::Evaluator(const EvalOptions& options, const json::Value& resource)
    : options_(options), now_micros_(options.now_micros) {
  std::string type(resource.GetString("resourceType"));
  if (type.empty()) type = InferType(resource);
  root_.push_back(Item::Node(&resource, type, type));
}

Item Evaluator::MakeChild(const json::Value* v, const std::string& parent_key,
                          std::string_view json_name) const {
  std::string type, key;
  if (options_.definitions && !parent_key.empty()) {
    if (auto child = options_.definitions->ResolveChild(parent_key, json_name)) {
      type = child->type;
      key = child->child_key;
    }
  }
  if (v->is_object() && v->Find("resourceType") &&
      (type.empty() || type == "Resource" || type == "DomainResource")) {
    type = std::string(v->GetString("resourceType"));
    key = type;
  }
  if (type.empty()) type = InferType(*v);
  return Item::Node(v, std::move(type), std::move(key));
}

void Evaluator::Navigate(const Item& item, std::string_view name, Collection* out) const {
  if (item.kind != Item::Kind::kNode || !item.node || !item.node->is_object()) return;
  const json::Value& obj = *item.node;
  const std::string& key = item.def_key;
  auto add = [&](const json::Value* v, std::string_view json_name) {
    if (v->is_array()) {
      for (const json::Value& e : v->items())
        if (!e.is_null()) out->push_back(MakeChild(&e, key, json_name));
    } else if (!v->is_null()) {
      out->push_back(MakeChild(v, key, json_name));
    }
  };
  if (const json::Value* v = obj.Find(name)) {
    add(v, name);
    return;
  }
  // Choice elements: `value` finds valueQuantity, valueString, ... With definitions, only an
  // element that is a choice: `response` does not find TestScript's responseCode.
  for (const json::Member& m : obj.members()) {
    if (m.key.size() > name.size() && StartsWith(m.key, name) && m.key[name.size()] >= 'A' &&
        m.key[name.size()] <= 'Z') {
      if (options_.definitions && !key.empty()) {
        auto child = options_.definitions->ResolveChild(key, m.key);
        if (child && !(child->def->is_choice && child->def->name == name)) continue;
      }
      size_t n = out->size();
      add(&m.value, m.key);
      // Without definitions, type the choice from its suffix.
      std::string suffix = m.key.substr(name.size());
      std::string lower = suffix;
      lower[0] = static_cast<char>(lower[0] - 'A' + 'a');
      for (size_t i = n; i < out->size(); ++i) {
        Item& it = (*out)[i];
        if (it.def_key.empty() || !options_.definitions) {
          it.type = IsFhirPrimitiveName(lower) ? lower : suffix;
          if (!IsFhirPrimitiveName(lower)) it.def_key = suffix;
        }
      }
    }
  }
}

void Evaluator::AllChildren(const Item& item, Collection* out) const {
  if (item.kind != Item::Kind::kNode || !item.node || !item.node->is_object()) return;
  for (const json::Member& m : item.node->members()) {
    if (m.key == "resourceType" || (!m.key.empty() && m.key[0] == '_')) continue;
    if (m.value.is_array()) {
      for (const json::Value& e : m.value.items())
        if (!e.is_null()) out->push_back(MakeChild(&e, item.def_key, m.key));
    } else {
      out->push_back(MakeChild(&m.value, item.def_key, m.key));
    }
  }
}

bool Evaluator::IsType(const Item& item, std::string_view type_name) const {
  std::string t = StripNamespace(type_name);
  bool system = StartsWith(type_name, "System.");
  // An unqualified name is the model's type first, then System's: `answer is Boolean` asks
  // about System.Boolean, since FHIR's type is `boolean` (que-7).
  if (!system && !StartsWith(type_name, "FHIR.") && IsSystemTypeName(t) &&
      !(options_.definitions && options_.definitions->IsKnownType(t)))
    system = true;
  switch (item.kind) {
    case Item::Kind::kBoolean:
      return t == "Boolean" || (!system && t == "boolean");
    case Item::Kind::kInteger:
      return t == "Integer" || (!system && t == "integer");
    case Item::Kind::kDecimal:
      return t == "Decimal" || (!system && t == "decimal");
    case Item::Kind::kString:
      return t == "String" || (!system && t == "string");
    case Item::Kind::kDate:
      return t == "Date" || (!system && t == "date");
    case Item::Kind::kDateTime:
      return t == "DateTime" || (!system && t == "dateTime");
    case Item::Kind::kTime:
      return t == "Time" || (!system && t == "time");
    case Item::Kind::kQuantity:
      return t == "Quantity";
    case Item::Kind::kNode:
      break;
  }
  if (system) {
    // A FHIR primitive is not a System type, but its value converts: treat as the same family.
    Item v = ToSystemValue(item);
    return v.kind != Item::Kind::kNode && IsType(v, t);
  }
  if (item.type == t) return true;
  if (options_.definitions) return options_.definitions->IsSubtypeOf(item.type, t);
  if ((t == "Resource" || t == "DomainResource") && item.node && item.node->is_object() &&
      item.node->Find("resourceType"))
    return true;
  return false;
}

std::optional<bool> SingletonBoolean(const Collection& c) {
  if (c.empty()) return std::nullopt;
  if (c.size() > 1)
    throw EvalError("expected a single boolean, got a collection of " + std::to_string(c.size()));
  Item v = ToSystemValue(c[0]);
  if (v.kind == Item::Kind::kBoolean) return v.boolean;
  return true;  // a single non-boolean item is true in a boolean context
}

std::optional<std::string> SingletonString(const Collection& c) {
  if (c.empty()) return std::nullopt;
  if (c.size() > 1) throw EvalError("expected a single string, got a collection");
  Item v = ToSystemValue(c[0]);
  if (v.kind == Item::Kind::kString) return v.text;
  throw EvalError("expected a string");
}

std::optional<int64_t> SingletonInteger(const Collection& c) {
  if (c.empty()) return std::nullopt;
  if (c.size() > 1) throw EvalError("expected a single integer, got a collection");
  Item v = ToSystemValue(c[0]);
  if (v.kind == Item::Kind::kInteger) return v.integer;
  throw EvalError("expected an integer");
}

Collection Bool(bool b) { return {Item::Boolean(b)}; }

namespace {

bool IsNumeric(const Item& i) {
  return i.kind == Item::Kind::kInteger || i.kind == Item::Kind::kDecimal;
}
double AsDouble(const Item& i) {
  return i.kind == Item::Kind::kInteger ? static_cast<double>(i.integer) : i.decimal;
}
bool IsDateLike(const Item& i) {
  return i.kind == Item::Kind::kDate || i.kind == Item::Kind::kDateTime;
}

// Compares date/times at their common precision; nullopt when precisions differ and the
// common part is equal (the FHIRPath "uncertain" answer).
std::optional<int> CompareDateTimes(const DateTimeValue& a, const DateTimeValue& b) {
  DateTimeValue x = a, y = b;
  // Normalise zones to UTC where both carry time.
  auto to_fields = [](const DateTimeValue& d) {
    DateTimeValue n = d;
    if (d.tz_offset_minutes && d.precision >= DatePrecision::kHour && *d.tz_offset_minutes != 0) {
      n = DateTimeFromMicros(d.LowMicros());
      n.precision = d.precision;
      n.fraction_digits = d.fraction_digits;
    }
    return n;
  };
  x = to_fields(x);
  y = to_fields(y);
  int fx[] = {x.year, x.month, x.day, x.hour, x.minute, x.second * 1000 + x.millis};
  int fy[] = {y.year, y.month, y.day, y.hour, y.minute, y.second * 1000 + y.millis};
  // Seconds and milliseconds compare as one precision level, as FHIRPath specifies.
  auto level = [](DatePrecision p) {
    return p == DatePrecision::kMillisecond ? 5 : static_cast<int>(p);
  };
  int lx = level(x.precision), ly = level(y.precision);
  int common = std::min(lx, ly);
  for (int i = 0; i <= common; ++i) {
    if (fx[i] != fy[i]) return fx[i] < fy[i] ? -1 : 1;
  }
  if (lx != ly) return std::nullopt;
  return 0;
}

std::optional<int> CompareQuantities(const Quantity& a, const Quantity& b) {
  if (a.unit == b.unit) return a.value < b.value ? -1 : (a.value > b.value ? 1 : 0);
  auto ua = ParseUcum(a.unit), ub = ParseUcum(b.unit);
  if (!ua || !ub || ua->dims != ub->dims) return std::nullopt;
  double va = a.value * ua->factor, vb = b.value * ub->factor;
  double tol = 1e-9 * std::max(std::fabs(va), std::fabs(vb));
  if (std::fabs(va - vb) <= tol) return 0;
  return va < vb ? -1 : 1;
}

std::string NormalizeForEquivalence(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : Trim(s)) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return AsciiLower(out);
}

int DecimalPlaces(const Item& i) {
  if (i.kind != Item::Kind::kDecimal) return 0;
  auto dot = i.text.find('.');
  return dot == std::string::npos ? 0 : static_cast<int>(i.text.size() - dot - 1);
}

}  // namespace

std::optional<bool> Evaluator::Equal(const Item& a0, const Item& b0) const {
  Item a = ToSystemValue(a0), b = ToSystemValue(b0);
  if (a.kind == Item::Kind::kNode || b.kind == Item::Kind::kNode) {
    if (a.kind != b.kind || !a.node || !b.node) return false;
    return *a.node == *b.node;
  }
  if (IsNumeric(a) && IsNumeric(b)) return AsDouble(a) == AsDouble(b);
  if (IsDateLike(a) && IsDateLike(b)) {
    auto c = CompareDateTimes(a.datetime, b.datetime);
    if (!c) return std::nullopt;
    return *c == 0;
  }
  if (a.kind != b.kind) {
    // Quantity against a number or string does not equal.
    return false;
  }
  switch (a.kind) {
    case Item::Kind::kBoolean:
      return a.boolean == b.boolean;
    case Item::Kind::kString:
      return a.text == b.text;
    case Item::Kind::kTime:
      return a.time.hour == b.time.hour && a.time.minute == b.time.minute &&
             a.time.second == b.time.second && a.time.millis == b.time.millis;
    case Item::Kind::kQuantity: {
      auto c = CompareQuantities(a.quantity, b.quantity);
      if (!c) return std::nullopt;
      return *c == 0;
    }
    default:
      return false;
  }
}

bool Evaluator::Equivalent(const Item& a0, const Item& b0) const {
  Item a = ToSystemValue(a0), b = ToSystemValue(b0);
  if (a.kind == Item::Kind::kString && b.kind == Item::Kind::kString)
    return NormalizeForEquivalence(a.text) == NormalizeForEquivalence(b.text);
  if (IsNumeric(a) && IsNumeric(b)) {
    int places = std::min(DecimalPlaces(a), DecimalPlaces(b));
    double scale = std::pow(10.0, places);
    return std::round(AsDouble(a) * scale) == std::round(AsDouble(b) * scale);
  }
  if (IsDateLike(a) && IsDateLike(b)) {
    auto c = CompareDateTimes(a.datetime, b.datetime);
    return c && *c == 0;
  }
  auto eq = Equal(a, b);
  return eq && *eq;
}

std::optional<int> Evaluator::Compare(const Item& a0, const Item& b0) const {
  Item a = ToSystemValue(a0), b = ToSystemValue(b0);
  if (IsNumeric(a) && IsNumeric(b)) {
    double x = AsDouble(a), y = AsDouble(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.kind == Item::Kind::kString && b.kind == Item::Kind::kString)
    return a.text < b.text ? -1 : (a.text > b.text ? 1 : 0);
  if (IsDateLike(a) && IsDateLike(b)) return CompareDateTimes(a.datetime, b.datetime);
  if (a.kind == Item::Kind::kTime && b.kind == Item::Kind::kTime) {
    int x = ((a.time.hour * 60 + a.time.minute) * 60 + a.time.second) * 1000 + a.time.millis;
    int y = ((b.time.hour * 60 + b.time.minute) * 60 + b.time.second) * 1000 + b.time.millis;
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.kind == Item::Kind::kQuantity && b.kind == Item::Kind::kQuantity)
    return CompareQuantities(a.quantity, b.quantity);
  throw EvalError("cannot compare these values");
}

bool Contains(const Evaluator& ev, const Collection& c, const Item& item) {
  for (const Item& x : c) {
    auto eq = ev.Equal(x, item);
    if (eq && *eq) return true;
  }
  return false;
}

Collection Distinct(const Evaluator& ev, const Collection& c) {
  Collection out;
  for (const Item& x : c)
    if (!Contains(ev, out, x)) out.push_back(x);
  return out;
}

namespace {

Item Arithmetic(const std::string& op, const Item& a0, const Item& b0) {
  Item a = ToSystemValue(a0), b = ToSystemValue(b0);
  if (op == "&" || (op == "+" && a.kind == Item::Kind::kString && b.kind == Item::Kind::kString))
    return Item::String(a.text + b.text);
  if (IsNumeric(a) && IsNumeric(b)) {
    bool ints = a.kind == Item::Kind::kInteger && b.kind == Item::Kind::kInteger;
    if (op == "/") {
      if (AsDouble(b) == 0) throw EvalError("");  // empty result
      double r = AsDouble(a) / AsDouble(b);
      std::ostringstream ss;
      ss.precision(15);
      ss << r;
      return Item::Decimal(r, ss.str());
    }
    if (ints) {
      int64_t x = a.integer, y = b.integer, r = 0;
      if (op == "+") {
        if (__builtin_add_overflow(x, y, &r)) throw EvalError("integer overflow");
      } else if (op == "-") {
        if (__builtin_sub_overflow(x, y, &r)) throw EvalError("integer overflow");
      } else if (op == "*") {
        if (__builtin_mul_overflow(x, y, &r)) throw EvalError("integer overflow");
      } else if (op == "div") {
        if (y == 0 || (x == INT64_MIN && y == -1)) throw EvalError("");
        r = x / y;
      } else if (op == "mod") {
        if (y == 0 || (x == INT64_MIN && y == -1)) throw EvalError("");
        r = x % y;
      }
      return Item::Integer(r);
    }
    double x = AsDouble(a), y = AsDouble(b), r = 0;
    if (op == "+")
      r = x + y;
    else if (op == "-")
      r = x - y;
    else if (op == "*")
      r = x * y;
    else if (op == "div") {
      if (y == 0) throw EvalError("");
      return Item::Integer(static_cast<int64_t>(std::trunc(x / y)));
    } else if (op == "mod") {
      if (y == 0) throw EvalError("");
      r = std::fmod(x, y);
    }
    std::ostringstream ss;
    ss.precision(15);
    ss << r;
    return Item::Decimal(r, ss.str());
  }
  if (IsDateLike(a) && b.kind == Item::Kind::kQuantity && (op == "+" || op == "-")) {
    int sign = op == "+" ? 1 : -1;
    auto amount = static_cast<int64_t>(b.quantity.value) * sign;
    std::string u = b.quantity.unit;
    DateTimeValue d = a.datetime;
    if (u == "year" || u == "years" || u == "a") {
      d.year += static_cast<int>(amount);
    } else if (u == "month" || u == "months" || u == "mo") {
      int64_t m = d.year * 12 + (d.month - 1) + amount;
      d.year = static_cast<int>(m / 12);
      d.month = static_cast<int>(m % 12) + 1;
    } else {
      int64_t secs;
      if (u == "week" || u == "weeks" || u == "wk")
        secs = amount * 7 * 86400;
      else if (u == "day" || u == "days" || u == "d")
        secs = amount * 86400;
      else if (u == "hour" || u == "hours" || u == "h")
        secs = amount * 3600;
      else if (u == "minute" || u == "minutes" || u == "min")
        secs = amount * 60;
      else if (u == "second" || u == "seconds" || u == "s")
        secs = amount;
      else
        throw EvalError("cannot add '" + u + "' to a date");
      // Shift the fields as if in UTC; the zone written with the value is kept.
      DateTimeValue utc = d;
      utc.tz_offset_minutes.reset();
      DateTimeValue shifted = DateTimeFromMicros(utc.LowMicros() + secs * 1000000);
      shifted.precision = d.precision;
      shifted.fraction_digits = d.fraction_digits;
      shifted.tz_offset_minutes = d.tz_offset_minutes;
      d = shifted;
    }
    if (d.day > DaysInMonth(d.year, d.month)) d.day = DaysInMonth(d.year, d.month);
    Item out = a;
    out.datetime = d;
    return out;
  }
  if (a.kind == Item::Kind::kQuantity && b.kind == Item::Kind::kQuantity &&
      (op == "+" || op == "-")) {
    auto ua = ParseUcum(a.quantity.unit), ub = ParseUcum(b.quantity.unit);
    if (!ua || !ub || ua->dims != ub->dims) throw EvalError("");
    double bv = b.quantity.value * ub->factor / ua->factor;
    Item out = a;
    out.quantity.value = op == "+" ? a.quantity.value + bv : a.quantity.value - bv;
    std::ostringstream ss;
    ss.precision(15);
    ss << out.quantity.value;
    out.quantity.value_text = ss.str();
    return out;
  }
  throw EvalError("operator " + op + " is not defined for these operands");
}

}  // namespace

Collection Evaluator::EvalBinary(const Node& node, const Collection& input, const Frame& frame) {
  const std::string& op = node.name;
  Collection left = Eval(*node.children[0], input, frame);
  if (op == "and" || op == "or" || op == "xor" || op == "implies") {
    auto l = SingletonBoolean(left);
    if (op == "and" && l == false) return Bool(false);
    if (op == "or" && l == true) return Bool(true);
    if (op == "implies" && l == false) return Bool(true);
    auto r = SingletonBoolean(Eval(*node.children[1], input, frame));
    if (op == "and") {
      if (r == false) return Bool(false);
      if (l && r) return Bool(true);
      return {};
    }
    if (op == "or") {
      if (r == true) return Bool(true);
      if (l && r) return Bool(false);
      return {};
    }
    if (op == "xor") {
      if (!l || !r) return {};
      return Bool(*l != *r);
    }
    // implies
    if (r == true) return Bool(true);
    if (l == true && r == false) return Bool(false);
    return {};
  }
  Collection right = Eval(*node.children[1], input, frame);
  if (op == "|") {
    Collection all = left;
    all.insert(all.end(), right.begin(), right.end());
    return Distinct(*this, all);
  }
  if (op == "=" || op == "!=") {
    if (left.empty() || right.empty()) return {};
    if (left.size() != right.size()) return Bool(op == "!=");
    bool all_equal = true;
    for (size_t i = 0; i < left.size(); ++i) {
      auto eq = Equal(left[i], right[i]);
      if (!eq) return {};
      if (!*eq) all_equal = false;
    }
    return Bool(op == "=" ? all_equal : !all_equal);
  }
  if (op == "~" || op == "!~") {
    bool eqv;
    if (left.empty() && right.empty()) {
      eqv = true;
    } else if (left.size() != right.size()) {
      eqv = false;
    } else {
      eqv = true;
      for (const Item& l : left) {
        bool found = false;
        for (const Item& r : right)
          if (Equivalent(l, r)) found = true;
        if (!found) eqv = false;
      }
    }
    return Bool(op == "~" ? eqv : !eqv);
  }
  if (op == "in" || op == "contains") {
    const Collection& needle = op == "in" ? left : right;
    const Collection& hay = op == "in" ? right : left;
    if (needle.empty()) return {};
    if (needle.size() > 1) throw EvalError("'" + op + "' needs a single item");
    return Bool(Contains(*this, hay, needle[0]));
  }
  if (left.empty() || right.empty()) return {};
  if (left.size() > 1 || right.size() > 1)
    throw EvalError("operator " + op + " needs single items");
  if (op == "<" || op == ">" || op == "<=" || op == ">=") {
    auto c = Compare(left[0], right[0]);
    if (!c) return {};
    if (op == "<") return Bool(*c < 0);
    if (op == ">") return Bool(*c > 0);
    if (op == "<=") return Bool(*c <= 0);
    return Bool(*c >= 0);
  }
  try {
    return {Arithmetic(op, left[0], right[0])};
  } catch (const EvalError& e) {
    if (std::string(e.what()).empty()) return {};  // division by zero: empty
    throw;
  }
}

Collection Evaluator::Eval(const Node& node, const Collection& input, const Frame& frame) {
  switch (node.kind) {
    case Node::Kind::kLiteral:
      return {node.literal};
    case Node::Kind::kEmpty:
      return {};
    case Node::Kind::kThis:
      if (frame.this_item) return {*frame.this_item};
      return input;
    case Node::Kind::kIndex:
      return {Item::Integer(frame.index)};
    case Node::Kind::kTotal:
      return frame.total ? *frame.total : Collection{};
    case Node::Kind::kVariable: {
      const std::string& n = node.name;
      if (n == "rootResource" && options_.root_resource) {
        std::string type(options_.root_resource->GetString("resourceType"));
        return {Item::Node(options_.root_resource, type, type)};
      }
      if (n == "resource" || n == "context" || n == "rootResource") return root_;
      if (n == "ucum") return {Item::String("http://unitsofmeasure.org")};
      if (n == "sct") return {Item::String("http://snomed.info/sct")};
      if (n == "loinc") return {Item::String("http://loinc.org")};
      if (StartsWith(n, "vs-"))
        return {Item::String("http://hl7.org/fhir/ValueSet/" + n.substr(3))};
      if (StartsWith(n, "ext-"))
        return {Item::String("http://hl7.org/fhir/StructureDefinition/" + n.substr(4))};
      throw EvalError("unknown variable %" + n);
    }
    case Node::Kind::kIdentifier: {
      Collection out;
      bool type_name = !node.name.empty() && node.name[0] >= 'A' && node.name[0] <= 'Z';
      for (const Item& item : input) {
        if (type_name && item.kind == Item::Kind::kNode && IsType(item, node.name)) {
          out.push_back(item);
          continue;
        }
        Navigate(item, node.name, &out);
      }
      return out;
    }
    case Node::Kind::kInvoke: {
      Collection focus = Eval(*node.children[0], input, frame);
      const Node& member = *node.children[1];
      if (member.kind == Node::Kind::kIdentifier) {
        Collection out;
        for (const Item& item : focus) Navigate(item, member.name, &out);
        return out;
      }
      if (member.kind == Node::Kind::kFunction) return CallFunction(member, focus, frame);
      return Eval(member, focus, frame);
    }
    case Node::Kind::kFunction:
      return CallFunction(node, input, frame);
    case Node::Kind::kIndexer: {
      Collection focus = Eval(*node.children[0], input, frame);
      auto idx = SingletonInteger(Eval(*node.children[1], input, frame));
      if (!idx || *idx < 0 || static_cast<size_t>(*idx) >= focus.size()) return {};
      return {focus[static_cast<size_t>(*idx)]};
    }
    case Node::Kind::kUnary: {
      Collection v = Eval(*node.children[0], input, frame);
      if (node.name == "+" || v.empty()) return v;
      if (v.size() > 1) throw EvalError("unary minus needs a single item");
      Item x = ToSystemValue(v[0]);
      if (x.kind == Item::Kind::kInteger) return {Item::Integer(-x.integer)};
      if (x.kind == Item::Kind::kDecimal)
        return {Item::Decimal(-x.decimal, x.text.empty() ? "" : "-" + x.text)};
      if (x.kind == Item::Kind::kQuantity) {
        x.quantity.value = -x.quantity.value;
        x.quantity.value_text = "-" + x.quantity.value_text;
        return {x};
      }
      throw EvalError("unary minus needs a number");
    }
    case Node::Kind::kTypeOp: {
      Collection v = Eval(*node.children[0], input, frame);
      bool is_op = StartsWith(node.name, "is:");
      std::string type = node.name.substr(3);
      if (is_op) {
        if (v.empty()) return {};
        if (v.size() > 1) throw EvalError("'is' needs a single item");
        return Bool(IsType(v[0], type));
      }
      Collection out;
      for (const Item& item : v)
        if (IsType(item, type)) out.push_back(item);
      return out;
    }
    case Node::Kind::kBinary:
      return EvalBinary(node, input, frame);
  }
  return {};
}

Result<Collection> Evaluate(const Expression& expr, const json::Value& resource,
                            const EvalOptions& options) {
  try {
    Evaluator ev(options, resource);
    Frame frame;
    return ev.Eval(expr.root(), ev.root(), frame);
  } catch (const EvalError& e) {
    return Invalid(std::string("FHIRPath evaluation error: ") + e.what());
  }
}

Result<Collection> EvaluateOn(const Expression& expr, const Item& context,
                              const json::Value& resource, const EvalOptions& options) {
  try {
    Evaluator ev(options, resource);
    Frame frame{&context, 0, nullptr};
    return ev.Eval(expr.root(), {context}, frame);
  } catch (const EvalError& e) {
    return Invalid(std::string("FHIRPath evaluation error: ") + e.what());
  }
}

json::Value ToJson(const Collection& items) {
  json::Value out = json::Value::Array();
  for (const Item& i : items) {
    switch (i.kind) {
      case Item::Kind::kNode:
        out.Push(i.node ? *i.node : json::Value());
        break;
      case Item::Kind::kBoolean:
        out.Push(json::Value::Bool(i.boolean));
        break;
      case Item::Kind::kInteger:
        out.Push(json::Value::Integer(i.integer));
        break;
      case Item::Kind::kDecimal: {
        std::string t = i.text;
        if (t.empty()) {
          std::ostringstream ss;
          ss.precision(15);
          ss << i.decimal;
          t = ss.str();
        }
        out.Push(json::Value::Number(t));
        break;
      }
      case Item::Kind::kString:
        out.Push(json::Value::String(i.text));
        break;
      case Item::Kind::kDate:
      case Item::Kind::kDateTime:
        out.Push(json::Value::String(i.datetime.ToString()));
        break;
      case Item::Kind::kTime: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", i.time.hour, i.time.minute, i.time.second);
        out.Push(json::Value::String(buf));
        break;
      }
      case Item::Kind::kQuantity: {
        json::Value q = json::Value::Object();
        q.Set("value",
              json::Value::Number(i.quantity.value_text.empty() ? std::to_string(i.quantity.value)
                                                                : i.quantity.value_text));
        q.Set("unit", json::Value::String(i.quantity.unit));
        out.Push(std::move(q));
        break;
      }
    }
  }
  return out;
}

// Used by resolve() when no resolver finds the target: a placeholder of the right type.
const json::Value& PlaceholderResource() { return EmptyObject(); }

}  // namespace kangyun::fhir::fhirpath
