#include "fhir/fhirpath/quantity.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

namespace kangyun::fhir {
namespace {

struct Atom {
  double factor;
  std::map<std::string, int> dims;
  bool metric;  // may take a prefix
};

const std::unordered_map<std::string, Atom>& Atoms() {
  static const auto* atoms = new std::unordered_map<std::string, Atom>{
      {"m", {1, {{"m", 1}}, true}},
      {"g", {1, {{"g", 1}}, true}},
      {"s", {1, {{"s", 1}}, true}},
      {"mol", {1, {{"mol", 1}}, true}},
      {"K", {1, {{"K", 1}}, true}},
      {"Cel", {1, {{"Cel", 1}}, false}},
      {"L", {0.001, {{"m", 3}}, true}},
      {"l", {0.001, {{"m", 3}}, true}},
      {"min", {60, {{"s", 1}}, false}},
      {"h", {3600, {{"s", 1}}, false}},
      {"d", {86400, {{"s", 1}}, false}},
      {"wk", {604800, {{"s", 1}}, false}},
      {"mo", {2629800, {{"s", 1}}, false}},
      {"a", {31557600, {{"s", 1}}, false}},
      {"Pa", {1000, {{"g", 1}, {"m", -1}, {"s", -2}}, true}},
      {"bar", {1e8, {{"g", 1}, {"m", -1}, {"s", -2}}, true}},
      {"m[Hg]", {133322e3, {{"g", 1}, {"m", -1}, {"s", -2}}, true}},
      {"m[H2O]", {9806.65e3, {{"g", 1}, {"m", -1}, {"s", -2}}, true}},
      {"N", {1000, {{"g", 1}, {"m", 1}, {"s", -2}}, true}},
      {"J", {1000, {{"g", 1}, {"m", 2}, {"s", -2}}, true}},
      {"cal", {4184, {{"g", 1}, {"m", 2}, {"s", -2}}, true}},
      {"W", {1000, {{"g", 1}, {"m", 2}, {"s", -3}}, true}},
      {"Hz", {1, {{"s", -1}}, true}},
      {"kat", {1, {{"mol", 1}, {"s", -1}}, true}},
      {"[in_i]", {0.0254, {{"m", 1}}, false}},
      {"[ft_i]", {0.3048, {{"m", 1}}, false}},
      {"[lb_av]", {453.59237, {{"g", 1}}, false}},
      {"[oz_av]", {28.349523125, {{"g", 1}}, false}},
      {"%", {0.01, {}, false}},
      {"[ppm]", {1e-6, {}, false}},
      {"[ppb]", {1e-9, {}, false}},
      {"U", {1, {{"U", 1}}, true}},
      {"[iU]", {1, {{"[iU]", 1}}, true}},
      {"[IU]", {1, {{"[iU]", 1}}, true}},
      {"eq", {1, {{"mol", 1}}, true}},
      {"osm", {1, {{"osm", 1}}, true}},
  };
  return *atoms;
}

const std::unordered_map<std::string, std::string>& CalendarWords() {
  static const auto* words = new std::unordered_map<std::string, std::string>{
      {"year", "a"},   {"years", "a"},   {"month", "mo"},       {"months", "mo"},
      {"week", "wk"},  {"weeks", "wk"},  {"day", "d"},          {"days", "d"},
      {"hour", "h"},   {"hours", "h"},   {"minute", "min"},     {"minutes", "min"},
      {"second", "s"}, {"seconds", "s"}, {"millisecond", "ms"}, {"milliseconds", "ms"},
  };
  return *words;
}

struct Prefix {
  const char* symbol;
  double factor;
};
constexpr Prefix kPrefixes[] = {{"da", 1e1},  {"Y", 1e24},  {"Z", 1e21}, {"E", 1e18}, {"P", 1e15},
                                {"T", 1e12},  {"G", 1e9},   {"M", 1e6},  {"k", 1e3},  {"h", 1e2},
                                {"d", 1e-1},  {"c", 1e-2},  {"m", 1e-3}, {"u", 1e-6}, {"n", 1e-9},
                                {"p", 1e-12}, {"f", 1e-15}, {"a", 1e-18}};

void Multiply(CanonicalUnit* acc, const CanonicalUnit& u, int sign) {
  acc->factor *= sign > 0 ? u.factor : 1 / u.factor;
  for (const auto& [atom, exp] : u.dims) {
    int& e = acc->dims[atom];
    e += sign * exp;
    if (e == 0) acc->dims.erase(atom);
  }
}

class UcumParser {
 public:
  explicit UcumParser(std::string_view s) : s_(s) {}

  std::optional<CanonicalUnit> Parse() {
    if (s_.empty()) return CanonicalUnit{};
    CanonicalUnit out;
    if (s_[0] == '/') {
      ++pos_;
      auto c = Component();
      if (!c) return std::nullopt;
      Multiply(&out, *c, -1);
    } else {
      auto c = Component();
      if (!c) return std::nullopt;
      out = *c;
    }
    while (pos_ < s_.size()) {
      char op = s_[pos_];
      if (op != '.' && op != '/') return std::nullopt;
      ++pos_;
      auto c = Component();
      if (!c) return std::nullopt;
      Multiply(&out, *c, op == '.' ? 1 : -1);
    }
    return out;
  }

 private:
  std::optional<CanonicalUnit> Component() {
    if (pos_ < s_.size() && s_[pos_] == '(') {
      size_t depth = 1, start = ++pos_;
      while (pos_ < s_.size() && depth) {
        if (s_[pos_] == '(') ++depth;
        if (s_[pos_] == ')') --depth;
        ++pos_;
      }
      if (depth) return std::nullopt;
      return UcumParser(s_.substr(start, pos_ - start - 1)).Parse();
    }
    if (pos_ < s_.size() && s_[pos_] == '{') {
      size_t end = s_.find('}', pos_);
      if (end == std::string_view::npos) return std::nullopt;
      pos_ = end + 1;
      return CanonicalUnit{};
    }
    // Symbol: up to the next operator, exponent digits or annotation.
    size_t start = pos_;
    int bracket = 0;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '[') ++bracket;
      if (c == ']') --bracket;
      if (!bracket && (c == '.' || c == '/' || c == '{')) break;
      ++pos_;
    }
    std::string_view sym = s_.substr(start, pos_ - start);
    if (pos_ < s_.size() && s_[pos_] == '{') {  // annotation after a unit: ignored
      size_t end = s_.find('}', pos_);
      if (end == std::string_view::npos) return std::nullopt;
      pos_ = end + 1;
    }
    // "10*3" or "10^3"
    if (sym.size() > 3 && sym.substr(0, 2) == "10" && (sym[2] == '*' || sym[2] == '^')) {
      char* end = nullptr;
      std::string exp(sym.substr(3));
      long e = std::strtol(exp.c_str(), &end, 10);
      if (!end || *end) return std::nullopt;
      CanonicalUnit u;
      u.factor = std::pow(10.0, static_cast<double>(e));
      return u;
    }
    // Trailing exponent: "m2", "s-1".
    size_t exp_start = sym.size();
    while (exp_start > 0 && (std::isdigit(static_cast<unsigned char>(sym[exp_start - 1])) ||
                             sym[exp_start - 1] == '-' || sym[exp_start - 1] == '+'))
      --exp_start;
    int exponent = 1;
    if (exp_start < sym.size()) {
      if (exp_start == 0) {  // a plain number such as "1"
        std::string num(sym);
        CanonicalUnit u;
        u.factor = std::strtod(num.c_str(), nullptr);
        return u.factor > 0 ? std::optional(u) : std::nullopt;
      }
      exponent = std::atoi(std::string(sym.substr(exp_start)).c_str());
      sym = sym.substr(0, exp_start);
    }
    auto atom = LookUp(sym);
    if (!atom) return std::nullopt;
    CanonicalUnit u;
    u.factor = std::pow(atom->factor, exponent);
    for (auto& [k, v] : atom->dims) u.dims[k] = v * exponent;
    return u;
  }

  static std::optional<Atom> LookUp(std::string_view sym) {
    const auto& atoms = Atoms();
    if (auto it = atoms.find(std::string(sym)); it != atoms.end()) return it->second;
    for (const Prefix& p : kPrefixes) {
      std::string_view ps(p.symbol);
      if (sym.size() > ps.size() && sym.substr(0, ps.size()) == ps) {
        auto it = atoms.find(std::string(sym.substr(ps.size())));
        if (it != atoms.end() && it->second.metric) {
          Atom a = it->second;
          a.factor *= p.factor;
          return a;
        }
      }
    }
    return std::nullopt;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::string CanonicalUnit::Code() const {
  std::string out;
  for (const auto& [atom, exp] : dims) {
    if (!out.empty()) out.push_back('.');
    out += atom;
    if (exp != 1) out += std::to_string(exp);
  }
  return out.empty() ? "1" : out;
}

std::optional<CanonicalUnit> ParseUcum(std::string_view unit) {
  if (auto it = CalendarWords().find(std::string(unit)); it != CalendarWords().end())
    return UcumParser(it->second).Parse();
  return UcumParser(unit).Parse();
}

}  // namespace kangyun::fhir
