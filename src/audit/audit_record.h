// One audited event as the request path sees it, before it becomes an AuditEvent resource
// (audit/audit_event.h): who did what to which residents' data, from where, and how it ended.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kangyun::audit {

struct AuditRecord {
  // What happened: a RESTful interaction ("read", "search-type", "create", ...; type "rest"),
  // or an authentication ("login", "token"; type "110114" User Authentication).
  bool authentication = false;
  std::string subtype;
  // The code system of subtype: "" for RESTful interactions
  // (http://hl7.org/fhir/restful-interaction); the person registry's decisions have their own.
  std::string subtype_system;
  char action = 'R';  // C R U D E (execute)
  int outcome = 0;    // 0 success, 4 minor failure (refused, not found), 8 serious failure
  std::string outcome_text;
  int64_t recorded = 0;  // micros

  // Who: the person or system, the application it used, where from, in what role.
  std::string who_reference;  // Practitioner/…, Patient/…, or "" for a system or unknown user
  std::string who_subject;    // "user/zhangwei", "client/his-1", "anonymous"
  std::string who_display;
  std::string role;
  std::string organization;  // Organization id of an institution's user or system
  std::string client_id;
  std::string address;

  std::string purpose = "TREAT";  // v3-ActReason / PurposeOfUse; "BTG" for break-glass
  std::string break_glass_reason;

  // Which residents and which resources; a search also keeps its query.
  std::vector<std::string> patients;   // Patient ids
  std::vector<std::string> resources;  // "Type/id"
  std::string query;                   // "GET Observation?code=…"
};

}  // namespace kangyun::audit
