// A FHIR interaction request and response, independent of the HTTP library: the HTTP layer
// fills a FhirRequest, and transaction Bundles make them for their entries.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/principal.h"
#include "search/search_request.h"

namespace kangyun::api {

struct FhirRequest {
  std::string method;  // GET, HEAD, POST, PUT, PATCH, DELETE
  std::string path;    // below the FHIR base, without a leading '/': "Patient/123"
  search::QueryParams query;
  std::string raw_query;                       // as received, for self links
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string base_url;  // "http://127.0.0.1:8080/fhir"
  // Who asks; null when the server runs without authentication (every request may do all).
  std::shared_ptr<const auth::Principal> principal;

  std::string_view Header(const std::string& lower_name) const;
};

struct FhirResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // JSON text; empty for 204 and 304
  // A file to send as the body instead, streamed from disk (bulk export output); its
  // Content-Type is among the headers.
  std::string file_path;
  // The residents whose records a write changed (for the audit trail; never sent).
  std::vector<std::string> patients_changed;
  // What the answer shows, when the interaction lists it (for the audit trail; never sent):
  // the resources ("Type/id") and the residents whose records they are. Otherwise the trail
  // reads the body.
  bool shown_listed = false;
  std::vector<std::string> shown_resources;
  std::vector<std::string> shown_patients;

  void SetHeader(std::string name, std::string value);
  std::string_view Header(std::string_view name) const;
};

// Splits "Patient/123/_history/2" into its segments.
std::vector<std::string> PathSegments(std::string_view path);

}  // namespace kangyun::api
