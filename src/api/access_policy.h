// Who may see what (docs/security.md). A principal's scopes say which types and interactions
// it may use; its role says which residents' records it may see. The rules become store
// conditions added to the request's own query, so matches, counts and paging hold only what
// the principal may see, and the subqueries of chains and _has are restricted the same way
// (a chain cannot test a record it could not read). Single resources (reads, includes,
// writes) are checked with the same conditions. Internal to api/.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "base/status.h"
#include "store/store.h"

namespace kangyun::api {

class Engine;

class AccessPolicy {
 public:
  // principal null: the server runs without authentication, and all is allowed.
  AccessPolicy(Engine& s, std::shared_ptr<const auth::Principal> principal);

  bool open() const { return principal_ == nullptr; }

  // 403 unless the scopes grant perm on type and the role may use the type at all. AuditEvent
  // is never written through the API, whoever asks.
  Status Allow(const std::string& type, auth::Permission perm) const;
  // Clauses that keep a query over `types` (empty: every type) to what the principal may see.
  // `aggregate`: only a count is returned (regulators may count anything).
  Result<std::vector<std::vector<store::Condition>>> Restriction(
      store::ReadTransaction& txn, const std::vector<std::string>& types, auth::Permission perm,
      bool aggregate = false);
  // Adds the restriction to q and, recursively, to the subqueries of its chains (also those
  // within a _filter expression).
  Status Restrict(store::ReadTransaction& txn, store::Query* q, auth::Permission perm,
                  bool aggregate = false);
  // Whether the current version of type/id is one the principal may see.
  Result<bool> CanSee(store::ReadTransaction& txn, const std::string& type, const std::string& id,
                      auth::Permission perm);
  // The rows the principal may see, in their order.
  Result<std::vector<store::StoredResource>> Filter(store::ReadTransaction& txn,
                                                    std::vector<store::StoredResource> rows,
                                                    auth::Permission perm);
  // Whether no resource of these types is hidden from the principal (history across
  // resources lists versions, which conditions on current index rows cannot filter).
  bool SeesAllOf(const std::vector<std::string>& types) const;

 private:
  // The chains in q, also inside conditions on the resource itself (kMatches), each restricted
  // to what the principal may search.
  Status RestrictChains(store::ReadTransaction& txn, store::Query* q, bool aggregate);
  // The Patients whose records the role reaches, as a query of Patient; null when the role
  // reaches every record. Built once per request.
  Result<std::shared_ptr<store::Query>> Residents(store::ReadTransaction& txn);
  // A resident's wards, as a condition on Patient; nullopt when they can have none.
  Result<std::optional<store::Condition>> Wards(store::ReadTransaction& txn) const;
  Result<store::Query> PlanOn(const std::string& type, const std::string& params) const;
  Result<store::Query> PlanOnTypes(const std::vector<std::string>& types,
                                   const std::string& params) const;
  // "A Consent of the Patient matching params exists" (or, negated, does not).
  Result<store::Condition> ConsentChain(const std::string& params, bool negated) const;
  // An institution's role: clinician, family doctor, elder-care, insurer.
  bool Institutional() const;
  bool InCompartment(const std::string& type) const;
  bool IsPrivateType(const std::string& type) const;
  // Read by its parties only (api/reach_model.h): Contract, Consent.
  bool IsPartiesOnly(const std::string& type) const;
  // "A resource of type the principal is a party to", as a condition on any resource.
  // Team CareTeams, which name no resident: readable as reference data.
  static store::Condition TeamNamingNoResident();
  Result<store::Condition> PartyOf(store::ReadTransaction& txn, const std::string& type);
  // The scopes of the principal that grant perm on type.
  std::vector<const auth::Scope*> Granting(const std::string& type, auth::Permission perm) const;

  Engine& s_;
  std::shared_ptr<const auth::Principal> principal_;
  bool residents_built_ = false;
  std::shared_ptr<store::Query> residents_;
};

}  // namespace kangyun::api
