// What a write transaction did, reviewed before it commits: every resource it wrote must be one
// the requester may see, about residents the requester reached before it (or registers in it),
// and a resource that grants reach (api/reach_model.h) may be written only as the reach model
// allows. Also the residents whose records it changed, for the audit trail.
#include <set>

#include "api/access_policy.h"
#include "api/engine.h"
#include "api/reach_model.h"
#include "mpi/patient_links.h"

namespace kangyun::api {
namespace {

// The ids of the targetType resources that param of resource references.
std::set<std::string> Referenced(const Engine& s, const json::Value& resource,
                                 std::string_view param, std::string_view target_type) {
  std::set<std::string> out;
  auto def = s.params.Find(resource.GetString("resourceType"), param);
  if (!def) return out;
  store::IndexRows rows;
  s.extractor.ExtractParam(*def, resource, &rows);
  for (const store::ReferenceRow& r : rows.references)
    if (r.target_type == target_type) out.insert(r.target_id);
  return out;
}

// One version of a written resource: parsed, with the residents it is about (its Patient
// compartments and, for a grant outside the compartment such as a Contract, the residents the
// grant names), the Patients the registry linked it to (a Patient's links open nothing).
struct Version {
  std::optional<json::Value> resource;
  std::set<std::string> residents, linked;
};

Result<Version> Describe(const Engine& s, const std::optional<store::StoredResource>& stored) {
  Version v;
  if (!stored || stored->deleted) return v;
  KY_ASSIGN_OR_RETURN(json::Value r, json::Parse(stored->body));
  for (std::string& p : s.extractor.PatientCompartments(r)) v.residents.insert(std::move(p));
  if (stored->type == "Patient") {
    for (const mpi::PatientLink& l : mpi::LinksOf(r)) v.linked.insert(l.other_id);
    v.residents.insert(stored->id);
  }
  if (const ReachGrant* g = FindReachGrant(stored->type); g && *g->patient_param)
    for (const std::string& p : Referenced(s, r, g->patient_param, "Patient"))
      v.residents.insert(p);
  v.resource = std::move(r);
  return v;
}

Status Refused(const std::string& what, const std::string& why) {
  return Status(StatusCode::kForbidden, what + ": " + why + "; nothing was written");
}

// A grant of reach changed from `before` to `after` (either absent for a create or a delete):
// an institution may add or remove only itself as grantee, unless the grant is one that names
// others by nature (a referral names its performer).
Status CheckGrant(const Engine& s, const auth::Principal& p, const ReachGrant& g,
                  const std::string& what, const Version& before, const Version& after) {
  if (p.role == auth::Role::kAdmin) return Status::Ok();
  // An emergency opens a record for the request that states it, not for good.
  if (!p.break_glass.empty())
    return Refused(what, std::string(g.type) +
                             " resources give reach into residents' records, and a break-glass "
                             "request may not write one");
  if (g.rule != GranteeRule::kOwnInstitution) return Status::Ok();
  std::set<std::string> was, is;
  if (before.resource) was = Referenced(s, *before.resource, g.grantee_param, "Organization");
  if (after.resource) is = Referenced(s, *after.resource, g.grantee_param, "Organization");
  auto check = [&](const std::set<std::string>& from, const std::set<std::string>& without,
                   const char* verb) -> Status {
    for (const std::string& org : from) {
      if (without.count(org) || org == p.organization) continue;
      return Refused(what, std::string("it would ") + verb + " Organization/" + org + " as " +
                               g.grantee_param +
                               ", which gives reach into residents' records; "
                               "an institution names only itself there");
    }
    return Status::Ok();
  };
  KY_RETURN_IF_ERROR(check(is, was, "add"));
  return check(was, is, "remove");
}

}  // namespace

Result<std::vector<std::string>> ReviewWrites(Engine& s, const FhirRequest& req,
                                              ApiTransaction& txn, size_t from) {
  std::set<std::string> concerned;
  if (txn.written().size() <= from) return std::vector<std::string>();
  AccessPolicy after(s, req.principal);
  // The store as it was is what a new read transaction sees: begun when first needed (a
  // create, on an open server, needs none).
  AccessPolicy before(s, req.principal);
  std::unique_ptr<store::ReadTransaction> committed_txn;
  auto committed = [&]() -> Result<store::ReadTransaction*> {
    if (!committed_txn) {
      KY_ASSIGN_OR_RETURN(committed_txn, s.store.BeginRead());
    }
    return committed_txn.get();
  };
  std::set<std::string> registered;
  std::vector<ApiTransaction::Written> written(
      txn.written().begin() + static_cast<std::ptrdiff_t>(from), txn.written().end());
  for (const auto& w : written)
    if (w.type == "Patient" && w.perm == auth::kCreate) registered.insert(w.id);
  for (const auto& w : written) {
    std::string what = w.type + "/" + w.id;
    KY_ASSIGN_OR_RETURN(auto now, txn.ReadCurrent(w.type, w.id));
    // A create's resource did not exist, or was deleted: it had no version to describe.
    std::optional<store::StoredResource> was;
    if (w.perm != auth::kCreate) {
      KY_ASSIGN_OR_RETURN(store::ReadTransaction * as_was, committed());
      KY_ASSIGN_OR_RETURN(was, as_was->ReadCurrent(w.type, w.id));
    }
    KY_ASSIGN_OR_RETURN(Version current, Describe(s, now));
    KY_ASSIGN_OR_RETURN(Version previous, Describe(s, was));
    concerned.insert(current.residents.begin(), current.residents.end());
    concerned.insert(previous.residents.begin(), previous.residents.end());
    if (after.open()) continue;
    if (const ReachGrant* g = FindReachGrant(w.type))
      KY_RETURN_IF_ERROR(CheckGrant(s, *req.principal, *g, what, previous, current));
    if (current.resource) {
      KY_ASSIGN_OR_RETURN(bool visible, after.CanSee(txn, w.type, w.id, w.perm));
      if (!visible)
        return Refused(what,
                       "it is outside what you may see or write (its patient is not in your "
                       "care, or your scopes do not cover it)");
    }
    // Without this, writing an Encounter at one's own institution (or a Contract under its
    // authority) would be a way into anyone's record.
    for (const std::string& patient : current.residents) {
      if (registered.count(patient) || current.linked.count(patient)) continue;
      KY_ASSIGN_OR_RETURN(store::ReadTransaction * as_was, committed());
      KY_ASSIGN_OR_RETURN(bool reached, before.CanSee(*as_was, "Patient", patient, auth::kRead));
      if (!reached) return Refused(what, "it is about a resident who is not in your care");
    }
  }
  return std::vector<std::string>(concerned.begin(), concerned.end());
}

}  // namespace kangyun::api
