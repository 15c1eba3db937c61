// A FHIR search as the client wrote it: the query parameters split into filters and result
// parameters, nothing interpreted yet.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kangyun::search {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct FilterParam {
  std::string name;      // as written, without the value: "subject:Patient.name"
  std::string code;      // "subject", or "_has"
  std::string modifier;  // "Patient", "exact", "missing", ... or ""
  std::string chain;     // what follows the first '.', e.g. "name" or "organization.name"
  std::vector<std::string> values;  // comma-separated alternatives, escapes kept
};

struct IncludeRequest {
  std::string source_type;  // "Observation" or "*"
  std::string param;        // "subject" or "*"
  std::string target_type;  // optional
  bool iterate = false;
};

struct SortRequest {
  std::string param;
  bool descending = false;
};

struct SearchRequest {
  std::vector<FilterParam> filters;
  std::optional<int> count;
  std::vector<SortRequest> sort;
  std::vector<IncludeRequest> includes, revincludes;
  std::string summary;  // "", true, false, count, data, text
  std::vector<std::string> elements;
  std::string total;               // "", none, estimate, accurate
  std::vector<std::string> types;  // _type on a system-level search
  std::string page;                // our paging token
  std::string cursor;              // keyset paging: where the previous page ended (_cursor)
  int64_t offset = 0;
};

// Splits "a=1&b=2" into decoded pairs ('+' is a space, %XX decoded).
QueryParams ParseQueryString(std::string_view query);

// Sorts query parameters into a SearchRequest. Malformed result parameters (_count=abc) are
// errors; filters are only split here and checked by the planner.
Result<SearchRequest> ParseSearchRequest(const QueryParams& params);

// Splits on `sep` where it is not escaped with a backslash; unescapes each part when asked.
std::vector<std::string> SplitEscaped(std::string_view s, char sep, bool unescape);
std::string Unescape(std::string_view s);

}  // namespace kangyun::search
