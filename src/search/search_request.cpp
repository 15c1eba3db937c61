#include "search/search_request.h"

#include "base/strings.h"

namespace kangyun::search {

QueryParams ParseQueryString(std::string_view query) {
  QueryParams out;
  if (query.empty()) return out;
  for (const std::string& part : Split(query, '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string key = PercentDecode(part.substr(0, eq), true);
    std::string value = eq == std::string::npos ? "" : PercentDecode(part.substr(eq + 1), true);
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

std::vector<std::string> SplitEscaped(std::string_view s, char sep, bool unescape) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      if (!unescape) cur.push_back('\\');
      cur.push_back(s[i + 1]);
      ++i;
      continue;
    }
    if (c == sep) {
      out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    cur.push_back(c);
  }
  out.push_back(std::move(cur));
  return out;
}

std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out.push_back(s[++i]);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

namespace {

Result<IncludeRequest> ParseInclude(const std::string& key, const std::string& value) {
  IncludeRequest inc;
  inc.iterate = EndsWith(key, ":iterate") || EndsWith(key, ":recurse");
  std::vector<std::string> parts = Split(value, ':');
  if (parts.size() == 1 && parts[0] == "*") {
    inc.source_type = "*";
    inc.param = "*";
    return inc;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
    return Invalid("Invalid " + key + " value '" + value + "': expected Type:param[:targetType]",
                   key);
  inc.source_type = parts[0];
  inc.param = parts[1];
  if (parts.size() == 3) inc.target_type = parts[2];
  return inc;
}

}  // namespace

Result<SearchRequest> ParseSearchRequest(const QueryParams& params) {
  SearchRequest req;
  for (const auto& [key, value] : params) {
    if (key == "_count") {
      char* end = nullptr;
      long n = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end || n < 0)
        return Invalid("Invalid _count '" + value + "'", "_count");
      req.count = static_cast<int>(std::min<long>(n, 1000));
    } else if (key == "_sort") {
      for (const std::string& s : Split(value, ',')) {
        if (s.empty()) continue;
        SortRequest sr;
        sr.descending = s[0] == '-';
        sr.param = sr.descending ? s.substr(1) : s;
        req.sort.push_back(sr);
      }
    } else if (key == "_include" || StartsWith(key, "_include:")) {
      KY_ASSIGN_OR_RETURN(IncludeRequest inc, ParseInclude(key, value));
      req.includes.push_back(inc);
    } else if (key == "_revinclude" || StartsWith(key, "_revinclude:")) {
      KY_ASSIGN_OR_RETURN(IncludeRequest inc, ParseInclude(key, value));
      req.revincludes.push_back(inc);
    } else if (key == "_summary") {
      if (value != "true" && value != "false" && value != "count" && value != "data" &&
          value != "text")
        return Invalid("Invalid _summary '" + value + "'", "_summary");
      req.summary = value;
    } else if (key == "_elements") {
      for (const std::string& e : Split(value, ','))
        if (!e.empty()) req.elements.push_back(std::string(Trim(e)));
    } else if (key == "_total") {
      if (value != "none" && value != "estimate" && value != "accurate")
        return Invalid("Invalid _total '" + value + "'", "_total");
      req.total = value;
    } else if (key == "_type") {
      for (const std::string& t : Split(value, ','))
        if (!t.empty()) req.types.push_back(t);
    } else if (key == "_page") {
      req.page = value;
    } else if (key == "_cursor") {
      req.cursor = value;
    } else if (key == "_offset") {
      char* end = nullptr;
      long long n = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end || n < 0)
        return Invalid("Invalid _offset '" + value + "'", "_offset");
      req.offset = n;
    } else if (key == "_format" || key == "_pretty" || key == "_contained" ||
               key == "_containedType") {
      // Response formatting, handled by the API layer.
    } else {
      FilterParam f;
      f.name = key;
      std::string head = key;
      if (auto dot = key.find('.'); dot != std::string::npos && !StartsWith(key, "_has")) {
        head = key.substr(0, dot);
        f.chain = key.substr(dot + 1);
      }
      if (StartsWith(key, "_has:")) {
        f.code = "_has";
        f.modifier = key.substr(5);
      } else if (auto colon = head.find(':'); colon != std::string::npos) {
        f.code = head.substr(0, colon);
        f.modifier = head.substr(colon + 1);
      } else {
        f.code = head;
      }
      f.values = SplitEscaped(value, ',', false);
      req.filters.push_back(std::move(f));
    }
  }
  return req;
}

}  // namespace kangyun::search
