#include "api/access_policy.h"

#include <algorithm>
#include <set>

#include "api/engine.h"
#include "api/reach_model.h"
#include "base/strings.h"
#include "cn/systems.h"
#include "json/json.h"

namespace kangyun::api {
namespace {

using auth::Permission;
using auth::Role;
using store::Condition;

// Types outside the Patient compartment that still gather residents' data (a Group lists
// members, a Person links a resident's records, a Bundle or Binary can hold anything, a
// GuidanceResponse or VerificationResult names its subject, a message or a subscription can
// carry or select anyone's records, payment notices name the claims they settle): only
// administrators reach them.
const std::set<std::string>& PrivateTypes() {
  static const std::set<std::string> kTypes = {"Group",
                                               "Person",
                                               "Linkage",
                                               "Task",
                                               "Bundle",
                                               "Binary",
                                               "GuidanceResponse",
                                               "VerificationResult",
                                               "MessageHeader",
                                               "EnrollmentResponse",
                                               "PaymentNotice",
                                               "PaymentReconciliation"};
  return kTypes;
}

// Sensitive categories of v3-ActCode (ActInformationSensitivityPolicy): HIV, psychiatry,
// substance abuse, sexuality and reproductive health, sexually transmitted disease, sexual
// or domestic violence.
constexpr const char* kActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
constexpr const char* kSensitiveLabels[] = {"HIV", "PSY", "ETH", "SEX", "STD", "SDV"};

// How an institution's role reaches a resident (docs/security.md): searches of Patient, each
// completed with the institution's reference, made from the reach model (api/reach_model.h).
// Consents come on top (AccessPolicy::Residents), and guardians are a resident's (Wards).
std::vector<std::string> MakeRelationshipRules(Role role) {
  std::vector<std::string> rules;
  for (const ReachGrant& g : ReachGrants()) {
    if (g.rule == GranteeRule::kResidentOnly || g.rule == GranteeRule::kWardsCarers) continue;
    if (std::find(g.roles.begin(), g.roles.end(), role) == g.roles.end()) continue;
    if (std::string_view(g.type) == "Patient")
      rules.push_back(std::string(g.grantee_param) + "=");
    else
      rules.push_back(std::string("_has:") + g.type + ":" + g.patient_param + ":" +
                      g.grantee_param + "=");
  }
  return rules;
}

const std::vector<std::string>& RelationshipRules(Role role) {
  static const auto kByRole = [] {
    std::vector<std::vector<std::string>> by_role;
    for (int r = 0; r <= static_cast<int>(Role::kAdmin); ++r)
      by_role.push_back(MakeRelationshipRules(static_cast<Role>(r)));
    return by_role;
  }();
  return kByRole.at(static_cast<size_t>(role));
}

const char* PermissionName(Permission p) {
  switch (p) {
    case auth::kCreate:
      return "create";
    case auth::kRead:
      return "read";
    case auth::kUpdate:
      return "update";
    case auth::kDelete:
      return "delete";
    default:
      return "search";
  }
}

Condition TypeIs(std::vector<std::string> types, bool negated = false) {
  Condition c;
  c.kind = Condition::Kind::kType;
  c.target_types = std::move(types);
  c.negated = negated;
  return c;
}

Condition Never() {
  Condition c;
  c.kind = Condition::Kind::kNever;
  return c;
}

Status Forbidden(std::string message) { return Status(StatusCode::kForbidden, std::move(message)); }

}  // namespace

AccessPolicy::AccessPolicy(Engine& s, std::shared_ptr<const auth::Principal> principal)
    : s_(s), principal_(std::move(principal)) {}

bool AccessPolicy::InCompartment(const std::string& type) const {
  return s_.defs.PatientCompartment().count(type) > 0;
}

bool AccessPolicy::IsPrivateType(const std::string& type) const {
  return PrivateTypes().count(type) > 0 && !InCompartment(type);
}

std::vector<const auth::Scope*> AccessPolicy::Granting(const std::string& type,
                                                       Permission perm) const {
  std::vector<const auth::Scope*> out;
  for (const auth::Scope& sc : principal_->scopes)
    if (sc.Grants(type, perm)) out.push_back(&sc);
  return out;
}

Status AccessPolicy::Allow(const std::string& type, Permission perm) const {
  bool write = perm == auth::kCreate || perm == auth::kUpdate || perm == auth::kDelete;
  if (type == "AuditEvent" && write)
    return Forbidden("AuditEvent records are written by the platform only and never changed");
  if (open()) return Status::Ok();
  if (!principal_->break_glass.empty()) {
    Role r = principal_->role;
    if (r != Role::kClinician && r != Role::kFamilyDoctor && r != Role::kElderCare)
      return Forbidden("Break-glass access is for clinicians");
    if (principal_->break_glass.size() < 4)
      return Status(StatusCode::kInvalid, "X-Break-Glass must state the reason for the emergency");
  }
  if (Granting(type, perm).empty())
    return Forbidden(std::string("The access token's scopes do not allow ") + PermissionName(perm) +
                     " of " + type);
  Role role = principal_->role;
  if (type == "AuditEvent" && role != Role::kResident && role != Role::kRegulator &&
      role != Role::kAdmin)
    return Forbidden(
        "The audit trail is open to residents (their own), regulators and administrators");
  if (IsPrivateType(type) && role != Role::kAdmin)
    return Forbidden(type + " resources are open to administrators only");
  // The platform's definitions and registries: a clinician who could write a SearchParameter
  // could redefine the parameters the access rules search by, and one who could write an
  // Organization could rename or remove institutions of the whole city.
  if (write && IsPlatformOwned(type) && role != Role::kAdmin)
    return Forbidden(type +
                     " resources are the platform's definitions and registries, written by "
                     "administrators");
  // A consent is the resident's own decision (the reach model's resident-only grants): an
  // institution that could write one could grant itself access.
  const ReachGrant* grant = FindReachGrant(type);
  if (write && grant && grant->rule == GranteeRule::kResidentOnly && role != Role::kResident &&
      role != Role::kAdmin)
    return Forbidden(type + " records are made by residents (or their guardians) themselves");
  return Status::Ok();
}

Result<store::Query> AccessPolicy::PlanOn(const std::string& type,
                                          const std::string& params) const {
  return PlanOnTypes({type}, params);
}

Result<store::Query> AccessPolicy::PlanOnTypes(const std::vector<std::string>& types,
                                               const std::string& params) const {
  KY_ASSIGN_OR_RETURN(search::SearchRequest sr,
                      search::ParseSearchRequest(search::ParseQueryString(params)));
  KY_ASSIGN_OR_RETURN(search::SearchPlan plan,
                      s_.planner.Plan(types, sr, true, s_.clock.NowMicros()));
  return plan.query;
}

Result<Condition> AccessPolicy::ConsentChain(const std::string& params, bool negated) const {
  KY_ASSIGN_OR_RETURN(store::Query q, PlanOn("Consent", params));
  Condition c;
  c.kind = Condition::Kind::kReverseChain;
  c.has_type = "Consent";
  c.param = "patient";
  c.negated = negated;
  c.subquery = std::make_shared<store::Query>(std::move(q));
  return c;
}

bool AccessPolicy::Institutional() const {
  Role r = principal_->role;
  return r == Role::kClinician || r == Role::kFamilyDoctor || r == Role::kElderCare ||
         r == Role::kInsurer;
}

Result<std::shared_ptr<store::Query>> AccessPolicy::Residents(store::ReadTransaction& txn) {
  if (residents_built_) return residents_;
  const auth::Principal& p = *principal_;
  auto patients = std::make_shared<store::Query>();
  patients->types = {"Patient"};
  std::vector<Condition> any;  // the Patient is reached when any of these holds
  std::string org = "Organization/" + p.organization;
  // A resident's Consent (status active, a top-level provision of type permit or deny,
  // naming the institution as actor or, for a denial, no actor at all) about the whole
  // record: no security label.
  auto consent = [&](const std::string& params, bool negated) {
    return ConsentChain(params + "&status=active&security-label:missing=true", negated);
  };
  bool institution = Institutional();
  // Break-glass: a clinician in an emergency reaches any resident, past their denials; the
  // access is flagged in the audit trail and reported to the resident.
  if (!p.break_glass.empty() && institution && p.role != Role::kInsurer) {
    residents_built_ = true;
    residents_ = nullptr;
    return residents_;
  }
  switch (p.role) {
    case Role::kAdmin:
      residents_built_ = true;
      residents_ = nullptr;
      return residents_;
    case Role::kResident: {
      Condition self;
      self.kind = Condition::Kind::kId;
      self.text = p.patient;
      any.push_back(self);
      KY_ASSIGN_OR_RETURN(std::optional<Condition> wards, Wards(txn));
      if (wards) any.push_back(std::move(*wards));
      break;
    }
    case Role::kClinician:
    case Role::kFamilyDoctor:
    case Role::kElderCare:
      for (const std::string& relationship : RelationshipRules(p.role)) {
        KY_ASSIGN_OR_RETURN(store::Query q, PlanOn("Patient", relationship + org));
        for (auto& clause : q.clauses)
          for (auto& c : clause) any.push_back(std::move(c));
      }
      break;
    case Role::kInsurer:
      break;  // consent only, below
    case Role::kRegulator:
      any.push_back(Never());
      break;
  }
  if (institution) {
    KY_ASSIGN_OR_RETURN(Condition permit,
                        consent("actor=" + org + "&provision-type=permit", false));
    any.push_back(std::move(permit));
  }
  if (any.empty()) any.push_back(Never());
  patients->clauses.push_back(std::move(any));
  if (institution) {
    // A denial to this institution, or to everyone, outweighs every relationship.
    KY_ASSIGN_OR_RETURN(Condition to_us, consent("actor=" + org + "&provision-type=deny", true));
    KY_ASSIGN_OR_RETURN(Condition to_all, consent("actor:missing=true&provision-type=deny", true));
    patients->clauses.push_back({std::move(to_us)});
    patients->clauses.push_back({std::move(to_all)});
  }
  residents_built_ = true;
  residents_ = std::move(patients);
  return residents_;
}

Result<std::optional<Condition>> AccessPolicy::Wards(store::ReadTransaction& txn) const {
  // Patients with a RelatedPerson that is a guardian (v3-RoleCode GUARD) and carries one of
  // the resident's own identity numbers (citizen ID, health card).
  KY_ASSIGN_OR_RETURN(auto me, txn.ReadCurrent("Patient", principal_->patient));
  if (!me || me->deleted) return std::optional<Condition>();
  KY_ASSIGN_OR_RETURN(json::Value r, json::Parse(me->body));
  std::string ids;
  if (const json::Value* list = r.Find("identifier"); list && list->is_array()) {
    for (const json::Value& id : list->items()) {
      std::string_view sys = id.GetString("system");
      if (sys != cn::kCitizenIdSystem && sys != cn::kHealthCardSystem) continue;
      if (id.GetString("value").find_first_of(",|&") != std::string_view::npos) continue;
      ids += (ids.empty() ? "" : ",") + PercentEncode(std::string(sys)) + "|" +
             PercentEncode(id.GetString("value"));
    }
  }
  if (ids.empty()) return std::optional<Condition>();
  KY_ASSIGN_OR_RETURN(
      store::Query guardians,
      PlanOn("RelatedPerson",
             "identifier=" + ids +
                 "&relationship=http://terminology.hl7.org/CodeSystem/v3-RoleCode|GUARD"));
  Condition ward;
  ward.kind = Condition::Kind::kReverseChain;
  ward.has_type = "RelatedPerson";
  ward.param = "patient";
  ward.subquery = std::make_shared<store::Query>(std::move(guardians));
  return std::optional<Condition>(std::move(ward));
}

bool AccessPolicy::IsPartiesOnly(const std::string& type) const {
  const ReachGrant* g = FindReachGrant(type);
  return g && g->parties_only;
}

// A CareTeam that names no resident (a family-doctor team, a ward's team: subject and
// participants are staff) is reference data, like the institution it belongs to: residents
// see the team that serves them, institutions each other's teams. One that names a resident is
// in that resident's compartment and reached as the rest of the record.
Condition AccessPolicy::TeamNamingNoResident() {
  Condition in_none;
  in_none.kind = Condition::Kind::kCompartment;
  in_none.any_patient = true;
  in_none.negated = true;
  Condition team;
  team.kind = Condition::Kind::kMatches;
  team.subquery = std::make_shared<store::Query>();
  team.subquery->types = {"CareTeam"};
  team.subquery->clauses.push_back({std::move(in_none)});
  return team;
}

Result<Condition> AccessPolicy::PartyOf(store::ReadTransaction& txn, const std::string& type) {
  const ReachGrant& g = *FindReachGrant(type);
  const auth::Principal& p = *principal_;
  Condition party;
  party.kind = Condition::Kind::kMatches;
  if (p.role == Role::kResident) {
    // Resources about the resident or their wards.
    KY_ASSIGN_OR_RETURN(std::shared_ptr<store::Query> residents, Residents(txn));
    Condition about;
    about.kind = Condition::Kind::kChain;
    about.param = g.patient_param;
    about.subquery = residents;
    party.subquery = std::make_shared<store::Query>();
    party.subquery->types = {type};
    party.subquery->clauses.push_back({std::move(about)});
    return party;
  }
  if (!Institutional() || p.organization.empty()) return Never();
  // Resources that name the institution.
  KY_ASSIGN_OR_RETURN(store::Query named,
                      PlanOn(type, std::string(g.grantee_param) + "=Organization/" +
                                       PercentEncode(p.organization)));
  party.subquery = std::make_shared<store::Query>(std::move(named));
  return party;
}

Result<std::vector<std::vector<Condition>>> AccessPolicy::Restriction(
    store::ReadTransaction& txn, const std::vector<std::string>& types, Permission perm,
    bool aggregate) {
  std::vector<std::vector<Condition>> clauses;
  if (open()) return clauses;
  const auth::Principal& p = *principal_;
  const std::vector<std::string>& all = types.empty() ? s_.defs.ResourceTypes() : types;

  // Types: a search over every type covers those the scopes grant.
  if (types.empty()) {
    std::vector<std::string> granted;
    bool every = false;
    for (const auth::Scope& sc : p.scopes) {
      if (!(sc.permissions & perm) || sc.context == auth::Scope::Context::kOther) continue;
      if (sc.type == "*") every = true;
      granted.push_back(sc.type);
    }
    if (!every) clauses.push_back({TypeIs(granted)});
  }

  // Residents: the role's reach.
  if (p.role == Role::kRegulator) {
    if (!aggregate) {
      std::vector<std::string> open_types;
      for (const std::string& t : all) {
        bool ok = t == "AuditEvent" || IsPartiesOnly(t) || (!InCompartment(t) && !IsPrivateType(t));
        if (ok)
          open_types.push_back(t);
        else if (!types.empty())
          return Forbidden(
              "Regulators see counts (_summary=count) and the audit trail, not "
              "residents' records");
      }
      if (types.empty()) clauses.push_back({TypeIs(open_types)});
    }
  } else if (p.role != Role::kAdmin) {
    KY_ASSIGN_OR_RETURN(std::shared_ptr<store::Query> residents, Residents(txn));
    std::vector<std::string> open_types, party_types, compartment_types;
    for (const std::string& t : all) {
      if (InCompartment(t))
        compartment_types.push_back(t);
      else if (IsPartiesOnly(t))
        party_types.push_back(t);
      else if (!IsPrivateType(t))
        open_types.push_back(t);
    }
    std::vector<Condition> clause;
    if (!compartment_types.empty()) {
      if (residents) {
        Condition reached;
        reached.kind = Condition::Kind::kCompartment;
        reached.subquery = residents;
        clause.push_back(std::move(reached));
      } else {  // break-glass: every resident
        clause.push_back(TypeIs(compartment_types));
      }
      if (std::find(compartment_types.begin(), compartment_types.end(), "CareTeam") !=
          compartment_types.end())
        clause.push_back(TeamNamingNoResident());
    }
    if (!open_types.empty() &&
        (types.empty() || !compartment_types.empty() || !party_types.empty()))
      clause.push_back(TypeIs(open_types));
    for (const std::string& t : party_types) {
      KY_ASSIGN_OR_RETURN(Condition party, PartyOf(txn, t));
      clause.push_back(std::move(party));
    }
    if (!clause.empty()) clauses.push_back(std::move(clause));
    if (p.role != Role::kResident && types.empty())
      clauses.push_back({TypeIs({"AuditEvent"}, true)});
    // A party-only type in the compartment (Consent) is read by the institutions it names,
    // beyond reaching the resident; the resident reaches it through the compartment.
    if (p.role != Role::kResident && p.break_glass.empty()) {
      for (const std::string& t : compartment_types) {
        if (!IsPartiesOnly(t)) continue;
        KY_ASSIGN_OR_RETURN(Condition party, PartyOf(txn, t));
        clauses.push_back({TypeIs({t}, true), std::move(party)});
      }
    }
  }

  // What a principal keeps for itself is its own, whoever it is about.
  if (p.role != Role::kAdmin) {
    for (const std::string& t : all) {
      if (!IsOwnedType(t)) continue;
      Condition owner;
      owner.table = store::IndexTable::kToken;
      owner.param = "owner";
      owner.code = p.subject;
      clauses.push_back({TypeIs({t}, true), std::move(owner)});
    }
  }

  // Sensitive categories: a resource labelled with one (meta.security) is hidden from an
  // institution unless it was recorded in the institution's own encounter or the resident
  // consented to the institution seeing that category.
  if (Institutional() && p.break_glass.empty()) {
    for (const char* label : kSensitiveLabels) {
      std::string code = std::string(kActCode) + "|" + label;
      KY_ASSIGN_OR_RETURN(store::Query unlabelled, PlanOnTypes(types, "_security:not=" + code));
      std::vector<Condition> clause;
      for (auto& c : unlabelled.clauses.at(0)) clause.push_back(std::move(c));
      KY_ASSIGN_OR_RETURN(
          Condition consented,
          ConsentChain("actor=Organization/" + p.organization +
                           "&status=active&provision-type=permit&security-label=" + code,
                       false));
      Condition reached;
      reached.kind = Condition::Kind::kCompartment;
      reached.subquery = std::make_shared<store::Query>();
      reached.subquery->types = {"Patient"};
      reached.subquery->clauses.push_back({std::move(consented)});
      clause.push_back(std::move(reached));
      if (types.size() == 1) {
        auto encounter = s_.params.Find(types[0], "encounter");
        if (encounter && encounter->type == "reference") {
          KY_ASSIGN_OR_RETURN(
              store::Query own,
              PlanOn(types[0],
                     "encounter:Encounter.service-provider=Organization/" + p.organization));
          for (auto& c : own.clauses.at(0)) clause.push_back(std::move(c));
        }
      }
      clauses.push_back(std::move(clause));
    }
  }

  // Scope parameters ("patient/Observation.rs?category=laboratory"): a type every granting
  // scope of which has parameters is kept to what one of them matches.
  std::set<std::string> param_types;
  for (const auth::Scope& sc : p.scopes)
    if (!sc.params.empty() && sc.type != "*" && (sc.permissions & perm) &&
        (types.empty() || std::find(types.begin(), types.end(), sc.type) != types.end()))
      param_types.insert(sc.type);
  for (const std::string& t : param_types) {
    std::vector<const auth::Scope*> granting = Granting(t, perm);
    bool unlimited = false;
    for (const auth::Scope* g : granting) unlimited = unlimited || g->params.empty();
    if (unlimited) continue;
    std::vector<Condition> clause = {TypeIs({t}, true)};
    for (const auth::Scope* g : granting) {
      KY_ASSIGN_OR_RETURN(store::Query q, PlanOn(t, g->params));
      Condition m;
      m.kind = Condition::Kind::kMatches;
      m.subquery = std::make_shared<store::Query>(std::move(q));
      clause.push_back(std::move(m));
    }
    clauses.push_back(std::move(clause));
  }
  return clauses;
}

Status AccessPolicy::RestrictChains(store::ReadTransaction& txn, store::Query* q, bool aggregate) {
  for (auto& clause : q->clauses) {
    for (Condition& c : clause) {
      if (!c.subquery) continue;
      // A condition on the resource itself (a _filter expression's parts): the resource is
      // restricted where it is searched, but the chains inside look elsewhere.
      if (c.kind == Condition::Kind::kMatches) {
        auto sub = std::make_shared<store::Query>(*c.subquery);
        KY_RETURN_IF_ERROR(RestrictChains(txn, sub.get(), aggregate));
        c.subquery = std::move(sub);
        continue;
      }
      if (c.kind != Condition::Kind::kChain && c.kind != Condition::Kind::kReverseChain) continue;
      // A chain looks into other resources: only into those the principal could search.
      auto sub = std::make_shared<store::Query>(*c.subquery);
      for (const std::string& t : sub->types) KY_RETURN_IF_ERROR(Allow(t, auth::kSearch));
      // A count may look through them as the count itself may (a regulator's aggregate).
      KY_RETURN_IF_ERROR(Restrict(txn, sub.get(), auth::kSearch, aggregate));
      c.subquery = std::move(sub);
    }
  }
  return Status::Ok();
}

Status AccessPolicy::Restrict(store::ReadTransaction& txn, store::Query* q, Permission perm,
                              bool aggregate) {
  if (open()) return Status::Ok();
  KY_RETURN_IF_ERROR(RestrictChains(txn, q, aggregate));
  KY_ASSIGN_OR_RETURN(auto clauses, Restriction(txn, q->types, perm, aggregate));
  for (auto& clause : clauses) q->clauses.push_back(std::move(clause));
  return Status::Ok();
}

Result<bool> AccessPolicy::CanSee(store::ReadTransaction& txn, const std::string& type,
                                  const std::string& id, Permission perm) {
  if (open()) return true;
  store::Query q;
  q.types = {type};
  Condition c;
  c.kind = Condition::Kind::kId;
  c.text = id;
  q.clauses.push_back({c});
  KY_RETURN_IF_ERROR(Restrict(txn, &q, perm));
  KY_ASSIGN_OR_RETURN(int64_t n, txn.Count(q));
  return n > 0;
}

Result<std::vector<store::StoredResource>> AccessPolicy::Filter(
    store::ReadTransaction& txn, std::vector<store::StoredResource> rows, Permission perm) {
  if (open() || rows.empty()) return rows;
  std::map<std::string, std::vector<Condition>> ids_by_type;
  for (const auto& r : rows) {
    Condition c;
    c.kind = Condition::Kind::kId;
    c.text = r.id;
    ids_by_type[r.type].push_back(std::move(c));
  }
  std::set<int64_t> visible;
  for (auto& [type, ids] : ids_by_type) {
    if (!Allow(type, perm).ok()) continue;
    store::Query q;
    q.types = {type};
    size_t n = ids.size();
    q.clauses.push_back(std::move(ids));
    KY_RETURN_IF_ERROR(Restrict(txn, &q, perm));
    KY_ASSIGN_OR_RETURN(auto rids, txn.Search(q, static_cast<int64_t>(n)));
    visible.insert(rids.begin(), rids.end());
  }
  std::vector<store::StoredResource> out;
  for (auto& r : rows)
    if (visible.count(r.rid)) out.push_back(std::move(r));
  return out;
}

bool AccessPolicy::SeesAllOf(const std::vector<std::string>& types) const {
  if (open()) return true;
  const auth::Principal& p = *principal_;
  const std::vector<std::string>& all = types.empty() ? s_.defs.ResourceTypes() : types;
  for (const std::string& t : all) {
    for (const auth::Scope& sc : p.scopes)
      if (!sc.params.empty() && (sc.type == t || sc.type == "*")) return false;
    if (p.role == Role::kAdmin) continue;
    if (IsOwnedType(t)) return false;  // others' are hidden
    if (p.role == Role::kRegulator && (t == "AuditEvent" || IsPartiesOnly(t))) continue;
    if (InCompartment(t) || IsPrivateType(t) || IsPartiesOnly(t)) return false;
  }
  return true;
}

}  // namespace kangyun::api
