#include "audit/audit_event.h"

#include "base/env.h"
#include "base/strings.h"
#include "json/json.h"

namespace kangyun::audit {
namespace {

using json::Value;

using json::Str;

Value Coding(const char* system, const std::string& code, const std::string& display = "") {
  Value c = Value::Object();
  c.Set("system", Str(system));
  c.Set("code", Str(code));
  if (!display.empty()) c.Set("display", Str(display));
  return c;
}

Value Concept(Value coding) {
  Value c = Value::Object();
  Value list = Value::Array();
  list.Push(std::move(coding));
  c.Set("coding", std::move(list));
  return c;
}

Value Reference(const std::string& ref, const std::string& display = "") {
  Value r = Value::Object();
  r.Set("reference", Str(ref));
  if (!display.empty()) r.Set("display", Str(display));
  return r;
}

Value IdentifierReference(const char* system, const std::string& value,
                          const std::string& display) {
  Value id = Value::Object();
  id.Set("system", Str(system));
  id.Set("value", Str(value));
  Value r = Value::Object();
  r.Set("identifier", std::move(id));
  if (!display.empty()) r.Set("display", Str(display));
  return r;
}

Value Entity(const std::string& what, const char* type_code, const char* role_code) {
  Value e = Value::Object();
  e.Set("what", Reference(what));
  e.Set("type", Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", type_code));
  e.Set("role", Coding("http://terminology.hl7.org/CodeSystem/object-role", role_code));
  return e;
}

}  // namespace

Value ToAuditEvent(const AuditRecord& r, int64_t sequence) {
  Value ev = Value::Object();
  ev.Set("resourceType", Str("AuditEvent"));
  ev.Set("id", Str(std::to_string(sequence)));
  Value meta = Value::Object();
  meta.Set("versionId", Str("1"));
  meta.Set("lastUpdated", Str(FormatInstant(r.recorded)));
  ev.Set("meta", std::move(meta));

  if (r.authentication) {
    ev.Set("type",
           Coding("http://dicom.nema.org/resources/ontology/DCM", "110114", "User Authentication"));
    Value sub = Value::Array();
    sub.Push(Coding("http://dicom.nema.org/resources/ontology/DCM", "110122", "Login"));
    ev.Set("subtype", std::move(sub));
  } else {
    ev.Set("type", Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest",
                          "RESTful Operation"));
    Value sub = Value::Array();
    sub.Push(Coding(r.subtype_system.empty() ? "http://hl7.org/fhir/restful-interaction"
                                             : r.subtype_system.c_str(),
                    r.subtype));
    ev.Set("subtype", std::move(sub));
  }
  ev.Set("action", Str(std::string(1, r.action)));
  ev.Set("recorded", Str(FormatInstant(r.recorded)));
  ev.Set("outcome", Str(std::to_string(r.outcome)));
  if (!r.outcome_text.empty()) ev.Set("outcomeDesc", Str(r.outcome_text));
  Value purposes = Value::Array();
  purposes.Push(Concept(Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", r.purpose)));
  ev.Set("purposeOfEvent", std::move(purposes));

  Value agents = Value::Array();
  Value who = Value::Object();
  who.Set("type", Concept(Coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                 "IRCP", "information recipient")));
  if (!r.role.empty() || !r.organization.empty()) {
    Value roles = Value::Array();
    Value role = Concept(Coding("https://kangyun.cn/fhir/CodeSystem/role", r.role));
    if (!r.organization.empty()) role.Set("text", Str("Organization/" + r.organization));
    roles.Push(std::move(role));
    who.Set("role", std::move(roles));
  }
  who.Set("who", r.who_reference.empty()
                     ? IdentifierReference("https://kangyun.cn/fhir/sid/account", r.who_subject,
                                           r.who_display)
                     : Reference(r.who_reference, r.who_display));
  who.Set("altId", Str(r.who_subject));
  if (!r.who_display.empty()) who.Set("name", Str(r.who_display));
  who.Set("requestor", Value::Bool(true));
  if (!r.address.empty()) {
    Value net = Value::Object();
    net.Set("address", Str(r.address));
    net.Set("type", Str("2"));  // an IP address
    who.Set("network", std::move(net));
  }
  agents.Push(std::move(who));
  if (!r.client_id.empty()) {
    Value app = Value::Object();
    app.Set("type", Concept(Coding("http://dicom.nema.org/resources/ontology/DCM", "110150",
                                   "Application")));
    app.Set("who", IdentifierReference("https://kangyun.cn/fhir/sid/client", r.client_id, ""));
    app.Set("requestor", Value::Bool(false));
    agents.Push(std::move(app));
  }
  ev.Set("agent", std::move(agents));

  Value source = Value::Object();
  source.Set("site", Str("Kangyun"));
  source.Set("observer", IdentifierReference("https://kangyun.cn/fhir/sid/system", "kangyun",
                                             "康云 Kangyun regional health cloud"));
  Value source_types = Value::Array();
  source_types.Push(Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4",
                           "Application Server"));
  source.Set("type", std::move(source_types));
  ev.Set("source", std::move(source));

  Value entities = Value::Array();
  for (const std::string& p : r.patients) entities.Push(Entity("Patient/" + p, "1", "1"));
  for (const std::string& res : r.resources) entities.Push(Entity(res, "2", "4"));
  if (!r.query.empty()) {
    Value q = Value::Object();
    q.Set("type", Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2"));
    q.Set("role", Coding("http://terminology.hl7.org/CodeSystem/object-role", "24", "Query"));
    q.Set("description", Str(r.query));
    entities.Push(std::move(q));
  }
  if (!r.break_glass_reason.empty()) {
    Value bg = Value::Object();
    Value detail = Value::Array();
    Value d = Value::Object();
    d.Set("type", Str("break-glass-reason"));
    d.Set("valueString", Str(r.break_glass_reason));
    detail.Push(std::move(d));
    bg.Set("type", Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "4"));
    bg.Set("description", Str("紧急授权 Break-glass access"));
    bg.Set("detail", std::move(detail));
    entities.Push(std::move(bg));
  }
  if (!entities.items().empty()) ev.Set("entity", std::move(entities));
  return ev;
}

}  // namespace kangyun::audit
