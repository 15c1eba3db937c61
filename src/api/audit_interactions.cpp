// AuditEvent read and search, served from the audit log (store/store.h: AuditRow): the
// resources are built from the compact rows as they are read (audit/audit_event.h). The log
// is searched by the parameters audits use (docs/security.md): the row's resident, agent and
// time are looked up in the store, the rest is tested on each row. Pages follow the chain's
// sequence (keyset paging), so a search pages through any number of records.
#include <algorithm>
#include <charconv>
#include <iterator>
#include <map>
#include <set>
#include <unordered_map>

#include "api/access_policy.h"
#include "api/audit_rows.h"
#include "api/engine.h"
#include "api/outcome.h"
#include "audit/audit_codec.h"
#include "audit/audit_event.h"
#include "base/strings.h"
#include "fhir/datetime.h"
#include "json/json.h"

namespace kangyun::api {
namespace {

// Rows read from the store at a time while filtering; matches counted for `total` at most.
constexpr int64_t kChunk = 500;
constexpr int64_t kMaxCounted = 10000;

constexpr const char* kRestfulInteraction = "http://hl7.org/fhir/restful-interaction";
constexpr const char* kDicom = "http://dicom.nema.org/resources/ontology/DCM";

struct Token {
  std::string system;  // "" when the value named none
  bool has_system = false;
  std::string code;
};

Token ParseToken(std::string_view v) {
  Token t;
  size_t bar = v.find('|');
  if (bar == std::string_view::npos) {
    t.code = v;
  } else {
    t.has_system = true;
    t.system = v.substr(0, bar);
    t.code = v.substr(bar + 1);
  }
  return t;
}

// A search of the log: what the store looks up, and what each row is tested for.
struct AuditFilter {
  store::AuditQuery query;
  std::optional<std::set<int64_t>> agents;  // the agents the agent parameters allow
  std::vector<std::vector<std::string>> ids;
  std::vector<std::vector<Token>> subtypes, types;
  std::vector<std::vector<std::string>> actions, outcomes, entities;
  std::map<std::string, bool> missing;  // parameter -> :missing=true/false
};

bool ParseSequence(std::string_view text, int64_t* seq) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *seq);
  return ec == std::errc() && end == text.data() + text.size() && *seq >= 0;
}

std::vector<std::string> Values(std::string_view v) {
  std::vector<std::string> out;
  for (std::string& part : Split(v, ','))
    if (!part.empty()) out.push_back(std::move(part));
  return out;
}

std::string WithoutType(std::string_view reference, std::string_view type) {
  std::string prefix = std::string(type) + "/";
  return StartsWith(reference, prefix) ? std::string(reference.substr(prefix.size()))
                                       : std::string(reference);
}

Status AddDate(std::string_view value, store::AuditQuery* q) {
  std::string_view prefix = "eq";
  if (value.size() > 2 && std::isalpha(static_cast<unsigned char>(value[0]))) {
    prefix = value.substr(0, 2);
    value.remove_prefix(2);
  }
  auto dt = fhir::ParseDateTime(value, /*allow_partial_time=*/true);
  if (!dt) return Invalid("date: '" + std::string(value) + "' is not a date or time", "date");
  int64_t low = dt->LowMicros(), high = dt->HighMicros();
  auto at_least = [&](int64_t from) { q->from = std::max(q->from, from); };
  auto before = [&](int64_t to) { q->to = q->to == 0 ? to : std::min(q->to, to); };
  if (prefix == "eq") {
    at_least(low);
    before(high + 1);
  } else if (prefix == "ge" || prefix == "sa") {
    at_least(prefix == "ge" ? low : high + 1);
  } else if (prefix == "gt") {
    at_least(high + 1);
  } else if (prefix == "le") {
    before(high + 1);
  } else if (prefix == "lt" || prefix == "eb") {
    before(low);
  } else {
    return Invalid("date: the prefix '" + std::string(prefix) + "' is not supported here", "date");
  }
  if (q->to != 0 && q->to <= q->from) q->to = q->from;  // nothing matches
  return Status::Ok();
}

// The agents whose `field` is one of values; intersected with what earlier parameters allow.
Status AddAgents(store::ReadTransaction& txn, const std::string& field,
                 const std::vector<std::string>& values, AuditFilter* f) {
  std::set<int64_t> ids;
  for (const std::string& v : values) {
    KY_ASSIGN_OR_RETURN(auto agents, txn.AuditAgents({}, field, v));
    for (const auto& a : agents) ids.insert(a.id);
  }
  if (f->agents) {
    std::set<int64_t> both;
    std::set_intersection(ids.begin(), ids.end(), f->agents->begin(), f->agents->end(),
                          std::inserter(both, both.end()));
    ids = std::move(both);
  }
  f->agents = std::move(ids);
  return Status::Ok();
}

Result<AuditFilter> ParseFilter(store::ReadTransaction& txn, const search::QueryParams& params,
                                bool strict, std::vector<std::string>* ignored) {
  AuditFilter f;
  for (const auto& [key, value] : params) {
    std::string name = key, modifier;
    if (size_t colon = key.find(':'); colon != std::string::npos) {
      name = key.substr(0, colon);
      modifier = key.substr(colon + 1);
    }
    if (name.empty() || (name[0] == '_' && name != "_id")) continue;  // result parameters
    if (!AuditTrailParameters().count(name)) {
      if (strict)
        return Invalid("AuditEvent has no search parameter '" + name + "' in the audit trail",
                       name);
      ignored->push_back(key);
      continue;
    }
    if (modifier == "missing") {
      if (value != "true" && value != "false")
        return Invalid(key + ": :missing takes true or false", key);
      f.missing[name] = value == "true";
      continue;
    }
    if (!modifier.empty())
      return Invalid(key + ": the modifier :" + modifier + " is not supported on the audit trail",
                     key);
    std::vector<std::string> values = Values(value);
    if (name == "_id") {
      f.ids.push_back(values);
    } else if (name == "patient") {
      if (values.size() != 1 || !f.query.patient.empty())
        return Invalid("patient: the audit trail is searched for one resident at a time",
                       "patient");
      f.query.patient = WithoutType(values[0], "Patient");
    } else if (name == "agent") {
      KY_RETURN_IF_ERROR(AddAgents(txn, "reference", values, &f));
    } else if (name == "altid") {
      KY_RETURN_IF_ERROR(AddAgents(txn, "subject", values, &f));
    } else if (name == "address") {
      KY_RETURN_IF_ERROR(AddAgents(txn, "address", values, &f));
    } else if (name == "date") {
      KY_RETURN_IF_ERROR(AddDate(value, &f.query));
    } else if (name == "subtype" || name == "type") {
      std::vector<Token> tokens;
      for (const std::string& v : values) tokens.push_back(ParseToken(v));
      (name == "subtype" ? f.subtypes : f.types).push_back(std::move(tokens));
    } else if (name == "action") {
      f.actions.push_back(values);
    } else if (name == "outcome") {
      f.outcomes.push_back(values);
    } else if (name == "entity") {
      f.entities.push_back(values);
    }
  }
  if (f.agents) {
    f.query.agents.assign(f.agents->begin(), f.agents->end());
    f.query.match_nothing = f.agents->empty();
  }
  return f;
}

bool AnyToken(const std::vector<Token>& tokens, const std::string& system,
              const std::string& code) {
  for (const Token& t : tokens)
    if (t.code == code && (!t.has_system || t.system == system)) return true;
  return false;
}

bool AnyOf(const std::vector<std::string>& wanted, const std::vector<std::string>& have) {
  for (const std::string& w : wanted)
    if (std::find(have.begin(), have.end(), w) != have.end()) return true;
  return false;
}

// Whether a parameter has a value in the record (for :missing).
bool Present(const std::string& param, const audit::AuditRecord& r) {
  if (param == "patient") return !r.patients.empty();
  if (param == "address") return !r.address.empty();
  if (param == "agent") return !r.who_reference.empty();
  if (param == "entity") return !r.patients.empty() || !r.resources.empty();
  return true;
}

bool Matches(const AuditFilter& f, int64_t seq, const audit::AuditRecord& r) {
  for (const auto& ids : f.ids)
    if (std::find(ids.begin(), ids.end(), std::to_string(seq)) == ids.end()) return false;
  std::string subtype_system = r.authentication           ? kDicom
                               : r.subtype_system.empty() ? kRestfulInteraction
                                                          : r.subtype_system;
  std::string subtype = r.authentication ? "110122" : r.subtype;
  for (const auto& any : f.subtypes)
    if (!AnyToken(any, subtype_system, subtype)) return false;
  for (const auto& any : f.types) {
    bool rest = !r.authentication;
    if (!AnyToken(any, rest ? "http://terminology.hl7.org/CodeSystem/audit-event-type" : kDicom,
                  rest ? "rest" : "110114"))
      return false;
  }
  for (const auto& any : f.actions)
    if (!AnyOf(any, {std::string(1, r.action)})) return false;
  for (const auto& any : f.outcomes)
    if (!AnyOf(any, {std::to_string(r.outcome)})) return false;
  for (const auto& any : f.entities) {
    std::vector<std::string> have = r.resources;
    for (const std::string& p : r.patients) have.push_back("Patient/" + p);
    if (!AnyOf(any, have)) return false;
  }
  for (const auto& [param, missing] : f.missing)
    if (Present(param, r) == missing) return false;
  return true;
}

// Decodes rows, fetching the texts of agents not seen yet.
class RowReader {
 public:
  explicit RowReader(store::ReadTransaction& txn) : txn_(txn) {}

  Result<std::vector<audit::AuditRecord>> Decode(const std::vector<store::AuditRow>& rows) {
    std::vector<int64_t> unknown;
    for (const auto& r : rows)
      if (!agents_.count(r.agent)) unknown.push_back(r.agent);
    if (!unknown.empty()) {
      KY_ASSIGN_OR_RETURN(auto found, txn_.AuditAgents(unknown));
      for (auto& a : found) agents_.emplace(a.id, std::move(a.text));
    }
    std::vector<audit::AuditRecord> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
      auto it = agents_.find(row.agent);
      if (it == agents_.end())
        return Internal("audit record " + std::to_string(row.seq) + " names an unknown agent");
      KY_ASSIGN_OR_RETURN(audit::AuditRecord r, audit::Decode(it->second, row));
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  store::ReadTransaction& txn_;
  std::unordered_map<int64_t, std::string> agents_;
};

// Whether a resident may see the trail of `patient`: their own, and that of those they are
// guardian of (the residents they reach).
Result<bool> MaySeeTrailOf(AccessPolicy& access, store::ReadTransaction& txn,
                           const std::string& patient) {
  if (patient.empty()) return false;
  return access.CanSee(txn, "Patient", patient, auth::kRead);
}

bool SeesWholeTrail(const FhirRequest& req) {
  return !req.principal || req.principal->role != auth::Role::kResident;
}

// Whether the requester may see record r, and what of it: a resident sees the records that
// name a resident they reach, with the residents they do not reach left out, and with the
// resources and the query only when the record is about nobody else.
Result<bool> MaySeeRecord(AccessPolicy& access, store::ReadTransaction& txn, const FhirRequest& req,
                          audit::AuditRecord* r) {
  if (SeesWholeTrail(req)) return true;
  std::vector<std::string> reached;
  for (const std::string& p : r->patients) {
    KY_ASSIGN_OR_RETURN(bool may, MaySeeTrailOf(access, txn, p));
    if (may) reached.push_back(p);
  }
  if (reached.empty()) return false;
  if (reached.size() < r->patients.size()) {
    r->resources.clear();
    r->query = "(withheld: the request concerned other residents too)";
  }
  r->patients = std::move(reached);
  return true;
}

}  // namespace

const std::set<std::string>& AuditTrailParameters() {
  static const std::set<std::string> kParams = {"_id",     "patient", "agent",   "altid",
                                                "address", "date",    "subtype", "action",
                                                "outcome", "entity",  "type"};
  return kParams;
}

Result<FhirResponse> AuditEventRead(Engine& s, store::ReadTransaction& txn, const FhirRequest& req,
                                    const std::string& id) {
  AccessPolicy access(s, req.principal);
  KY_RETURN_IF_ERROR(access.Allow("AuditEvent", auth::kRead));
  int64_t seq = 0;
  if (!ParseSequence(id, &seq) || seq == 0) return NotFound("AuditEvent/" + id + " is not known");
  store::AuditQuery q;
  q.seq = seq;
  q.limit = 1;
  AuditRowSource source(txn, s.config.audit_archive_dir);
  KY_ASSIGN_OR_RETURN(auto rows, source.Rows(q));
  if (rows.empty()) return NotFound("AuditEvent/" + id + " is not known");
  RowReader reader(txn);
  KY_ASSIGN_OR_RETURN(auto records, reader.Decode(rows));
  KY_ASSIGN_OR_RETURN(bool may, MaySeeRecord(access, txn, req, &records[0]));
  if (!may) return NotFound("AuditEvent/" + id + " is not known");
  FhirResponse r;
  r.body = json::Write(audit::ToAuditEvent(records[0], seq));
  r.SetHeader("ETag", ETag(1));
  return r;
}

Result<FhirResponse> AuditEventSearch(Engine& s, store::ReadTransaction& txn,
                                      const FhirRequest& req, const search::QueryParams& params,
                                      const std::string& compartment) {
  AccessPolicy access(s, req.principal);
  KY_ASSIGN_OR_RETURN(search::SearchRequest sr, search::ParseSearchRequest(params));
  KY_RETURN_IF_ERROR(access.Allow("AuditEvent", auth::kSearch));
  if (!sr.includes.empty() || !sr.revincludes.empty())
    return Invalid("_include and _revinclude are not supported on the audit trail", "_include");
  std::vector<std::string> ignored;
  KY_ASSIGN_OR_RETURN(AuditFilter f, ParseFilter(txn, params, PreferStrict(req), &ignored));
  if (!compartment.empty()) {
    if (!f.query.patient.empty() && f.query.patient != compartment) f.query.match_nothing = true;
    f.query.patient = compartment;
  }
  if (!SeesWholeTrail(req)) {
    // A resident reads the trail of a resident they reach: themselves unless they name another.
    if (f.query.patient.empty()) f.query.patient = req.principal->patient;
    KY_ASSIGN_OR_RETURN(bool may, MaySeeTrailOf(access, txn, f.query.patient));
    if (!may) f.query.match_nothing = true;  // nothing to show, as for a resident unknown
  }
  for (const search::SortRequest& key : sr.sort) {
    if (key.param != "date" && key.param != "_lastUpdated" && key.param != "_id")
      return Invalid("_sort: the audit trail is sorted by date (its sequence) only", "_sort");
    f.query.descending = key.descending;
  }
  int64_t count = std::min(sr.count.value_or(s.config.default_count), s.config.max_count);
  if (sr.summary == "count") count = 0;
  // The page starts after the record the previous page ended with.
  if (!sr.cursor.empty() && (!ParseSequence(sr.cursor, &f.query.after) || f.query.after == 0))
    return Invalid("_cursor must be a sequence number", "_cursor");
  bool counting = sr.total != "none" && (sr.cursor.empty() || sr.total == "accurate");

  RowReader reader(txn);
  std::vector<std::pair<int64_t, audit::AuditRecord>> page;
  int64_t matched = 0;
  bool more = false, exhausted = false;
  store::AuditQuery q = f.query;
  q.limit = kChunk;
  AuditRowSource source(txn, s.config.audit_archive_dir);
  while (!exhausted) {
    KY_ASSIGN_OR_RETURN(auto rows, source.Rows(q));
    exhausted = static_cast<int64_t>(rows.size()) < q.limit;
    if (rows.empty()) break;
    q.after = rows.back().seq;
    KY_ASSIGN_OR_RETURN(auto records, reader.Decode(rows));
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!Matches(f, rows[i].seq, records[i])) continue;
      KY_ASSIGN_OR_RETURN(bool may, MaySeeRecord(access, txn, req, &records[i]));
      if (!may) continue;
      ++matched;
      if (static_cast<int64_t>(page.size()) < count)
        page.emplace_back(rows[i].seq, std::move(records[i]));
      else
        more = true;
    }
    if (more && (!counting || matched > kMaxCounted)) break;
  }
  bool total_known = counting && exhausted;

  std::string base_path = req.base_url + "/" + req.path;
  if (EndsWith(base_path, "/_search")) base_path.resize(base_path.size() - 8);
  std::string query;
  for (const auto& [k, v] : params) {
    if (k == "_cursor" || std::find(ignored.begin(), ignored.end(), k) != ignored.end()) continue;
    query += (query.empty() ? "" : "&") + PercentEncode(k) + "=" + PercentEncode(v);
  }
  json::Value bundle = json::Value::Object();
  bundle.Set("resourceType", json::Value::String("Bundle"));
  bundle.Set("type", json::Value::String("searchset"));
  if (total_known) bundle.Set("total", json::Value::Integer(matched));
  json::Value links = json::Value::Array();
  auto add_link = [&](const char* rel, const std::string& url) {
    json::Value l = json::Value::Object();
    l.Set("relation", json::Value::String(rel));
    l.Set("url", json::Value::String(url));
    links.Push(std::move(l));
  };
  std::string self_query = query;
  if (!sr.cursor.empty())
    self_query +=
        (self_query.empty() ? "" : "&") + std::string("_cursor=") + std::to_string(f.query.after);
  add_link("self", base_path + (self_query.empty() ? "" : "?" + self_query));
  if (more && !page.empty())
    add_link("next", base_path + "?" + query + (query.empty() ? "" : "&") +
                         "_cursor=" + std::to_string(page.back().first));
  bundle.Set("link", std::move(links));
  json::Value entries = json::Value::Array();
  for (auto& [seq, record] : page) {
    json::Value e = json::Value::Object();
    e.Set("fullUrl", json::Value::String(req.base_url + "/AuditEvent/" + std::to_string(seq)));
    e.Set("resource", audit::ToAuditEvent(record, seq));
    json::Value mode = json::Value::Object();
    mode.Set("mode", json::Value::String("match"));
    e.Set("search", std::move(mode));
    entries.Push(std::move(e));
  }
  std::vector<std::string> notes;
  if (!ignored.empty()) {
    std::string names;
    for (const auto& n : ignored) names += (names.empty() ? "" : ", ") + n;
    notes.push_back("Search parameters ignored: " + names);
  }
  if (counting && !total_known && sr.summary != "count")
    notes.push_back("More than " + std::to_string(kMaxCounted) +
                    " records match: the total is not counted; follow the next links, or narrow "
                    "the search by patient, agent or date");
  if (counting && !total_known && sr.summary == "count")
    notes.push_back("More than " + std::to_string(kMaxCounted) +
                    " records match; narrow the search by patient, agent or date to count them");
  for (const std::string& note : notes) entries.Push(SearchWarningEntry("informational", note));
  if (!entries.items().empty()) bundle.Set("entry", std::move(entries));
  FhirResponse r;
  r.body = json::Write(bundle);
  return r;
}

}  // namespace kangyun::api
