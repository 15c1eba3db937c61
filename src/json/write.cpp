#include "json/json.h"

namespace kangyun::json {
namespace {

void Indent(int level, std::string* out) {
  out->push_back('\n');
  out->append(static_cast<size_t>(level) * 2, ' ');
}

void WriteImpl(const Value& v, std::string* out, int pretty_level) {
  bool pretty = pretty_level >= 0;
  switch (v.type()) {
    case Type::kNull:
      out->append("null");
      return;
    case Type::kBool:
      out->append(v.as_bool() ? "true" : "false");
      return;
    case Type::kNumber:
    case Type::kRaw:
      out->append(v.str());
      return;
    case Type::kString:
      WriteString(v.str(), out);
      return;
    case Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : v.items()) {
        if (!first) out->push_back(',');
        first = false;
        if (pretty) Indent(pretty_level + 1, out);
        WriteImpl(item, out, pretty ? pretty_level + 1 : -1);
      }
      if (pretty && !v.items().empty()) Indent(pretty_level, out);
      out->push_back(']');
      return;
    }
    case Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const Member& m : v.members()) {
        if (!first) out->push_back(',');
        first = false;
        if (pretty) Indent(pretty_level + 1, out);
        WriteString(m.key, out);
        out->append(pretty ? ": " : ":");
        WriteImpl(m.value, out, pretty ? pretty_level + 1 : -1);
      }
      if (pretty && !v.members().empty()) Indent(pretty_level, out);
      out->push_back('}');
      return;
    }
  }
}

}  // namespace

void WriteString(std::string_view s, std::string* out) {
  static const char* kHex = "0123456789abcdef";
  out->push_back('"');
  // Runs that need no escape (nearly all text) are copied whole.
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    char c = s[i];
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[u >> 4]);
        out->push_back(kHex[u & 15]);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void WriteTo(const Value& value, std::string* out) { WriteImpl(value, out, -1); }

std::string Write(const Value& value) {
  std::string out;
  WriteTo(value, &out);
  return out;
}

std::string WritePretty(const Value& value) {
  std::string out;
  WriteImpl(value, &out, 0);
  return out;
}

}  // namespace kangyun::json
