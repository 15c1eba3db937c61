#include "search/resource_text.h"

#include <array>
#include <string_view>

#include "base/strings.h"
#include "base/utf8.h"

namespace kangyun::search {
namespace {

// Elements whose strings are machinery, not text: identities, links, code system URIs,
// base64 content, and the record's own bookkeeping.
constexpr std::array<std::string_view, 10> kNotText = {
    "id",   "reference", "system",       "url",     "version",
    "data", "meta",      "resourceType", "fullUrl", "div"};

bool IsNotText(std::string_view key) {
  for (std::string_view k : kNotText)
    if (k == key) return true;
  return false;
}

// Tags that end a block of text: their words do not run on into the next block's.
bool EndsBlock(std::string_view tag) {
  static constexpr std::array<std::string_view, 16> kBlocks = {
      "p",  "div",   "br", "tr", "td", "th", "li", "ul",
      "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6"};
  for (std::string_view b : kBlocks)
    if (b == tag) return true;
  return false;
}

// Appends the text of a character reference (`name` without & and ;); false when it is not one.
bool DecodeReference(std::string_view name, std::string* out) {
  if (name == "lt") return out->push_back('<'), true;
  if (name == "gt") return out->push_back('>'), true;
  if (name == "amp") return out->push_back('&'), true;
  if (name == "quot") return out->push_back('"'), true;
  if (name == "apos") return out->push_back('\''), true;
  if (name == "nbsp") return out->push_back(' '), true;
  if (name.size() < 2 || name[0] != '#') return false;
  bool hex = name[1] == 'x' || name[1] == 'X';
  std::string_view digits = name.substr(hex ? 2 : 1);
  if (digits.empty() || digits.size() > 8) return false;
  uint32_t cp = 0;
  for (char ch : digits) {
    int d = HexDigitValue(ch);
    if (d < 0 || (!hex && d > 9)) return false;
    cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
  }
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  AppendUtf8(cp, out);
  return true;
}

void Collect(const json::Value& v, std::string* out) {
  if (out->size() >= kMaxIndexedText) return;
  if (v.is_object()) {
    for (const json::Member& m : v.members()) {
      if (IsNotText(m.key)) continue;
      Collect(m.value, out);
    }
  } else if (v.is_array()) {
    for (const json::Value& item : v.items()) Collect(item, out);
  } else if (v.is_string() && !Trim(v.str()).empty()) {
    if (!out->empty()) out->push_back('\n');
    out->append(v.str());
  }
}

void Cap(std::string* s) {
  if (s->size() <= kMaxIndexedText) return;
  size_t end = kMaxIndexedText;
  while (end > 0 && (static_cast<unsigned char>((*s)[end]) & 0xC0) == 0x80) --end;  // whole chars
  s->resize(end);
}

}  // namespace

std::string NarrativeText(const json::Value& resource) {
  const json::Value* text = resource.Find("text");
  const json::Value* div = text ? text->Find("div") : nullptr;
  if (!div || !div->is_string()) return "";
  std::string_view xhtml = div->str();
  std::string out;
  out.reserve(xhtml.size());
  for (size_t i = 0; i < xhtml.size() && out.size() < kMaxIndexedText;) {
    char ch = xhtml[i];
    if (ch == '<') {
      size_t end = xhtml.find('>', i);
      if (end == std::string_view::npos) break;
      std::string_view tag = xhtml.substr(i + 1, end - i - 1);
      if (!tag.empty() && tag[0] == '/') tag.remove_prefix(1);
      tag = tag.substr(0, tag.find_first_of(" \t\r\n/"));
      if (EndsBlock(AsciiLower(tag)) && !out.empty() && out.back() != ' ') out.push_back(' ');
      i = end + 1;
    } else if (ch == '&') {
      size_t end = xhtml.find(';', i);
      if (end != std::string_view::npos && end - i <= 10 &&
          DecodeReference(xhtml.substr(i + 1, end - i - 1), &out)) {
        i = end + 1;
      } else {
        out.push_back('&');
        ++i;
      }
    } else {
      out.push_back(ch);
      ++i;
    }
  }
  std::string trimmed(Trim(out));
  Cap(&trimmed);
  return trimmed;
}

std::string ContentText(const json::Value& resource, std::string narrative) {
  std::string out = std::move(narrative);
  Collect(resource, &out);
  Cap(&out);
  return out;
}

}  // namespace kangyun::search
