// FHIRPath functions (the function table of the specification, section 5, plus FHIR's
// resolve(), extension(), hasValue(), getValue() and memberOf() as far as possible here).
#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <unordered_map>

#include "base/strings.h"
#include "fhir/definitions.h"
#include "fhir/fhirpath/evaluator.h"
#include "fhir/fhirpath/quantity.h"

namespace kangyun::fhir::fhirpath {

const json::Value& PlaceholderResource();

namespace {

void ExpectArgs(const Node& fn, size_t min, size_t max) {
  if (fn.children.size() < min || fn.children.size() > max)
    throw EvalError(
        fn.name + "() takes " +
        (min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max)) +
        " argument(s)");
}

std::string DecimalText(double d) {
  std::ostringstream ss;
  ss.precision(15);
  ss << d;
  std::string s = ss.str();
  return s;
}

std::optional<Item> ConvertToString(const Item& i0) {
  Item i = ToSystemValue(i0);
  switch (i.kind) {
    case Item::Kind::kString:
      return i;
    case Item::Kind::kBoolean:
      return Item::String(i.boolean ? "true" : "false");
    case Item::Kind::kInteger:
      return Item::String(std::to_string(i.integer));
    case Item::Kind::kDecimal:
      return Item::String(i.text.empty() ? DecimalText(i.decimal) : i.text);
    case Item::Kind::kDate:
    case Item::Kind::kDateTime:
      return Item::String(i.datetime.ToString());
    case Item::Kind::kQuantity:
      return Item::String(
          (i.quantity.value_text.empty() ? DecimalText(i.quantity.value) : i.quantity.value_text) +
          " '" + i.quantity.unit + "'");
    case Item::Kind::kTime: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", i.time.hour, i.time.minute, i.time.second);
      return Item::String(buf);
    }
    case Item::Kind::kNode:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Item> ConvertToInteger(const Item& i0) {
  Item i = ToSystemValue(i0);
  if (i.kind == Item::Kind::kInteger) return i;
  if (i.kind == Item::Kind::kBoolean) return Item::Integer(i.boolean ? 1 : 0);
  if (i.kind == Item::Kind::kString) {
    std::string_view s = i.text;
    size_t p = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    if (p == s.size() || s.size() > 19) return std::nullopt;
    for (size_t k = p; k < s.size(); ++k)
      if (s[k] < '0' || s[k] > '9') return std::nullopt;
    return Item::Integer(std::strtoll(i.text.c_str(), nullptr, 10));
  }
  return std::nullopt;
}

std::optional<Item> ConvertToDecimal(const Item& i0) {
  Item i = ToSystemValue(i0);
  if (i.kind == Item::Kind::kDecimal) return i;
  if (i.kind == Item::Kind::kInteger)
    return Item::Decimal(static_cast<double>(i.integer), std::to_string(i.integer));
  if (i.kind == Item::Kind::kBoolean)
    return Item::Decimal(i.boolean ? 1 : 0, i.boolean ? "1.0" : "0.0");
  if (i.kind == Item::Kind::kString) {
    static const std::regex kDecimal(R"([+-]?\d+(\.\d+)?)");
    if (!std::regex_match(i.text, kDecimal)) return std::nullopt;
    return Item::Decimal(std::strtod(i.text.c_str(), nullptr), i.text);
  }
  return std::nullopt;
}

std::optional<Item> ConvertToBoolean(const Item& i0) {
  Item i = ToSystemValue(i0);
  if (i.kind == Item::Kind::kBoolean) return i;
  if (i.kind == Item::Kind::kInteger && (i.integer == 0 || i.integer == 1))
    return Item::Boolean(i.integer == 1);
  if (i.kind == Item::Kind::kDecimal && (i.decimal == 0 || i.decimal == 1))
    return Item::Boolean(i.decimal == 1);
  if (i.kind == Item::Kind::kString) {
    std::string l = AsciiLower(i.text);
    if (l == "true" || l == "t" || l == "yes" || l == "y" || l == "1" || l == "1.0")
      return Item::Boolean(true);
    if (l == "false" || l == "f" || l == "no" || l == "n" || l == "0" || l == "0.0")
      return Item::Boolean(false);
  }
  return std::nullopt;
}

std::optional<Item> ConvertToDateTime(const Item& i0, bool date_only) {
  Item i = ToSystemValue(i0);
  if (i.kind == Item::Kind::kDate || i.kind == Item::Kind::kDateTime) {
    Item out = i;
    if (date_only) {
      if (out.datetime.precision > DatePrecision::kDay)
        out.datetime.precision = DatePrecision::kDay;
      out.datetime.tz_offset_minutes.reset();
      out.kind = Item::Kind::kDate;
    } else {
      out.kind = Item::Kind::kDateTime;
    }
    return out;
  }
  if (i.kind == Item::Kind::kString) {
    auto dt = ParseDateTime(i.text, true);
    if (!dt || (date_only && dt->precision > DatePrecision::kDay)) return std::nullopt;
    Item out;
    out.kind = date_only ? Item::Kind::kDate : Item::Kind::kDateTime;
    out.datetime = *dt;
    return out;
  }
  return std::nullopt;
}

std::optional<Item> ConvertToQuantity(const Item& i0) {
  Item i = ToSystemValue(i0);
  if (i.kind == Item::Kind::kQuantity) return i;
  if (i.kind == Item::Kind::kInteger || i.kind == Item::Kind::kDecimal) {
    Item q;
    q.kind = Item::Kind::kQuantity;
    q.quantity.value = i.kind == Item::Kind::kInteger ? static_cast<double>(i.integer) : i.decimal;
    q.quantity.value_text = i.kind == Item::Kind::kInteger ? std::to_string(i.integer) : i.text;
    q.quantity.unit = "1";
    return q;
  }
  if (i.kind == Item::Kind::kString) {
    static const std::regex kQuantity(R"(([+-]?\d+(?:\.\d+)?)\s*(?:'([^']+)'|([a-z]+))?)");
    std::smatch m;
    if (!std::regex_match(i.text, m, kQuantity)) return std::nullopt;
    Item q;
    q.kind = Item::Kind::kQuantity;
    q.quantity.value_text = m[1];
    q.quantity.value = std::strtod(q.quantity.value_text.c_str(), nullptr);
    q.quantity.unit = m[2].matched ? m[2].str() : (m[3].matched ? m[3].str() : "1");
    return q;
  }
  return std::nullopt;
}

Collection Single(const Collection& c) {
  if (c.size() > 1) throw EvalError("expected a single item");
  return c;
}

double Number(const Item& i0, const std::string& fn) {
  Item i = ToSystemValue(i0);
  if (i.kind == Item::Kind::kInteger) return static_cast<double>(i.integer);
  if (i.kind == Item::Kind::kDecimal) return i.decimal;
  throw EvalError(fn + "() needs a number");
}

// Safe regex: patterns come from expressions, inputs from resources; std::regex recursion is
// bounded by refusing very long inputs. Compiled once per pattern: the invariants of every
// canonical resource and element definition (cnl-0, eld-19) match names and paths, and
// compiling a std::regex costs far more than matching one. The cache is bounded, since
// expressions may come from clients ($validate with a stored profile, search parameters).
std::shared_ptr<const std::regex> MakeRegex(const std::string& pattern) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const std::regex>> cache;
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(pattern); it != cache.end()) return it->second;
  }
  std::shared_ptr<const std::regex> re;
  try {
    re = std::make_shared<const std::regex>(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    throw EvalError("invalid regular expression '" + pattern + "'");
  }
  std::lock_guard lock(mu);
  if (cache.size() >= 1024) cache.clear();
  cache.emplace(pattern, re);
  return re;
}

}  // namespace

Collection Evaluator::CallFunction(const Node& fn, const Collection& input, const Frame& frame) {
  const std::string& name = fn.name;
  const auto& args = fn.children;
  Collection ctx_input = frame.this_item ? Collection{*frame.this_item} : root_;
  auto arg = [&](size_t k) { return Eval(*args[k], ctx_input, frame); };
  auto per_item = [&](const Node& expr, const Item& item, int64_t index) {
    Frame f{&item, index, &input};
    return Eval(expr, {item}, f);
  };

  // --- existence
  if (name == "empty") {
    ExpectArgs(fn, 0, 0);
    return Bool(input.empty());
  }
  if (name == "exists") {
    ExpectArgs(fn, 0, 1);
    if (args.empty()) return Bool(!input.empty());
    for (size_t i = 0; i < input.size(); ++i)
      if (SingletonBoolean(per_item(*args[0], input[i], static_cast<int64_t>(i))) == true)
        return Bool(true);
    return Bool(false);
  }
  if (name == "all") {
    ExpectArgs(fn, 1, 1);
    for (size_t i = 0; i < input.size(); ++i)
      if (SingletonBoolean(per_item(*args[0], input[i], static_cast<int64_t>(i))) != true)
        return Bool(false);
    return Bool(true);
  }
  if (name == "allTrue" || name == "anyTrue" || name == "allFalse" || name == "anyFalse") {
    ExpectArgs(fn, 0, 0);
    bool want = name == "allTrue" || name == "anyTrue";
    bool any = StartsWith(name, "any");
    for (const Item& i : input) {
      Item v = ToSystemValue(i);
      bool match = v.kind == Item::Kind::kBoolean && v.boolean == want;
      if (any && match) return Bool(true);
      if (!any && !match) return Bool(false);
    }
    return Bool(!any);
  }
  if (name == "subsetOf" || name == "supersetOf") {
    ExpectArgs(fn, 1, 1);
    Collection other = arg(0);
    const Collection& small = name == "subsetOf" ? input : other;
    const Collection& big = name == "subsetOf" ? other : input;
    for (const Item& i : small)
      if (!Contains(*this, big, i)) return Bool(false);
    return Bool(true);
  }
  if (name == "count") {
    ExpectArgs(fn, 0, 0);
    return {Item::Integer(static_cast<int64_t>(input.size()))};
  }
  if (name == "distinct") {
    ExpectArgs(fn, 0, 0);
    return Distinct(*this, input);
  }
  if (name == "isDistinct") {
    ExpectArgs(fn, 0, 0);
    return Bool(Distinct(*this, input).size() == input.size());
  }

  // --- filtering and projection
  if (name == "where") {
    ExpectArgs(fn, 1, 1);
    Collection out;
    for (size_t i = 0; i < input.size(); ++i)
      if (SingletonBoolean(per_item(*args[0], input[i], static_cast<int64_t>(i))) == true)
        out.push_back(input[i]);
    return out;
  }
  if (name == "select") {
    ExpectArgs(fn, 1, 1);
    Collection out;
    for (size_t i = 0; i < input.size(); ++i) {
      Collection r = per_item(*args[0], input[i], static_cast<int64_t>(i));
      out.insert(out.end(), r.begin(), r.end());
    }
    return out;
  }
  if (name == "repeat") {
    ExpectArgs(fn, 1, 1);
    Collection out, frontier = input;
    for (int round = 0; round < 64 && !frontier.empty(); ++round) {
      Collection next;
      for (size_t i = 0; i < frontier.size(); ++i) {
        for (Item& r : per_item(*args[0], frontier[i], static_cast<int64_t>(i))) {
          if (!Contains(*this, out, r)) {
            out.push_back(r);
            next.push_back(r);
          }
        }
      }
      frontier = std::move(next);
    }
    return out;
  }
  if (name == "ofType") {
    ExpectArgs(fn, 1, 1);
    if (args[0]->kind != Node::Kind::kIdentifier && args[0]->kind != Node::Kind::kInvoke)
      throw EvalError("ofType() needs a type name");
    std::string type = args[0]->kind == Node::Kind::kIdentifier
                           ? args[0]->name
                           : args[0]->children[0]->name + "." + args[0]->children[1]->name;
    Collection out;
    for (const Item& i : input)
      if (IsType(i, type)) out.push_back(i);
    return out;
  }
  if (name == "is" || name == "as") {
    ExpectArgs(fn, 1, 1);
    std::string type = args[0]->kind == Node::Kind::kInvoke
                           ? args[0]->children[0]->name + "." + args[0]->children[1]->name
                           : args[0]->name;
    if (name == "is") {
      if (input.empty()) return {};
      return Bool(IsType(Single(input)[0], type));
    }
    Collection out;
    for (const Item& i : input)
      if (IsType(i, type)) out.push_back(i);
    return out;
  }

  // --- subsetting
  if (name == "single") {
    ExpectArgs(fn, 0, 0);
    return Single(input);
  }
  if (name == "first") {
    ExpectArgs(fn, 0, 0);
    return input.empty() ? Collection{} : Collection{input.front()};
  }
  if (name == "last") {
    ExpectArgs(fn, 0, 0);
    return input.empty() ? Collection{} : Collection{input.back()};
  }
  if (name == "tail") {
    ExpectArgs(fn, 0, 0);
    return input.size() <= 1 ? Collection{} : Collection(input.begin() + 1, input.end());
  }
  if (name == "skip" || name == "take") {
    ExpectArgs(fn, 1, 1);
    auto n = SingletonInteger(arg(0));
    if (!n) return {};
    size_t k = static_cast<size_t>(std::clamp<int64_t>(*n, 0, static_cast<int64_t>(input.size())));
    if (name == "skip") return Collection(input.begin() + static_cast<long>(k), input.end());
    return Collection(input.begin(), input.begin() + static_cast<long>(k));
  }
  if (name == "intersect" || name == "exclude") {
    ExpectArgs(fn, 1, 1);
    Collection other = arg(0), out;
    for (const Item& i : input) {
      bool in_other = Contains(*this, other, i);
      if (name == "intersect" ? (in_other && !Contains(*this, out, i)) : !in_other)
        out.push_back(i);
    }
    return out;
  }
  if (name == "union" || name == "combine") {
    ExpectArgs(fn, 1, 1);
    Collection out = input, other = arg(0);
    out.insert(out.end(), other.begin(), other.end());
    return name == "union" ? Distinct(*this, out) : out;
  }
  if (name == "iif") {
    ExpectArgs(fn, 2, 3);
    // Its arguments speak of its input: `member.resolve().iif(empty(), true,
    // ofType(Practitioner).exists())` (ctm-1) asks about what resolve() gave, which is the
    // context itself when iif has no receiver.
    if (input.size() > 1)
      throw EvalError("iif() on a collection of " + std::to_string(input.size()));
    Frame inner = frame;
    if (!input.empty()) inner.this_item = &input[0];
    if (SingletonBoolean(Eval(*args[0], input, inner)) == true) return Eval(*args[1], input, inner);
    if (args.size() == 3) return Eval(*args[2], input, inner);
    return {};
  }

  // --- conversion
  auto convert = [&](auto fn_convert, bool test) -> Collection {
    ExpectArgs(fn, 0, 0);
    if (input.empty()) return {};
    auto v = fn_convert(Single(input)[0]);
    if (test) return Bool(v.has_value());
    return v ? Collection{*v} : Collection{};
  };
  if (name == "toString") return convert(ConvertToString, false);
  if (name == "convertsToString") return convert(ConvertToString, true);
  if (name == "toInteger") return convert(ConvertToInteger, false);
  if (name == "convertsToInteger") return convert(ConvertToInteger, true);
  if (name == "toDecimal") return convert(ConvertToDecimal, false);
  if (name == "convertsToDecimal") return convert(ConvertToDecimal, true);
  if (name == "toBoolean") return convert(ConvertToBoolean, false);
  if (name == "convertsToBoolean") return convert(ConvertToBoolean, true);
  if (name == "toQuantity") {
    ExpectArgs(fn, 0, 1);
    if (input.empty()) return {};
    auto q = ConvertToQuantity(Single(input)[0]);
    if (!q) return {};
    if (!args.empty()) {
      auto unit = SingletonString(arg(0));
      if (!unit) return {};
      auto from = ParseUcum(q->quantity.unit), to = ParseUcum(*unit);
      if (!from || !to || from->dims != to->dims) return {};
      q->quantity.value = q->quantity.value * from->factor / to->factor;
      q->quantity.value_text = DecimalText(q->quantity.value);
      q->quantity.unit = *unit;
    }
    return {*q};
  }
  if (name == "convertsToQuantity") return convert(ConvertToQuantity, true);
  if (name == "toDate" || name == "convertsToDate") {
    return convert([](const Item& i) { return ConvertToDateTime(i, true); }, name != "toDate");
  }
  if (name == "toDateTime" || name == "convertsToDateTime") {
    return convert([](const Item& i) { return ConvertToDateTime(i, false); }, name != "toDateTime");
  }

  // --- strings
  auto input_string = [&]() -> std::optional<std::string> {
    if (input.empty()) return std::nullopt;
    auto s = ConvertToString(Single(input)[0]);
    if (!s) throw EvalError(name + "() needs a string");
    return s->text;
  };
  if (name == "indexOf") {
    ExpectArgs(fn, 1, 1);
    auto s = input_string();
    auto sub = SingletonString(arg(0));
    if (!s || !sub) return {};
    auto pos = s->find(*sub);
    return {Item::Integer(pos == std::string::npos ? -1 : static_cast<int64_t>(pos))};
  }
  if (name == "substring") {
    ExpectArgs(fn, 1, 2);
    auto s = input_string();
    auto start = SingletonInteger(arg(0));
    if (!s || !start) return {};
    if (*start < 0 || static_cast<size_t>(*start) >= s->size()) return {};
    size_t len = std::string::npos;
    if (args.size() == 2) {
      auto l = SingletonInteger(arg(1));
      if (l) len = static_cast<size_t>(std::max<int64_t>(0, *l));
    }
    return {Item::String(s->substr(static_cast<size_t>(*start), len))};
  }
  if (name == "startsWith" || name == "endsWith" || name == "contains") {
    ExpectArgs(fn, 1, 1);
    auto s = input_string();
    auto sub = SingletonString(arg(0));
    if (!s || !sub) return {};
    if (name == "startsWith") return Bool(StartsWith(*s, *sub));
    if (name == "endsWith") return Bool(EndsWith(*s, *sub));
    return Bool(s->find(*sub) != std::string::npos);
  }
  if (name == "upper" || name == "lower") {
    ExpectArgs(fn, 0, 0);
    auto s = input_string();
    if (!s) return {};
    std::string out = *s;
    for (char& c : out) {
      if (name == "upper" && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      if (name == "lower" && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    return {Item::String(out)};
  }
  if (name == "replace") {
    ExpectArgs(fn, 2, 2);
    auto s = input_string();
    auto pattern = SingletonString(arg(0));
    auto subst = SingletonString(arg(1));
    if (!s || !pattern || !subst) return {};
    std::string out;
    if (pattern->empty()) {
      for (char c : *s) out += *subst + c;
      out += *subst;
      return {Item::String(out)};
    }
    size_t pos = 0;
    while (true) {
      size_t next = s->find(*pattern, pos);
      if (next == std::string::npos) break;
      out += s->substr(pos, next - pos) + *subst;
      pos = next + pattern->size();
    }
    out += s->substr(pos);
    return {Item::String(out)};
  }
  if (name == "matches" || name == "replaceMatches") {
    ExpectArgs(fn, name == "matches" ? 1 : 2, name == "matches" ? 1 : 2);
    auto s = input_string();
    auto pattern = SingletonString(arg(0));
    if (!s || !pattern) return {};
    if (s->size() > 10000) throw EvalError("string too long for a regular expression");
    std::shared_ptr<const std::regex> re = MakeRegex(*pattern);
    if (name == "matches") return Bool(std::regex_search(*s, *re));
    auto subst = SingletonString(arg(1));
    if (!subst) return {};
    return {Item::String(std::regex_replace(*s, *re, *subst))};
  }
  if (name == "length") {
    ExpectArgs(fn, 0, 0);
    auto s = input_string();
    if (!s) return {};
    int64_t n = 0;
    for (unsigned char c : *s)
      if ((c & 0xC0) != 0x80) ++n;
    return {Item::Integer(n)};
  }
  if (name == "toChars") {
    ExpectArgs(fn, 0, 0);
    auto s = input_string();
    if (!s) return {};
    Collection out;
    for (size_t i = 0; i < s->size();) {
      size_t len = 1;
      auto c = static_cast<unsigned char>((*s)[i]);
      if (c >= 0xF0)
        len = 4;
      else if (c >= 0xE0)
        len = 3;
      else if (c >= 0xC0)
        len = 2;
      out.push_back(Item::String(s->substr(i, len)));
      i += len;
    }
    return out;
  }
  if (name == "trim") {
    ExpectArgs(fn, 0, 0);
    auto s = input_string();
    if (!s) return {};
    return {Item::String(std::string(Trim(*s)))};
  }
  if (name == "split") {
    ExpectArgs(fn, 1, 1);
    auto s = input_string();
    auto sep = SingletonString(arg(0));
    if (!s || !sep || sep->empty()) return {};
    Collection out;
    size_t pos = 0;
    while (true) {
      size_t next = s->find(*sep, pos);
      out.push_back(
          Item::String(s->substr(pos, next == std::string::npos ? std::string::npos : next - pos)));
      if (next == std::string::npos) break;
      pos = next + sep->size();
    }
    return out;
  }
  if (name == "join") {
    ExpectArgs(fn, 0, 1);
    std::string sep;
    if (!args.empty()) sep = SingletonString(arg(0)).value_or("");
    std::string out;
    for (size_t i = 0; i < input.size(); ++i) {
      auto s = ConvertToString(input[i]);
      if (!s) throw EvalError("join() needs strings");
      if (i) out += sep;
      out += s->text;
    }
    return {Item::String(out)};
  }

  // --- math
  if (name == "abs" || name == "ceiling" || name == "floor" || name == "truncate" ||
      name == "exp" || name == "ln" || name == "sqrt" || name == "round" || name == "log" ||
      name == "power") {
    if (input.empty()) return {};
    Item v = ToSystemValue(Single(input)[0]);
    if (name == "abs" && v.kind == Item::Kind::kQuantity) {
      v.quantity.value = std::fabs(v.quantity.value);
      if (!v.quantity.value_text.empty() && v.quantity.value_text[0] == '-')
        v.quantity.value_text.erase(0, 1);
      return {v};
    }
    double x = Number(v, name);
    bool is_int = v.kind == Item::Kind::kInteger;
    if (name == "abs") {
      ExpectArgs(fn, 0, 0);
      if (is_int) return {Item::Integer(v.integer < 0 ? -v.integer : v.integer)};
      return {Item::Decimal(std::fabs(x), DecimalText(std::fabs(x)))};
    }
    if (name == "ceiling") return {Item::Integer(static_cast<int64_t>(std::ceil(x)))};
    if (name == "floor") return {Item::Integer(static_cast<int64_t>(std::floor(x)))};
    if (name == "truncate") return {Item::Integer(static_cast<int64_t>(std::trunc(x)))};
    double r;
    if (name == "exp")
      r = std::exp(x);
    else if (name == "ln") {
      if (x <= 0) return {};
      r = std::log(x);
    } else if (name == "sqrt") {
      if (x < 0) return {};
      r = std::sqrt(x);
    } else if (name == "round") {
      ExpectArgs(fn, 0, 1);
      int64_t places = args.empty() ? 0 : SingletonInteger(arg(0)).value_or(0);
      double scale = std::pow(10.0, static_cast<double>(places));
      r = std::round(x * scale) / scale;
      std::ostringstream ss;
      ss.setf(std::ios::fixed);
      ss.precision(static_cast<int>(places));
      ss << r;
      return {Item::Decimal(r, ss.str())};
    } else if (name == "log") {
      ExpectArgs(fn, 1, 1);
      Collection b = arg(0);
      if (b.empty()) return {};
      double base = Number(b[0], name);
      if (x <= 0 || base <= 0 || base == 1) return {};
      r = std::log(x) / std::log(base);
    } else {  // power
      ExpectArgs(fn, 1, 1);
      Collection e = arg(0);
      if (e.empty()) return {};
      Item ev = ToSystemValue(e[0]);
      double y = Number(ev, name);
      r = std::pow(x, y);
      if (std::isnan(r)) return {};
      if (is_int && ev.kind == Item::Kind::kInteger && y >= 0)
        return {Item::Integer(static_cast<int64_t>(r))};
    }
    return {Item::Decimal(r, DecimalText(r))};
  }

  // --- tree navigation
  if (name == "children") {
    ExpectArgs(fn, 0, 0);
    Collection out;
    for (const Item& i : input) AllChildren(i, &out);
    return out;
  }
  if (name == "descendants") {
    ExpectArgs(fn, 0, 0);
    Collection out, frontier = input;
    for (int depth = 0; depth < 64 && !frontier.empty(); ++depth) {
      Collection next;
      for (const Item& i : frontier) AllChildren(i, &next);
      out.insert(out.end(), next.begin(), next.end());
      frontier = std::move(next);
    }
    return out;
  }

  // --- utility
  if (name == "trace") return input;
  if (name == "now" || name == "today") {
    ExpectArgs(fn, 0, 0);
    Item out;
    out.kind = name == "now" ? Item::Kind::kDateTime : Item::Kind::kDate;
    out.datetime = DateTimeFromMicros(now_micros());
    if (name == "today") {
      out.datetime.precision = DatePrecision::kDay;
      out.datetime.tz_offset_minutes.reset();
    }
    return {out};
  }
  if (name == "timeOfDay") {
    Item out;
    out.kind = Item::Kind::kTime;
    int64_t rem = (now_micros() / 1000000) % 86400;
    out.time.hour = static_cast<int>(rem / 3600);
    out.time.minute = static_cast<int>((rem / 60) % 60);
    out.time.second = static_cast<int>(rem % 60);
    return {out};
  }
  if (name == "not") {
    ExpectArgs(fn, 0, 0);
    auto b = SingletonBoolean(input);
    if (!b) return {};
    return Bool(!*b);
  }

  // --- FHIR-specific functions
  if (name == "hasValue") {
    ExpectArgs(fn, 0, 0);
    return Bool(input.size() == 1 && input[0].kind == Item::Kind::kNode && input[0].node &&
                !input[0].node->is_object() && !input[0].node->is_array());
  }
  if (name == "getValue") {
    Collection out;
    for (const Item& i : input)
      if (i.kind == Item::Kind::kNode && i.node && !i.node->is_object())
        out.push_back(ToSystemValue(i));
    return out;
  }
  if (name == "extension") {
    ExpectArgs(fn, 1, 1);
    auto url = SingletonString(arg(0));
    Collection exts, out;
    for (const Item& i : input) Navigate(i, "extension", &exts);
    for (const Item& e : exts)
      if (e.node && e.node->GetString("url") == url.value_or("")) out.push_back(e);
    return out;
  }
  if (name == "resolve") {
    ExpectArgs(fn, 0, 0);
    Collection out;
    for (const Item& i : input) {
      std::string ref;
      if (i.kind == Item::Kind::kNode && i.node && i.node->is_object()) {
        ref = std::string(i.node->GetString("reference"));
      } else {
        Item v = ToSystemValue(i);
        if (v.kind == Item::Kind::kString) ref = v.text;
      }
      if (ref.empty()) continue;
      if (ref[0] == '#') {
        // A contained resource: of the container, also from inside a sibling.
        const json::Value* container =
            options_.root_resource ? options_.root_resource : root_[0].node;
        const json::Value* contained = container ? container->Find("contained") : nullptr;
        if (contained) {
          for (const json::Value& c : contained->items()) {
            if (c.GetString("id") == std::string_view(ref).substr(1)) {
              std::string t(c.GetString("resourceType"));
              out.push_back(Item::Node(&c, t, t));
            }
          }
        }
        continue;
      }
      if (options_.resolver) {
        if (const json::Value* target = options_.resolver(ref)) {
          std::string t(target->GetString("resourceType"));
          out.push_back(Item::Node(target, t, t));
          continue;
        }
      }
      // Type from the reference itself: [base/]Type/id[/_history/v].
      std::vector<std::string> parts = Split(ref, '/');
      for (size_t k = parts.size(); k >= 2; --k) {
        const std::string& t = parts[k - 2];
        if (!t.empty() && t[0] >= 'A' && t[0] <= 'Z' && t != "_history") {
          if (options_.definitions && !options_.definitions->IsResourceType(t)) break;
          out.push_back(Item::Node(&PlaceholderResource(), t, t));
          break;
        }
      }
    }
    return out;
  }
  if (name == "memberOf") {
    // Against the ValueSets the loaded definitions enumerate; unknown sets give empty.
    ExpectArgs(fn, 1, 1);
    auto url = SingletonString(arg(0));
    if (input.empty() || !url || !options_.definitions) return {};
    const auto* expansion = options_.definitions->ValueSetExpansion(*url);
    if (!expansion) return {};
    Collection single = Single(input);
    const Item& item = single[0];
    auto in_set = [&](std::string_view system, std::string_view code) {
      for (const auto& c : *expansion)
        if (c.code == code && (system.empty() || c.system == system)) return true;
      return false;
    };
    if (item.node && item.node->is_object()) {
      std::vector<const json::Value*> codings;
      if (const json::Value* list = item.node->Find("coding")) {
        for (const json::Value& c : list->items()) codings.push_back(&c);
      } else {
        codings.push_back(item.node);
      }
      for (const json::Value* c : codings)
        if (in_set(c->GetString("system"), c->GetString("code"))) return Bool(true);
      return Bool(false);
    }
    Item v = ToSystemValue(item);
    if (v.kind != Item::Kind::kString) return {};
    return Bool(in_set("", v.text));
  }
  if (name == "conformsTo" || name == "subsumes" || name == "subsumedBy") {
    // Needs a terminology or validation service; unknown here, which FHIRPath spells empty.
    return {};
  }
  if (name == "htmlChecks" || name == "htmlchecks") return Bool(true);
  if (name == "aggregate") {
    ExpectArgs(fn, 1, 2);
    Collection total = args.size() == 2 ? arg(1) : Collection{};
    for (size_t i = 0; i < input.size(); ++i) {
      Frame f{&input[i], static_cast<int64_t>(i), &total};
      total = Eval(*args[0], {input[i]}, f);
    }
    return total;
  }
  throw EvalError("unknown function " + name + "()");
}

}  // namespace kangyun::fhir::fhirpath
