// Linking the records of one person (mpi/patient_links.h): the registry's decision when a new
// Patient arrives (and when an update changes what it compares), the review queue of Tasks for what
// it is not sure of, and the operator's decisions, each undoable and each in the audit trail:
//   Patient/$link      {source-patient, target-patient, task?}  the same person, both in use
//   Patient/$unlink    {source-patient}                         undoes $link
//   Patient/$merge     {source-patient, target-patient, task?}  source retired into the target
//   Patient/$unmerge   {source-patient}                         undoes $merge
//   Patient/$distinct  {source-patient, target-patient, task}   two people: close the review
// All of them run in one write transaction, and the store serialises write transactions (one
// writer in SQLite, an advisory lock on PostgreSQL): a record's master is read and changed
// atomically, so no record ever gets two masters, however many registrations race.
#include "mpi/patient_links.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "api/access_policy.h"
#include "api/engine.h"
#include "api/outcome.h"
#include "base/env.h"
#include "json/json.h"
#include "services/person_registry/person_registry.h"

namespace kangyun::services::person_registry {
using namespace api;
namespace {

constexpr const char* kTaskSystem = "https://kangyun.cn/fhir/CodeSystem/registry-task";
constexpr const char* kDecisionSystem = "https://kangyun.cn/fhir/CodeSystem/registry-decision";
// Review Tasks a new record raises at most: a record resembling many is a data problem an
// operator sees from the first few.
constexpr size_t kMaxReviews = 5;

using json::Str;

json::Value Ref(const std::string& reference) {
  json::Value r = json::Value::Object();
  r.Set("reference", Str(reference));
  return r;
}

json::Value Concept(const char* system, const std::string& code, const std::string& display) {
  json::Value coding = json::Value::Object();
  coding.Set("system", Str(system));
  coding.Set("code", Str(code));
  if (!display.empty()) coding.Set("display", Str(display));
  json::Value codings = json::Value::Array();
  codings.Push(std::move(coding));
  json::Value cc = json::Value::Object();
  cc.Set("coding", std::move(codings));
  return cc;
}

std::string Decimal(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", x);
  return buf;
}

// Records one decision of the registry in the audit trail, once its transaction commits (the
// request's own record follows it into the same or a later batch, and the answer waits for that).
void AuditDecision(Engine& s, Txn& txn, const FhirRequest& req, const std::string& decision,
                   const std::string& text, std::vector<std::string> patients) {
  if (!s.audit) return;
  FhirResponse ok;
  audit::AuditRecord record = AuditRecordFor(s, req, decision, 'U', ok);
  record.subtype_system = kDecisionSystem;
  record.outcome_text = text;
  record.query.clear();
  for (const std::string& p : patients) record.resources.push_back("Patient/" + p);
  record.patients = std::move(patients);
  txn.AfterCommit([&s, record = std::move(record)] { (void)s.audit->Record(record, false); });
}

struct Loaded {
  store::StoredResource stored;
  json::Value patient;
};

Result<Loaded> LoadPatient(Txn& txn, const std::string& id, const std::string& role) {
  KY_ASSIGN_OR_RETURN(auto current, txn.ReadCurrent("Patient", id));
  if (!current || current->deleted) return NotFound(role + " Patient/" + id + " is not known");
  KY_ASSIGN_OR_RETURN(json::Value patient, json::Parse(current->body));
  return Loaded{std::move(*current), std::move(patient)};
}

Status Save(Engine& s, Txn& txn, Loaded& p) {
  KY_ASSIGN_OR_RETURN(store::StoredResource stored,
                      WriteVersion(s, txn, p.patient, p.stored.id, p.stored, "PUT", true));
  KY_ASSIGN_OR_RETURN(p.patient, json::Parse(stored.body));
  p.stored = std::move(stored);
  return Status::Ok();
}

// A review Task: is `record` the same person as `candidate`?
Status QueueReview(Engine& s, Txn& txn, const std::string& record, const MatchCandidate& c,
                   const std::string& why) {
  json::Value task = json::Value::Object();
  task.Set("resourceType", Str("Task"));
  task.Set("status", Str("requested"));
  task.Set("intent", Str("proposal"));
  task.Set("priority", Str(c.grade == mpi::Grade::kCertain ? "urgent" : "routine"));
  task.Set("code", Concept(kTaskSystem, "review-match",
                           "Review a possible second registration 核对疑似重复登记"));
  task.Set("description", Str(why));
  task.Set("focus", Ref("Patient/" + record));
  task.Set("for", Ref("Patient/" + record));
  task.Set("authoredOn", Str(FormatInstant(s.clock.NowMicros())));
  json::Value inputs = json::Value::Array();
  auto input = [&](const char* code, const char* display, const char* key, json::Value v) {
    json::Value in = json::Value::Object();
    in.Set("type", Concept(kTaskSystem, code, display));
    in.Set(key, std::move(v));
    inputs.Push(std::move(in));
  };
  input("candidate", "Candidate record 候选记录", "valueReference", Ref("Patient/" + c.stored.id));
  input("score", "Match probability 匹配概率", "valueDecimal",
        json::Value::Number(Decimal(c.probability)));
  input("match-grade", "Match grade 匹配等级", "valueCode", Str(mpi::GradeCode(c.grade)));
  task.Set("input", std::move(inputs));
  return WriteVersion(s, txn, std::move(task), s.ids.NewId(), std::nullopt, "POST", true).status();
}

// The two records a review Task is about: its focus and its candidate ("Patient/…" each).
std::pair<std::string, std::string> ReviewedPair(const json::Value& task) {
  std::string focus(task.Find("focus") ? task.Find("focus")->GetString("reference") : "");
  std::string candidate;
  if (const json::Value* inputs = task.Find("input"))
    for (const json::Value& in : inputs->items())
      if (const json::Value* ref = in.Find("valueReference"))
        candidate = std::string(ref->GetString("reference"));
  return {focus, candidate};
}

}  // namespace

namespace {

// The registry's operators: those who see every Patient and Task (administrators).
bool IsOperator(Engine& s, const FhirRequest& req) {
  AccessPolicy access(s, req.principal);
  return access.SeesAllOf({"Patient", "Task"});
}

}  // namespace

Status SettleLinks(Engine& s, const FhirRequest& req, json::Value* patient,
                   const std::optional<store::StoredResource>& current) {
  std::optional<json::Value> stored_links;
  if (current && !current->deleted) {
    KY_ASSIGN_OR_RETURN(json::Value stored, json::Parse(current->body));
    if (const json::Value* links = stored.Find("link")) stored_links = *links;
  }
  const json::Value* sent = patient->Find("link");
  if (!sent) {
    if (stored_links) patient->Set("link", *stored_links);
    return Status::Ok();
  }
  if ((stored_links && *sent == *stored_links) || IsOperator(s, req)) return Status::Ok();
  return Unprocessable(
      "Patient.link is kept by the person registry: it links new records itself, and its "
      "operators use Patient/$link and $merge",
      "Patient.link");
}

namespace {

Registration NothingFor(const std::string& id) {
  Registration r;
  r.id = id;
  return r;
}

// The registry's decision on a record given its candidates: a link to the master when one
// person is certain (added to *patient), and reviews of the probable (and of certain ones of
// several people).
Registration Decide(json::Value* patient, const std::string& id,
                    std::vector<MatchCandidate> candidates) {
  Registration r;
  r.id = id;
  std::vector<std::string> certain_masters;
  for (const MatchCandidate& c : candidates) {
    if (c.grade != mpi::Grade::kCertain) continue;
    std::string master = mpi::MasterOf(c.patient);
    if (master.empty()) master = c.stored.id;
    if (std::find(certain_masters.begin(), certain_masters.end(), master) == certain_masters.end())
      certain_masters.push_back(master);
  }
  if (certain_masters.size() == 1) {
    r.master = certain_masters[0];
    r.probability = candidates[0].probability;
    mpi::AddLink(patient, r.master, mpi::kRefer);
  }
  // One review per person (a master and its records are one): the best-matching record.
  std::vector<std::string> reviewed = {r.master};
  for (MatchCandidate& c : candidates) {
    if (r.to_review.size() >= kMaxReviews) break;
    // Certain matches of two different people's records are for an operator too.
    bool certain_but_ambiguous = c.grade == mpi::Grade::kCertain && certain_masters.size() > 1;
    if (c.grade != mpi::Grade::kProbable && !certain_but_ambiguous) continue;
    std::string person = mpi::MasterOf(c.patient);
    if (person.empty()) person = c.stored.id;
    if (std::find(reviewed.begin(), reviewed.end(), person) != reviewed.end()) continue;
    reviewed.push_back(person);
    r.to_review.push_back(std::move(c));
  }
  return r;
}

// The records an operator has been asked about together with `record`, in either direction
// and whatever the answer (a review waiting, two people, linked): the registry does not ask
// again. `others` are the records that may have raised a review of their own about it.
Result<std::set<std::string>> ReviewedWith(Engine& s, Txn& txn, const std::string& record,
                                           const std::vector<std::string>& others) {
  std::string focus = "Patient/" + record;
  for (const std::string& o : others) focus += ",Patient/" + o;
  search::QueryParams criteria = {{"focus", focus},
                                  {"code", std::string(kTaskSystem) + "|review-match"}};
  KY_ASSIGN_OR_RETURN(std::vector<store::StoredResource> tasks,
                      FindForRegistry(s, txn, "Task", criteria, 1000));
  std::set<std::string> reviewed;
  const std::string self = "Patient/" + record;
  for (const store::StoredResource& t : tasks) {
    KY_ASSIGN_OR_RETURN(json::Value task, json::Parse(t.body));
    auto [about, candidate] = ReviewedPair(task);
    if (about == self && candidate.size() > 8) reviewed.insert(candidate.substr(8));
    if (candidate == self && about.size() > 8) reviewed.insert(about.substr(8));
  }
  return reviewed;
}

// Whether two readings of a record hold the same facts the registry matches on.
bool SameFacts(const mpi::Person& a, const mpi::Person& b) {
  return a.citizen_id == b.citizen_id && a.identifiers == b.identifiers &&
         a.name_han == b.name_han && a.name_pinyin == b.name_pinyin &&
         a.birth_date == b.birth_date && a.sex == b.sex && a.phones == b.phones &&
         a.district == b.district && a.address == b.address;
}

}  // namespace

Result<Registration> PlanRegistration(Engine& s, Matching& m, Txn& txn, json::Value* patient,
                                      const std::string& id) {
  // A record that arrives already linked was linked by its sender; the registry leaves it.
  if (!mpi::LinksOf(*patient).empty()) return NothingFor(id);
  mpi::Person person = mpi::PersonFromPatient(*patient);
  person.id = id;
  KY_ASSIGN_OR_RETURN(std::vector<MatchCandidate> candidates,
                      MatchCandidates(s, m, txn, nullptr, person));
  return Decide(patient, id, std::move(candidates));
}

Result<Registration> PlanRematch(Engine& s, Matching& m, Txn& txn, json::Value* patient,
                                 const std::string& id, const store::StoredResource& previous) {
  // A linked record (or a master) stays as it is: moving it is an operator's decision.
  if (!mpi::LinksOf(*patient).empty()) return NothingFor(id);
  mpi::Person person = mpi::PersonFromPatient(*patient);
  person.id = id;
  KY_ASSIGN_OR_RETURN(json::Value before, json::Parse(previous.body));
  if (SameFacts(mpi::PersonFromPatient(before), person)) return NothingFor(id);
  KY_ASSIGN_OR_RETURN(std::vector<MatchCandidate> candidates,
                      MatchCandidates(s, m, txn, nullptr, person));
  std::vector<std::string> others;
  for (const MatchCandidate& c : candidates)
    if (c.grade == mpi::Grade::kCertain || c.grade == mpi::Grade::kProbable)
      others.push_back(c.stored.id);
  if (others.empty()) return NothingFor(id);
  KY_ASSIGN_OR_RETURN(std::set<std::string> reviewed, ReviewedWith(s, txn, id, others));
  // A pair already put to an operator (or a person one of whose records was) is theirs.
  std::erase_if(candidates, [&](const MatchCandidate& c) {
    std::string master = mpi::MasterOf(c.patient);
    return reviewed.count(c.stored.id) || (!master.empty() && reviewed.count(master));
  });
  Registration r = Decide(patient, id, std::move(candidates));
  r.update = true;
  return r;
}

Status CarryOutRegistration(Engine& s, Txn& txn, const FhirRequest& req, const Registration& r) {
  if (!r.master.empty()) {
    KY_ASSIGN_OR_RETURN(Loaded master, LoadPatient(txn, r.master, "The master"));
    mpi::AddLink(&master.patient, r.id, mpi::kSeeAlso);
    KY_RETURN_IF_ERROR(Save(s, txn, master));
    AuditDecision(s, txn, req, "link",
                  std::string(r.update ? "Updated" : "Registered") + " Patient/" + r.id +
                      " linked to master Patient/" + r.master +
                      " (certain, p=" + Decimal(r.probability) + ")",
                  {r.id, r.master});
  }
  for (const MatchCandidate& c : r.to_review) {
    std::string why = "Patient/" + r.id + " may be the same person as Patient/" + c.stored.id +
                      " (" + mpi::GradeCode(c.grade) + ", p=" + Decimal(c.probability) + ")";
    KY_RETURN_IF_ERROR(QueueReview(s, txn, r.id, c, why));
    AuditDecision(s, txn, req, "queue-review", why, {r.id, c.stored.id});
  }
  return Status::Ok();
}

namespace {

struct OperationInput {
  std::string source, target, task;
};

std::string ReferencedId(const json::Value& p, const char* type) {
  const json::Value* ref = p.Find("valueReference");
  if (!ref) return "";
  std::string_view reference = ref->GetString("reference");
  std::string prefix = std::string(type) + "/";
  if (reference.substr(0, prefix.size()) != prefix) return "";
  return std::string(reference.substr(prefix.size()));
}

Result<OperationInput> ParseOperation(const Engine& s, const FhirRequest& req,
                                      const std::string& op) {
  if (req.body.empty()) return Invalid("$" + op + " needs a Parameters resource in its body");
  KY_ASSIGN_OR_RETURN(json::Value params, json::Parse(req.body));
  if (!params.is_object() || params.GetString("resourceType") != "Parameters")
    return Invalid("$" + op + " takes a Parameters resource", "Parameters");
  KY_RETURN_IF_ERROR(s.validator.Validate(params));
  OperationInput in;
  if (const json::Value* list = params.Find("parameter")) {
    for (size_t i = 0; i < list->items().size(); ++i) {
      const json::Value& p = list->items()[i];
      std::string where = "Parameters.parameter[" + std::to_string(i) + "]";
      std::string_view name = p.GetString("name");
      std::string* slot = name == "source-patient"   ? &in.source
                          : name == "target-patient" ? &in.target
                          : name == "task"           ? &in.task
                                                     : nullptr;
      if (!slot)
        return Invalid("Unknown parameter '" + std::string(name) + "' of $" + op, where + ".name");
      *slot = ReferencedId(p, name == "task" ? "Task" : "Patient");
      if (slot->empty())
        return Invalid(std::string(name) + " takes a valueReference to a " +
                           (name == "task" ? "Task" : "Patient") + " of this server",
                       where + ".valueReference");
    }
  }
  bool needs_target = op == "link" || op == "merge" || op == "distinct";
  if (in.source.empty()) return Invalid("$" + op + " needs source-patient", "Parameters");
  if (needs_target && in.target.empty())
    return Invalid("$" + op + " needs target-patient", "Parameters");
  if (op == "distinct" && in.task.empty())
    return Invalid("$distinct closes a review: it needs the task", "Parameters");
  if (!needs_target && !in.target.empty())
    return Invalid("$" + op + " takes source-patient only", "Parameters");
  if (!in.target.empty() && in.target == in.source)
    return Invalid("source-patient and target-patient are the same record", "Parameters");
  return in;
}

Status Conflict(std::string message) { return {StatusCode::kConflict, std::move(message)}; }

// Completes the review Task with what the operator decided.
Status CloseTask(Engine& s, Txn& txn, const std::string& task_id, const std::string& source,
                 const std::string& target, const std::string& outcome) {
  KY_ASSIGN_OR_RETURN(auto current, txn.ReadCurrent("Task", task_id));
  if (!current || current->deleted) return NotFound("Task/" + task_id + " is not known");
  KY_ASSIGN_OR_RETURN(json::Value task, json::Parse(current->body));
  const json::Value* code = task.Find("code");
  if (!code || json::Write(*code).find("review-match") == std::string::npos)
    return Invalid("Task/" + task_id + " is not a registry review", "Parameters");
  std::string status(task.GetString("status"));
  if (status == "completed" || status == "cancelled")
    return Conflict("Task/" + task_id + " was already decided (" + status + ")");
  // The Task must be about this pair, in either direction.
  auto [focus, candidate] = ReviewedPair(task);
  std::string a = "Patient/" + source, b = "Patient/" + target;
  bool about_pair = (focus == a && candidate == b) || (focus == b && candidate == a);
  if (!about_pair)
    return Invalid(
        "Task/" + task_id + " reviews " + focus + " and " + candidate + ", not " + a + " and " + b,
        "Parameters");
  task.Set("status", Str("completed"));
  task.Set("businessStatus", Concept(kTaskSystem, outcome, ""));
  task.Set("lastModified", Str(FormatInstant(s.clock.NowMicros())));
  return WriteVersion(s, txn, std::move(task), task_id, current, "PUT", true).status();
}

// The master a record is (or would be) linked under: the target's own master if it has one.
Result<Loaded> MasterFor(Txn& txn, const std::string& target) {
  KY_ASSIGN_OR_RETURN(Loaded t, LoadPatient(txn, target, "The target"));
  std::string master = mpi::MasterOf(t.patient);
  if (master.empty()) return t;
  return LoadPatient(txn, master, "The target's master");
}

// A record that is itself a master of others cannot be put under another master without
// moving them: the operator unlinks them first (or merges them one by one).
Status CheckNotAMaster(const Loaded& source) {
  std::vector<std::string> records = mpi::RecordsOf(source.patient);
  if (records.empty()) return Status::Ok();
  return Conflict("Patient/" + source.stored.id + " is the master of " +
                  std::to_string(records.size()) + " record(s) (Patient/" + records[0] +
                  (records.size() > 1 ? ", …" : "") + "); unlink or unmerge them first");
}

json::Value ResultParameters(const std::string& text, const Loaded* source, const Loaded* target) {
  json::Value out = json::Value::Object();
  out.Set("resourceType", Str("Parameters"));
  json::Value list = json::Value::Array();
  json::Value outcome = json::Value::Object();
  outcome.Set("name", Str("outcome"));
  outcome.Set("resource", json::Value::Raw(InformationOutcome(text)));
  list.Push(std::move(outcome));
  for (auto [name, p] : {std::pair{"source", source}, std::pair{"target", target}}) {
    if (!p) continue;
    json::Value item = json::Value::Object();
    item.Set("name", Str(name));
    item.Set("resource", json::Value::Raw(p->stored.body));
    list.Push(std::move(item));
  }
  out.Set("parameter", std::move(list));
  return out;
}

}  // namespace

const char* const kRegistryOperations[5] = {"link", "unlink", "merge", "unmerge", "distinct"};

Result<FhirResponse> RegistryOperation(Engine& s, Txn& txn, const FhirRequest& req,
                                       const std::string& operation) {
  const std::string& op = operation;
  KY_ASSIGN_OR_RETURN(OperationInput in, ParseOperation(s, req, op));
  KY_ASSIGN_OR_RETURN(Loaded source, LoadPatient(txn, in.source, "The source"));
  std::string text;
  std::optional<Loaded> target;
  if (op == "link" || op == "merge") {
    KY_ASSIGN_OR_RETURN(Loaded master, MasterFor(txn, in.target));
    if (master.stored.id == source.stored.id)
      return Conflict("Patient/" + in.target + " is already a record of Patient/" + in.source);
    KY_RETURN_IF_ERROR(CheckNotAMaster(source));
    std::string current_master = mpi::MasterOf(source.patient);
    bool merged = false;
    for (const mpi::PatientLink& l : mpi::LinksOf(source.patient))
      merged |= l.type == mpi::kReplacedBy;
    if (merged)
      return Conflict("Patient/" + in.source + " was merged into Patient/" + current_master +
                      "; $unmerge it first");
    if (!current_master.empty() && current_master != master.stored.id)
      return Conflict("Patient/" + in.source + " is linked to master Patient/" + current_master +
                      "; $unlink it first (a record has one master)");
    if (op == "link" && current_master == master.stored.id)
      return Conflict("Patient/" + in.source + " is already linked to Patient/" + current_master);
    mpi::RemoveLinks(&source.patient, master.stored.id);
    mpi::RemoveLinks(&master.patient, source.stored.id);
    if (op == "link") {
      mpi::AddLink(&source.patient, master.stored.id, mpi::kRefer);
      mpi::AddLink(&master.patient, source.stored.id, mpi::kSeeAlso);
      text = "Patient/" + in.source + " linked to master Patient/" + master.stored.id;
    } else {
      mpi::AddLink(&source.patient, master.stored.id, mpi::kReplacedBy);
      source.patient.Set("active", json::Value::Bool(false));
      mpi::AddLink(&master.patient, source.stored.id, mpi::kReplaces);
      text = "Patient/" + in.source + " merged into Patient/" + master.stored.id;
    }
    KY_RETURN_IF_ERROR(Save(s, txn, source));
    KY_RETURN_IF_ERROR(Save(s, txn, master));
    if (!in.task.empty())
      KY_RETURN_IF_ERROR(
          CloseTask(s, txn, in.task, in.source, in.target, op == "link" ? "linked" : "merged"));
    target = std::move(master);
  } else if (op == "unlink" || op == "unmerge") {
    std::string master_id = mpi::MasterOf(source.patient);
    const char* wanted = op == "unlink" ? mpi::kRefer : mpi::kReplacedBy;
    bool has = false;
    for (const mpi::PatientLink& l : mpi::LinksOf(source.patient)) has |= l.type == wanted;
    if (!has)
      return Conflict("Patient/" + in.source + " has no " + wanted + " link to undo" +
                      (master_id.empty()
                           ? ""
                           : " (its link to Patient/" + master_id + " is of the other kind)"));
    KY_ASSIGN_OR_RETURN(Loaded master, LoadPatient(txn, master_id, "The master"));
    mpi::RemoveLinks(&source.patient, master_id);
    mpi::RemoveLinks(&master.patient, source.stored.id);
    if (op == "unmerge") {
      // Back to what it was before the merge: the last version without the replaced-by link.
      store::HistoryQuery history;
      history.type = "Patient";
      history.id = in.source;
      history.count = 100;
      KY_ASSIGN_OR_RETURN(auto versions, txn.History(history));
      std::optional<json::Value> active = json::Value::Bool(true);
      for (const store::StoredResource& v : versions) {  // newest first
        if (v.deleted) continue;
        KY_ASSIGN_OR_RETURN(json::Value old, json::Parse(v.body));
        if (mpi::MasterOf(old) == master_id) continue;
        const json::Value* a = old.Find("active");
        active = a ? std::optional<json::Value>(*a) : std::nullopt;
        break;
      }
      if (active)
        source.patient.Set("active", *active);
      else
        source.patient.Erase("active");
    }
    KY_RETURN_IF_ERROR(Save(s, txn, source));
    KY_RETURN_IF_ERROR(Save(s, txn, master));
    text = "Patient/" + in.source + (op == "unlink" ? " unlinked from" : " unmerged from") +
           " Patient/" + master_id;
    in.target = master_id;
    target = std::move(master);
  } else {  // distinct
    KY_ASSIGN_OR_RETURN(Loaded other, LoadPatient(txn, in.target, "The target"));
    KY_RETURN_IF_ERROR(CloseTask(s, txn, in.task, in.source, in.target, "different-people"));
    text = "Patient/" + in.source + " and Patient/" + in.target + " are different people";
    target = std::move(other);
  }
  AuditDecision(s, txn, req, op, text + (in.task.empty() ? "" : " (Task/" + in.task + ")"),
                {in.source, in.target});
  FhirResponse resp;
  resp.body = json::Write(ResultParameters(text, &source, target ? &*target : nullptr));
  return resp;
}

}  // namespace kangyun::services::person_registry
