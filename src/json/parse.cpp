#include <cstdint>
#include <string>

#include "base/strings.h"
#include "base/utf8.h"
#include "json/json.h"

namespace kangyun::json {
namespace {

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options) : s_(text), options_(options) {}

  Result<Value> ParseDocument() {
    SkipSpace();
    Value v;
    if (!ParseValue(&v, 0)) return error_;
    SkipSpace();
    if (pos_ != s_.size()) return Fail("unexpected text after the JSON value");
    return v;
  }

 private:
  Status Fail(std::string msg) {
    int line = 1, col = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    error_ = Invalid("Invalid JSON: " + msg + " at line " + std::to_string(line) + ", column " +
                     std::to_string(col));
    return error_;
  }
  bool FailB(std::string msg) {
    Fail(std::move(msg));
    return false;
  }

  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool ParseValue(Value* out, int depth) {
    if (pos_ >= s_.size()) return FailB("unexpected end of input");
    char c = s_[pos_];
    switch (c) {
      case '{':
        return ParseObject(out, depth + 1);
      case '[':
        return ParseArray(out, depth + 1);
      case '"': {
        std::string str;
        if (!ParseString(&str)) return false;
        *out = Value::String(std::move(str));
        return true;
      }
      case 't':
        return ParseLiteral("true", Value::Bool(true), out);
      case 'f':
        return ParseLiteral("false", Value::Bool(false), out);
      case 'n':
        return ParseLiteral("null", Value(), out);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
        return FailB(std::string("unexpected character '") + c + "'");
    }
  }

  bool ParseLiteral(std::string_view word, Value v, Value* out) {
    if (s_.substr(pos_, word.size()) != word) return FailB("invalid literal");
    pos_ += word.size();
    *out = std::move(v);
    return true;
  }

  bool ParseNumber(Value* out) {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) return FailB("truncated number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    } else {
      return FailB("invalid number");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (pos_ >= s_.size() || !IsDigit(s_[pos_])) return FailB("invalid number fraction");
      while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || !IsDigit(s_[pos_])) return FailB("invalid number exponent");
      while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    }
    *out = Value::Number(std::string(s_.substr(start, pos_ - start)));
    return true;
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  bool ParseHex4(uint32_t* out) {
    auto v = kangyun::ParseHex4(s_.substr(pos_));
    if (!v) return FailB("invalid \\u escape");
    pos_ += 4;
    *out = *v;
    return true;
  }

  // Copies one UTF-8 sequence starting at pos_, validating it.
  bool CopyUtf8(std::string* out) {
    size_t start = pos_;
    uint32_t cp;
    if (!DecodeUtf8(s_, &pos_, &cp)) return FailB("invalid UTF-8");
    out->append(s_.substr(start, pos_ - start));
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= s_.size()) return FailB("unterminated string");
      char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<uint8_t>(c) < 0x20) return FailB("control character in string");
      if (c == '\\') {
        ++pos_;
        if (pos_ >= s_.size()) return FailB("unterminated string");
        char e = s_[pos_++];
        switch (e) {
          case '"':
            out->push_back('"');
            break;
          case '\\':
            out->push_back('\\');
            break;
          case '/':
            out->push_back('/');
            break;
          case 'b':
            out->push_back('\b');
            break;
          case 'f':
            out->push_back('\f');
            break;
          case 'n':
            out->push_back('\n');
            break;
          case 'r':
            out->push_back('\r');
            break;
          case 't':
            out->push_back('\t');
            break;
          case 'u': {
            uint32_t cp = 0;
            if (!ParseHex4(&cp)) return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              uint32_t lo = 0;
              if (s_.substr(pos_, 2) != "\\u") return FailB("lone surrogate in \\u escape");
              pos_ += 2;
              if (!ParseHex4(&lo)) return false;
              if (lo < 0xDC00 || lo > 0xDFFF) return FailB("lone surrogate in \\u escape");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              return FailB("lone surrogate in \\u escape");
            }
            AppendUtf8(cp, out);
            break;
          }
          default:
            --pos_;
            return FailB("invalid escape");
        }
        continue;
      }
      if (static_cast<uint8_t>(c) >= 0x80) {
        if (!CopyUtf8(out)) return false;
        continue;
      }
      // Copy a run of plain ASCII at once.
      size_t start = pos_;
      while (pos_ < s_.size()) {
        auto b = static_cast<uint8_t>(s_[pos_]);
        if (b == '"' || b == '\\' || b < 0x20 || b >= 0x80) break;
        ++pos_;
      }
      out->append(s_.substr(start, pos_ - start));
    }
  }

  bool ParseArray(Value* out, int depth) {
    if (depth > options_.max_depth) return FailB("nesting too deep");
    ++pos_;
    *out = Value::Array();
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      Value item;
      if (!ParseValue(&item, depth)) return false;
      out->Push(std::move(item));
      SkipSpace();
      if (pos_ >= s_.size()) return FailB("unterminated array");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return FailB("expected ',' or ']'");
    }
  }

  bool ParseObject(Value* out, int depth) {
    if (depth > options_.max_depth) return FailB("nesting too deep");
    ++pos_;
    *out = Value::Object();
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return FailB("expected a member name");
      std::string key;
      size_t key_pos = pos_;
      if (!ParseString(&key)) return false;
      if (out->Find(key)) {
        pos_ = key_pos;
        return FailB("duplicate member \"" + key + "\"");
      }
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') return FailB("expected ':'");
      ++pos_;
      SkipSpace();
      Value v;
      if (!ParseValue(&v, depth)) return false;
      out->members().push_back(Member{std::move(key), std::move(v)});
      SkipSpace();
      if (pos_ >= s_.size()) return FailB("unterminated object");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return FailB("expected ',' or '}'");
    }
  }

  std::string_view s_;
  ParseOptions options_;
  size_t pos_ = 0;
  Status error_;
};

}  // namespace

Result<Value> Parse(std::string_view text, const ParseOptions& options) {
  // A UTF-8 byte order mark is not JSON, but some clients send one.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return Parser(text, options).ParseDocument();
}

}  // namespace kangyun::json
