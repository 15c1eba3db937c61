// The audit record of one request (audit/audit_record.h): who asked, what for, and which
// residents' data and which resources the answer held or the request changed.
#include <set>

#include "api/engine.h"
#include "base/strings.h"
#include "json/json.h"
#include "search/index_extractor.h"

namespace kangyun::api {
namespace {

// Enough to say whose data went out; a larger answer is summarised by its query.
constexpr size_t kMaxListedResources = 200;

void Note(const Engine& s, const json::Value& resource, std::set<std::string>* patients,
          std::vector<std::string>* resources) {
  std::string_view type = resource.GetString("resourceType");
  std::string_view id = resource.GetString("id");
  if (type.empty() || id.empty() || type == "OperationOutcome") return;
  if (resources->size() < kMaxListedResources)
    resources->push_back(std::string(type) + "/" + std::string(id));
  for (std::string& p : s.extractor.PatientCompartments(resource)) patients->insert(std::move(p));
}

}  // namespace

Status ListShown(Engine& s, store::ReadTransaction& txn,
                 const std::vector<const store::StoredResource*>& shown, FhirResponse* resp) {
  if (!s.audit) return Status::Ok();
  std::vector<int64_t> rids;
  std::vector<std::string> patients;
  for (const store::StoredResource* r : shown) {
    if (r->deleted) continue;
    // A Patient is in its own compartment only (docs/security.md: not in those of the
    // records it links to), so its rows need no lookup.
    if (r->type == "Patient")
      patients.push_back(r->id);
    else
      rids.push_back(r->rid);
    if (resp->shown_resources.size() < kMaxListedResources)
      resp->shown_resources.push_back(r->type + "/" + r->id);
  }
  if (!rids.empty()) {
    KY_ASSIGN_OR_RETURN(resp->shown_patients, txn.CompartmentPatients(rids));
  }
  resp->shown_patients.insert(resp->shown_patients.end(), patients.begin(), patients.end());
  resp->shown_listed = true;
  return Status::Ok();
}

audit::AuditRecord AuditRecordFor(Engine& s, const FhirRequest& req, const std::string& subtype,
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
  if (resp.shown_listed) {
    r.resources = resp.shown_resources;
    patients.insert(resp.shown_patients.begin(), resp.shown_patients.end());
  } else if (resp.status < 400 && !resp.body.empty()) {
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
  // Whose record a refused or failed write was about: an attempt is on record too.
  if (resp.status >= 400 && req.method != "GET" && req.method != "HEAD" && !req.body.empty()) {
    if (auto sent = json::Parse(req.body); sent.ok() && sent->is_object())
      for (std::string& p : s.extractor.PatientCompartments(*sent))
        if (!p.empty()) patients.insert(std::move(p));
  }
  // Whose records a write changed, even when the answer does not show it (a Contract names
  // its resident outside the compartment, a delete answers with no body).
  for (const std::string& p : resp.patients_changed) patients.insert(p);
  // The resident a request names, whether or not the answer held data.
  std::vector<std::string> seg = PathSegments(req.path);
  if (seg.size() >= 2 && seg[0] == "Patient" && seg[1][0] != '$' && seg[1][0] != '_')
    patients.insert(seg[1]);
  r.patients.assign(patients.begin(), patients.end());
  return r;
}

Status NotifyBreakGlass(Engine& s, const FhirRequest& req, const audit::AuditRecord& record) {
  const auth::Principal* p = req.principal.get();
  if (!p || p->break_glass.empty() || record.patients.empty() || record.outcome != 0)
    return Status::Ok();
  KY_ASSIGN_OR_RETURN(auto txn, BeginWrite(s));
  int64_t now = s.clock.NowMicros();
  for (const std::string& patient : record.patients) {
    // The resident reads it in their own record (their compartment): who, when, and why.
    json::Value c = json::Value::Object();
    c.Set("resourceType", json::Value::String("Communication"));
    c.Set("status", json::Value::String("completed"));
    json::Value category = json::Value::Object();
    json::Value coding = json::Value::Object();
    coding.Set("system", json::Value::String("https://kangyun.cn/fhir/CodeSystem/notification"));
    coding.Set("code", json::Value::String("break-glass"));
    json::Value codings = json::Value::Array();
    codings.Push(std::move(coding));
    category.Set("coding", std::move(codings));
    category.Set("text", json::Value::String("紧急授权访问 Break-glass access"));
    json::Value categories = json::Value::Array();
    categories.Push(std::move(category));
    c.Set("category", std::move(categories));
    c.Set("priority", json::Value::String("urgent"));
    json::Value subject = json::Value::Object();
    subject.Set("reference", json::Value::String("Patient/" + patient));
    c.Set("subject", subject);
    json::Value recipients = json::Value::Array();
    recipients.Push(subject);
    c.Set("recipient", std::move(recipients));
    if (!record.who_reference.empty()) {
      json::Value sender = json::Value::Object();
      sender.Set("reference", json::Value::String(record.who_reference));
      c.Set("sender", std::move(sender));
    }
    c.Set("sent", json::Value::String(FormatInstant(now)));
    std::string who = p->display.empty() ? p->subject : p->display;
    json::Value payload = json::Value::Object();
    payload.Set("contentString",
                json::Value::String(
                    "您的健康档案被紧急授权访问 Your record was opened in an "
                    "emergency (break-glass) by " +
                    who + (p->organization.empty() ? "" : " of Organization/" + p->organization) +
                    ": " + req.method + " " + req.path + ". 理由 Reason: " + p->break_glass));
    json::Value payloads = json::Value::Array();
    payloads.Push(std::move(payload));
    c.Set("payload", std::move(payloads));
    KY_RETURN_IF_ERROR(
        WriteVersion(s, *txn, std::move(c), s.ids.NewId(), std::nullopt, "POST").status());
  }
  return txn->Commit();
}

}  // namespace kangyun::api
