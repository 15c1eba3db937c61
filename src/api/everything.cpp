// Patient/{id}/$everything: the resident's whole record in one call: the Patient, everything
// in the Patient compartment, and the resources those refer to (practitioners, organisations,
// medications, ...). Registered on the seam (api/service.h) as the engine's own operation.
#include <algorithm>

#include "api/access_policy.h"
#include "api/engine.h"
#include "base/strings.h"
#include "fhir/datetime.h"
#include "json/json.h"
#include "mpi/patient_links.h"

namespace kangyun::api {

namespace {

// The ids of every record of the person `patient` is a record of: its master and the master's
// records (itself among them).
Result<std::vector<std::string>> PersonRecords(store::ReadTransaction& txn,
                                               const store::StoredResource& patient) {
  KY_ASSIGN_OR_RETURN(json::Value body, json::Parse(patient.body));
  std::string master_id = mpi::MasterOf(body);
  std::vector<std::string> out = {patient.id};
  if (!master_id.empty()) {
    out.push_back(master_id);
    KY_ASSIGN_OR_RETURN(auto master, txn.ReadCurrent("Patient", master_id));
    if (!master || master->deleted) return out;
    KY_ASSIGN_OR_RETURN(body, json::Parse(master->body));
  }
  for (std::string& id : mpi::RecordsOf(body))
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(std::move(id));
  return out;
}

}  // namespace

Result<FhirResponse> Everything(Engine& s, store::ReadTransaction& txn, const FhirRequest& req,
                                const std::string& patient_id) {
  KY_ASSIGN_OR_RETURN(auto patient, txn.ReadCurrent("Patient", patient_id));
  if (!patient) return NotFound("Patient/" + patient_id + " is not known");
  if (patient->deleted) return Status(StatusCode::kGone, "Patient/" + patient_id + " was deleted");

  search::QueryParams params;
  std::vector<std::string> types;
  int64_t start = 0, end = 0;
  for (const auto& [k, v] : req.query) {
    if (k == "_type") {
      for (const std::string& t : Split(v, ','))
        if (!t.empty()) types.push_back(t);
    } else if (k == "_since") {
      params.emplace_back("_lastUpdated", "ge" + v);
    } else if (k == "start" || k == "end") {
      auto dt = fhir::ParseDateTime(v, true);
      if (!dt) return Invalid("Invalid " + k + " '" + v + "'", k);
      if (k == "start") {
        start = dt->LowMicros();
      } else {
        end = dt->HighMicros();
      }
    } else if (k == "_count" || k == "_page" || k == "_offset") {
      params.emplace_back(k, v);
    }
  }
  for (const std::string& t : types)
    if (!s.defs.IsResourceType(t))
      return Invalid("Unknown resource type '" + t + "' in _type", "_type");
  bool type_filtered = !types.empty();
  if (types.empty()) {
    // The record, not the trail of who read it: AuditEvents only when asked for by _type, or
    // each read would add to what the next one returns.
    for (const auto& [t, ps] : s.defs.PatientCompartment())
      if (t != "AuditEvent") types.push_back(t);
  }
  // The record as far as the requester's scopes reach.
  AccessPolicy access(s, req.principal);
  std::erase_if(types, [&](const std::string& t) { return !access.Allow(t, auth::kRead).ok(); });
  if (types.empty())
    return Status(StatusCode::kForbidden, "The access token's scopes allow none of this record");
  std::vector<std::vector<store::Condition>> extra;
  if (start || end) {
    // Care dates: of the types that have a clinical `date` search parameter, keep resources
    // whose date overlaps [start, end] or that have no date; other types are kept whole (the
    // operation's definition leaves that to the server).
    store::Condition undated;
    undated.kind = store::Condition::Kind::kType;
    undated.negated = true;
    for (const std::string& t : types) {
      auto def = s.params.Find(t, "date");
      if (def && def->type == "date") undated.target_types.push_back(t);
    }
    store::Condition in_window;
    in_window.table = store::IndexTable::kDate;
    in_window.param = "date";
    in_window.cmp = store::Comparator::kAp;  // overlaps
    in_window.date_low = start ? start : INT64_MIN;
    in_window.date_high = end ? end : INT64_MAX;
    store::Condition no_date;
    no_date.kind = store::Condition::Kind::kMissing;
    no_date.table = store::IndexTable::kDate;
    no_date.param = "date";
    no_date.missing = true;
    extra.push_back({undated, in_window, no_date});
  }
  // The resources the page refers to outside the compartment come by _include, restricted
  // to the asked types when _type is given.
  if (type_filtered) {
    for (const std::string& t : types) params.emplace_back("_include", "*:*:" + t);
  } else {
    params.emplace_back("_include", "*");
  }
  // The compartment search does the paging; the Patient is part of its own compartment. The
  // person's other records (linked or merged by the registry, mpi/patient_links.h) are part of
  // their whole record, as far as the requester may see them.
  std::vector<store::Condition> compartments;
  KY_ASSIGN_OR_RETURN(std::vector<std::string> records, PersonRecords(txn, *patient));
  for (const std::string& id : records) {
    if (id != patient_id) {
      KY_ASSIGN_OR_RETURN(bool visible, access.CanSee(txn, "Patient", id, auth::kRead));
      if (!visible) continue;
    }
    store::Condition in_compartment;
    in_compartment.kind = store::Condition::Kind::kCompartment;
    in_compartment.text = id;
    compartments.push_back(std::move(in_compartment));
  }
  extra.push_back(std::move(compartments));
  FhirRequest sub = req;
  sub.path = "Patient/" + patient_id + "/$everything";
  // Each resource once across the pages, and links that carry the operation's parameters,
  // not the search made of them.
  SearchOptions options;
  options.includes_in_list = true;
  options.link_params = req.query;
  return Search(s, txn, sub, types, params, std::move(extra), options);
}

void RegisterEngineOperations(ServiceRegistry& registry) {
  OperationSpec everything;
  everything.name = "everything";
  everything.levels = kInstanceLevel;
  everything.types = {"Patient"};
  everything.definition = "http://hl7.org/fhir/OperationDefinition/Patient-everything";
  everything.authorize = [](AccessPolicy& access, OperationCall& call) {
    return AllowRead(access, *call.txn, "Patient", call.id);
  };
  everything.run = [](OperationCall& call) {
    return Everything(call.engine, *call.txn, call.req, call.id);
  };
  registry.AddOperation(std::move(everything));
}

}  // namespace kangyun::api
