// The audit record of one request (audit/audit_record.h): who asked, what for, and which
// residents' data and which resources the answer held or the request changed.
#include <set>

#include "api/services.h"
#include "base/strings.h"
#include "json/json.h"
#include "search/index_extractor.h"

namespace kangyun::api {
namespace {

// Enough to say whose data went out; a larger answer is summarised by its query.
constexpr size_t kMaxListedResources = 200;

void Note(const Services& s, const json::Value& resource, std::set<std::string>* patients,
          std::vector<std::string>* resources) {
  std::string_view type = resource.GetString("resourceType");
  std::string_view id = resource.GetString("id");
  if (type.empty() || id.empty() || type == "OperationOutcome") return;
  if (resources->size() < kMaxListedResources)
    resources->push_back(std::string(type) + "/" + std::string(id));
  for (std::string& p : s.extractor.PatientCompartments(resource)) patients->insert(std::move(p));
}

}  // namespace

audit::AuditRecord AuditRecordFor(Services& s, const FhirRequest& req, const std::string& subtype,
                                  char action, const FhirResponse& resp) {
  audit::AuditRecord r;
  r.subtype = subtype;
  r.action = action;
  r.recorded = s.clock.NowMicros();
  r.outcome = resp.status < 400 ? 0 : resp.status < 500 ? 4 : 8;
  if (resp.status >= 400) r.outcome_text = "HTTP " + std::to_string(resp.status);
  if (const auth::Principal* p = req.principal.get()) {
    r.who_reference = p->Reference();
    r.who_subject = p->subject;
    r.who_display = p->display;
    r.role = auth::RoleName(p->role);
    r.organization = p->organization;
    r.client_id = p->client_id;
    r.address = p->address;
    r.purpose = p->purpose;
    r.break_glass_reason = p->break_glass;
  } else {
    r.who_subject = "anonymous";  // a server run without authentication
  }
  r.query = req.method + " " + req.path + (req.raw_query.empty() ? "" : "?" + req.raw_query);

  std::set<std::string> patients;
  if (resp.status < 400 && !resp.body.empty()) {
    auto body = json::Parse(resp.body);
    if (body.ok() && body->GetString("resourceType") == "Bundle") {
      if (const json::Value* entries = body->Find("entry"); entries && entries->is_array()) {
        for (const json::Value& e : entries->items()) {
          if (const json::Value* res = e.Find("resource")) Note(s, *res, &patients, &r.resources);
        }
      }
    } else if (body.ok()) {
      Note(s, *body, &patients, &r.resources);
    }
  }
  // A write answered without a body names its resource in Location.
  if (r.resources.empty()) {
    std::string_view location = resp.Header("Location");
    std::vector<std::string> seg =
        PathSegments(location.substr(std::min(location.size(), req.base_url.size() + 1)));
    if (seg.size() >= 2 && s.defs.IsResourceType(seg[0]))
      r.resources.push_back(seg[0] + "/" + seg[1]);
  }
  // The resident a request names, whether or not the answer held data.
  std::vector<std::string> seg = PathSegments(req.path);
  if (seg.size() >= 2 && seg[0] == "Patient" && seg[1][0] != '$' && seg[1][0] != '_')
    patients.insert(seg[1]);
  r.patients.assign(patients.begin(), patients.end());
  return r;
}

}  // namespace kangyun::api
