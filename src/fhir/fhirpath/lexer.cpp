#include "fhir/fhirpath/lexer.h"

#include "base/strings.h"
#include "base/utf8.h"

namespace kangyun::fhir::fhirpath {
namespace {

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status ErrorAt(size_t pos, const std::string& msg) {
  return Invalid("FHIRPath syntax error at position " + std::to_string(pos + 1) + ": " + msg);
}

// Reads a quoted string or delimited identifier, handling FHIRPath escapes.
Result<std::string> ReadQuoted(std::string_view s, size_t* pos, char quote) {
  size_t start = *pos;
  std::string out;
  ++*pos;
  while (*pos < s.size()) {
    char c = s[*pos];
    if (c == quote) {
      ++*pos;
      return out;
    }
    if (c == '\\') {
      if (*pos + 1 >= s.size()) break;
      char e = s[*pos + 1];
      *pos += 2;
      switch (e) {
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'u': {
          auto hex = ParseHex4(s.substr(*pos));
          if (!hex) return ErrorAt(*pos, "invalid \\u escape");
          uint32_t cp = *hex;
          *pos += 4;
          if (cp >= 0xD800 && cp <= 0xDFFF) return ErrorAt(*pos - 6, "surrogate in \\u escape");
          AppendUtf8(cp, &out);
          break;
        }
        default:
          out.push_back(e);  // \' \" \` \\ \/
      }
      continue;
    }
    out.push_back(c);
    ++*pos;
  }
  return ErrorAt(start, "unterminated string");
}

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view s) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      if (end == std::string_view::npos) return ErrorAt(i, "unterminated comment");
      i = end + 2;
      continue;
    }
    int pos = static_cast<int>(i) + 1;
    if (IsIdentStart(c)) {
      size_t start = i;
      while (i < s.size() && IsIdentChar(s[i])) ++i;
      tokens.push_back({Token::Kind::kIdentifier, std::string(s.substr(start, i - start)), pos});
      continue;
    }
    if (c == '`') {
      KY_ASSIGN_OR_RETURN(std::string text, ReadQuoted(s, &i, '`'));
      tokens.push_back({Token::Kind::kDelimitedIdentifier, std::move(text), pos});
      continue;
    }
    if (c == '\'') {
      KY_ASSIGN_OR_RETURN(std::string text, ReadQuoted(s, &i, '\''));
      tokens.push_back({Token::Kind::kString, std::move(text), pos});
      continue;
    }
    if (IsDigit(c)) {
      size_t start = i;
      while (i < s.size() && IsDigit(s[i])) ++i;
      if (i + 1 < s.size() && s[i] == '.' && IsDigit(s[i + 1])) {
        ++i;
        while (i < s.size() && IsDigit(s[i])) ++i;
      }
      tokens.push_back({Token::Kind::kNumber, std::string(s.substr(start, i - start)), pos});
      continue;
    }
    if (c == '@') {
      size_t start = ++i;
      bool time_only = i < s.size() && s[i] == 'T';
      while (i < s.size() && (IsDigit(s[i]) || s[i] == '-' || s[i] == ':' || s[i] == 'T' ||
                              s[i] == '.' || s[i] == 'Z' || s[i] == '+')) {
        // '+' and '-' are part of a zone offset only after a time.
        ++i;
      }
      tokens.push_back({time_only ? Token::Kind::kTime : Token::Kind::kDate,
                        std::string(s.substr(start, i - start)), pos});
      continue;
    }
    if (c == '%') {
      ++i;
      if (i < s.size() && s[i] == '`') {
        KY_ASSIGN_OR_RETURN(std::string text, ReadQuoted(s, &i, '`'));
        tokens.push_back({Token::Kind::kVariable, std::move(text), pos});
      } else if (i < s.size() && s[i] == '\'') {
        KY_ASSIGN_OR_RETURN(std::string text, ReadQuoted(s, &i, '\''));
        tokens.push_back({Token::Kind::kVariable, std::move(text), pos});
      } else {
        size_t start = i;
        while (i < s.size() && (IsIdentChar(s[i]) || s[i] == '-')) ++i;
        if (i == start) return ErrorAt(start - 1, "expected a variable name after '%'");
        tokens.push_back({Token::Kind::kVariable, std::string(s.substr(start, i - start)), pos});
      }
      continue;
    }
    static const char* kTwoChar[] = {"<=", ">=", "!=", "!~"};
    bool matched = false;
    for (const char* sym : kTwoChar) {
      if (s.substr(i, 2) == sym) {
        tokens.push_back({Token::Kind::kSymbol, sym, pos});
        i += 2;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (std::string_view("().,[]{}+-*/|&=~<>$").find(c) != std::string_view::npos) {
      tokens.push_back({Token::Kind::kSymbol, std::string(1, c), pos});
      ++i;
      continue;
    }
    return ErrorAt(i, std::string("unexpected character '") + c + "'");
  }
  tokens.push_back({Token::Kind::kEnd, "", static_cast<int>(s.size()) + 1});
  return tokens;
}

}  // namespace kangyun::fhir::fhirpath
