// The person registry: the registry's search parameters (blocking keys, pinyin),
// the rules on person identifiers every write passes, and Patient/$match
// (http://hl7.org/fhir/R4/patient-operation-match.html). The matching itself is mpi/.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "api/access_policy.h"
#include "api/engine.h"
#include "api/outcome.h"
#include "base/strings.h"
#include "json/json.h"
#include "mpi/blocking.h"
#include "mpi/identity_rules.h"
#include "mpi/patient_links.h"
#include "mpi/person.h"
#include "mpi/pinyin.h"
#include "services/person_registry/person_registry.h"

namespace kangyun::services::person_registry {
using namespace api;
namespace {

constexpr const char* kMatchGradeExtension = "http://hl7.org/fhir/StructureDefinition/match-grade";
// Candidates a $match compares at most: blocking keeps them to tens even at millions of
// residents; a key shared by thousands (a shared phone of an institution) would otherwise make a
// query slow.
constexpr int64_t kMaxCandidates = 1000;
constexpr int kDefaultMatchCount = 10;

// Today in China Standard Time (UTC+8): a baby born at 01:00 in Chengdu is born "today" there
// while UTC is still on yesterday.
std::string TodayInChina(int64_t now_micros) {
  using namespace std::chrono;
  auto day = floor<days>(sys_time<microseconds>(microseconds(now_micros)) + hours(8));
  year_month_day ymd(day);
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return out;
}

// A token value with the characters search syntax gives meaning to escaped.
std::string EscapeToken(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == ',' || c == '|' || c == '$' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// The pinyin forms a name is found by with `phonetic`: the whole name and the given name alone
// ("wangming", "ming"), from characters or from a Latin spelling.
std::vector<std::string> PhoneticValues(const json::Value& resource) {
  std::vector<std::string> out;
  const json::Value* names = resource.Find("name");
  if (!names) return out;
  auto add = [&](std::string v) {
    if (!v.empty() && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  };
  auto one = [&](const json::Value& name) {
    std::string family(name.GetString("family")), given;
    if (const json::Value* g = name.Find("given"))
      for (const json::Value& part : g->items())
        if (part.is_string()) given += part.str() + " ";
    if (family.empty() && given.empty()) {
      add(mpi::PinyinKey(name.GetString("text"), true));
      return;
    }
    add(mpi::PinyinKey(family + " " + given, true));
    add(mpi::PinyinKey(given, false));
  };
  if (names->is_object()) one(*names);  // Practitioner.name etc. are arrays, but be lenient
  for (const json::Value& name : names->items())
    if (name.is_object()) one(name);
  return out;
}

// The pinyin of the names' parts a name parameter covers (family, given or the whole name),
// for names written in characters: "欧阳明" is also found as "ouyang", "ming", "ou yang ming",
// "ouyangming" and "ouyang ming" (family and given each as one word, as people type them); and
// the whole name as one word ("王明", which FHIR's name search finds only by its parts).
std::vector<std::string> NamePinyin(const json::Value& resource, const std::string& part) {
  std::vector<std::string> out;
  const json::Value* names = resource.Find("name");
  if (!names) return out;
  auto keep = [&](const std::string& v) {
    if (!v.empty() && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  };
  // Adds the spaced and joined pinyin of text; returns the joined form ("" without Han).
  auto add = [&](std::string_view text, bool surname_first) -> std::string {
    if (!mpi::HasHan(text)) return "";
    std::vector<std::string> syllables = mpi::PinyinSyllables(text, surname_first);
    std::string spaced, joined;
    for (const std::string& syl : syllables) {
      spaced += (spaced.empty() ? "" : " ") + syl;
      joined += syl;
    }
    keep(spaced);
    keep(joined);
    return joined;
  };
  for (const json::Value& name : names->items()) {
    std::string family(name.GetString("family")), given;
    if (const json::Value* g = name.Find("given"))
      for (const json::Value& x : g->items())
        if (x.is_string()) given += x.str();
    if (part == "family") add(family, true);
    if (part == "given") add(given, false);
    if (part == "name") {
      std::string whole =
          family.empty() && given.empty() ? std::string(name.GetString("text")) : family + given;
      add(whole, true);
      // The given name alone, and family and given as two words.
      std::string family_pinyin = add(family, true), given_pinyin = add(given, false);
      if (!family_pinyin.empty() && !given_pinyin.empty()) keep(family_pinyin + " " + given_pinyin);
      // Chinese names are written without a space between family and given name: 王亮.
      if (mpi::HasHan(whole)) keep(whole);
    }
  }
  return out;
}

Result<fhir::SearchParamPtr> ComputedParameter(fhir::SearchParameterRegistry& params,
                                               const char* json_text) {
  KY_ASSIGN_OR_RETURN(json::Value resource, json::Parse(json_text));
  KY_ASSIGN_OR_RETURN(fhir::SearchParamPtr parsed, params.Parse(resource));
  return parsed;
}

void RegisterPinyinNameParameters(fhir::SearchParameterRegistry& params) {
  // Names in characters are found by their pinyin too (PDQm by pinyin): family and given on
  // Patient and Practitioner, name on Patient and Practitioner.
  for (auto [type, code] : {std::pair{"Patient", "family"}, std::pair{"Patient", "given"},
                            std::pair{"Patient", "name"}, std::pair{"Practitioner", "name"}}) {
    fhir::SearchParamPtr existing = params.Find(type, code);
    if (!existing || existing->computed_values) continue;
    auto def = std::make_shared<fhir::SearchParamDef>(*existing);
    std::string part = code;
    def->computed_values = [part](const json::Value& r) { return NamePinyin(r, part); };
    def->computed_adds = true;
    params.Add(def);
  }
}

}  // namespace

void RegisterPersonSearchParameters(fhir::SearchParameterRegistry& params) {
  // The registry's blocking keys (mpi/blocking.h), for $match to find candidates by index.
  auto match_key = ComputedParameter(
      params,
      R"({"resourceType":"SearchParameter","url":"https://kangyun.cn/fhir/SearchParameter/Patient-match-key",)"
      R"("name":"match-key","status":"active","code":"match-key","base":["Patient"],"type":"token",)"
      R"("expression":"Patient.identifier | Patient.name | Patient.birthDate | Patient.telecom | Patient.address",)"
      R"("description":"The person registry's blocking keys, computed: see docs/registries.md"})");
  if (match_key.ok()) {
    auto def = std::make_shared<fhir::SearchParamDef>(**match_key);
    def->computed_values = [](const json::Value& patient) {
      return mpi::BlockingKeys(mpi::PersonFromPatient(patient));
    };
    params.Add(def);
  }
  // Phonetic search as pinyin: 王明, 王铭 and "Wang Ming" all sound "wangming".
  auto phonetic = ComputedParameter(
      params,
      R"({"resourceType":"SearchParameter","url":"https://kangyun.cn/fhir/SearchParameter/individual-phonetic",)"
      R"("name":"phonetic","status":"active","code":"phonetic",)"
      R"("base":["Patient","Person","Practitioner","RelatedPerson"],"type":"string",)"
      R"("expression":"Patient.name | Person.name | Practitioner.name | RelatedPerson.name",)"
      R"("description":"A name or the start of one, by its toneless pinyin: characters, homophones and Latin spellings alike"})");
  if (phonetic.ok()) {
    auto def = std::make_shared<fhir::SearchParamDef>(**phonetic);
    def->computed_values = PhoneticValues;
    def->query_form = [](std::string_view value) { return mpi::PinyinKey(value, true); };
    params.Add(def);
  }
  RegisterPinyinNameParameters(params);
}

Status CheckRegistryRules(const Engine& s, const json::Value& resource) {
  return mpi::CheckPersonIdentifiers(resource, TodayInChina(s.clock.NowMicros()));
}

namespace {

struct MatchRequest {
  json::Value patient;
  bool only_certain = false;
  int count = kDefaultMatchCount;
};

Result<MatchRequest> ParseMatchRequest(const Engine& s, const std::string& body) {
  if (body.empty()) return Invalid("$match needs a Parameters resource with a Patient in its body");
  KY_ASSIGN_OR_RETURN(json::Value params, json::Parse(body));
  if (!params.is_object() || params.GetString("resourceType") != "Parameters")
    return Invalid("$match takes a Parameters resource", "Parameters");
  KY_RETURN_IF_ERROR(s.validator.Validate(params));
  MatchRequest out;
  bool have_patient = false;
  if (const json::Value* list = params.Find("parameter")) {
    for (size_t i = 0; i < list->items().size(); ++i) {
      const json::Value& p = list->items()[i];
      std::string where = "Parameters.parameter[" + std::to_string(i) + "]";
      std::string_view name = p.GetString("name");
      if (name == "resource") {
        const json::Value* r = p.Find("resource");
        if (!r || r->GetString("resourceType") != "Patient")
          return Invalid("The resource parameter must hold a Patient", where + ".resource");
        out.patient = *r;
        have_patient = true;
      } else if (name == "onlyCertainMatches") {
        const json::Value* v = p.Find("valueBoolean");
        if (!v) return Invalid("onlyCertainMatches takes valueBoolean", where);
        out.only_certain = v->as_bool();
      } else if (name == "count") {
        const json::Value* v = p.Find("valueInteger");
        long long n = v ? std::atoll(v->str().c_str()) : 0;
        if (!v || n < 1 || n > 1000)
          return Invalid("count takes a valueInteger from 1 to 1000", where + ".valueInteger");
        out.count = static_cast<int>(n);
      } else {
        return Invalid("Unknown parameter '" + std::string(name) + "' of $match", where + ".name");
      }
    }
  }
  if (!have_patient)
    return Invalid("$match needs a parameter named resource holding a Patient", "Parameters");
  return out;
}

json::Value Number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", x);
  return json::Value::Number(buf);
}

}  // namespace

Result<std::vector<MatchCandidate>> MatchCandidates(Engine& s, Matching& m,
                                                    store::ReadTransaction& txn,
                                                    const FhirRequest* as,
                                                    const mpi::Person& wanted) {
  std::vector<std::string> keys = mpi::BlockingKeys(wanted);
  std::vector<MatchCandidate> out;
  if (keys.empty()) return out;
  std::string joined;
  for (const std::string& k : keys) joined += (joined.empty() ? "" : ",") + EscapeToken(k);
  search::QueryParams criteria = {{"match-key", joined}};
  // Only residents the requester may see are candidates: a match must not disclose anyone.
  KY_ASSIGN_OR_RETURN(std::vector<store::StoredResource> found,
                      as ? FindByCriteria(s, txn, *as, "Patient", criteria, kMaxCandidates)
                         : FindForRegistry(s, txn, "Patient", criteria, kMaxCandidates));
  // The prior that a record is the person asked for falls with the registry's size: counted
  // once a minute (a count of a million rows costs more than a match).
  int64_t now = s.clock.NowMicros();
  int64_t population = m.population.load();
  if (population < 0 || now - m.counted_at.load() > 60'000'000) {
    store::Query all_patients;
    all_patients.types = {"Patient"};
    KY_ASSIGN_OR_RETURN(population, txn.Count(all_patients));
    m.population = population;
    m.counted_at = now;
  }
  for (store::StoredResource& c : found) {
    if (!wanted.id.empty() && c.id == wanted.id) continue;
    KY_ASSIGN_OR_RETURN(json::Value patient, json::Parse(c.body));
    mpi::Comparison comparison = mpi::Compare(wanted, mpi::PersonFromPatient(patient));
    double p = m.model.Probability(comparison, population);
    mpi::Grade grade = mpi::GradeOf(m.model, comparison, p);
    if (grade == mpi::Grade::kCertainlyNot) continue;
    out.push_back({std::move(c), std::move(patient), p, grade});
  }
  std::sort(out.begin(), out.end(), [](const MatchCandidate& a, const MatchCandidate& b) {
    if (a.grade != b.grade) return a.grade < b.grade;
    if (a.probability != b.probability) return a.probability > b.probability;
    return a.stored.id < b.stored.id;
  });
  return out;
}

Result<FhirResponse> Match(Engine& s, Matching& matching, store::ReadTransaction& txn,
                           const FhirRequest& req) {
  KY_ASSIGN_OR_RETURN(MatchRequest m, ParseMatchRequest(s, req.body));
  mpi::Person wanted = mpi::PersonFromPatient(m.patient);
  if (mpi::BlockingKeys(wanted).empty())
    return Unprocessable(
        "The Patient has nothing to match on: give an identifier, a phone, or a name with a "
        "birth date",
        "Parameters.parameter.resource");
  KY_ASSIGN_OR_RETURN(std::vector<MatchCandidate> scored,
                      MatchCandidates(s, matching, txn, &req, wanted));
  if (m.only_certain)
    std::erase_if(scored, [](const MatchCandidate& c) { return c.grade != mpi::Grade::kCertain; });
  json::Value bundle = json::Value::Object();
  bundle.Set("resourceType", json::Value::String("Bundle"));
  bundle.Set("type", json::Value::String("searchset"));
  json::Value entries = json::Value::Array();
  // With onlyCertainMatches, more than one certain match is no answer: the client must not
  // pick one of several people.
  if (m.only_certain && scored.size() > 1) {
    // Several records of one person (linked to one master) are one answer: the master.
    std::set<std::string> masters;
    for (const MatchCandidate& c : scored) {
      std::string master = mpi::MasterOf(c.patient);
      masters.insert(master.empty() ? c.stored.id : master);
    }
    if (masters.size() == 1) {
      auto master = std::find_if(scored.begin(), scored.end(), [&](const MatchCandidate& c) {
        return c.stored.id == *masters.begin();
      });
      if (master != scored.end()) std::rotate(scored.begin(), master, master + 1);
      scored.resize(1);
    }
  }
  bool ambiguous = m.only_certain && scored.size() > 1;
  if (ambiguous) {
    json::Value outcome = json::Value::Raw(OperationOutcomeJson(
        "warning", "multiple-matches",
        std::to_string(scored.size()) +
            " records match with certainty; with onlyCertainMatches none is returned (an "
            "operator should link them)",
        ""));
    json::Value entry = json::Value::Object();
    entry.Set("resource", std::move(outcome));
    json::Value search = json::Value::Object();
    search.Set("mode", json::Value::String("outcome"));
    entry.Set("search", std::move(search));
    entries.Push(std::move(entry));
    scored.clear();
  }
  if (scored.size() > static_cast<size_t>(m.count)) scored.resize(m.count);
  bundle.Set("total", json::Value::Integer(static_cast<long long>(scored.size())));
  for (const MatchCandidate& sc : scored) {
    json::Value entry = json::Value::Object();
    entry.Set("fullUrl", json::Value::String(req.base_url + "/Patient/" + sc.stored.id));
    entry.Set("resource", json::Value::Raw(sc.stored.body));
    json::Value search = json::Value::Object();
    search.Set("mode", json::Value::String("match"));
    json::Value grade = json::Value::Object();
    grade.Set("url", json::Value::String(kMatchGradeExtension));
    grade.Set("valueCode", json::Value::String(mpi::GradeCode(sc.grade)));
    json::Value extensions = json::Value::Array();
    extensions.Push(std::move(grade));
    search.Set("extension", std::move(extensions));
    search.Set("score", Number(sc.probability));
    entry.Set("search", std::move(search));
    entries.Push(std::move(entry));
  }
  if (!entries.items().empty()) bundle.Set("entry", std::move(entries));
  FhirResponse resp;
  resp.body = json::Write(bundle);
  return resp;
}

namespace {

Status PixNotFound(std::string message) {
  return {StatusCode::kNotFound, std::move(message), "sourceIdentifier"};
}

json::Value PixParameter(const char* name, const char* key, json::Value value) {
  json::Value p = json::Value::Object();
  p.Set("name", json::Value::String(name));
  p.Set(key, std::move(value));
  return p;
}

}  // namespace

Result<FhirResponse> CrossReferences(Engine& s, store::ReadTransaction& txn,
                                     const FhirRequest& req) {
  std::string source;
  std::vector<std::string> targets;
  for (const auto& [k, v] : req.query) {
    if (k == "sourceIdentifier") {
      if (!source.empty()) return Invalid("sourceIdentifier is given once", "sourceIdentifier");
      source = v;
    } else if (k == "targetSystem") {
      for (const std::string& t : Split(v, ','))
        if (!t.empty()) targets.push_back(t);
    } else if (k != "_format") {
      return Invalid("Unknown parameter '" + k + "' of $ihe-pix", k);
    }
  }
  size_t bar = source.find('|');
  if (bar == std::string::npos || bar == 0 || bar + 1 == source.size())
    return Invalid("sourceIdentifier must be system|value", "sourceIdentifier");
  std::string system = source.substr(0, bar);
  // A system no Patient here has an identifier in is an unknown assigning authority (PIXm
  // answers that with 400 for the source and 403 for a target).
  auto known = [&](const std::string& sys) -> Result<bool> {
    KY_ASSIGN_OR_RETURN(auto any, FindByCriteria(s, txn, req, "Patient",
                                                 {{"identifier", EscapeToken(sys) + "|"}}, 1));
    return !any.empty();
  };
  KY_ASSIGN_OR_RETURN(bool source_known, known(system));
  if (!source_known)
    return Invalid("sourceIdentifier Assigning Authority not found: " + system, "sourceIdentifier");
  for (const std::string& t : targets) {
    KY_ASSIGN_OR_RETURN(bool target_known, known(t));
    if (!target_known) return Status(StatusCode::kForbidden, "targetSystem not found: " + t);
  }
  std::string value = source.substr(bar + 1);
  KY_ASSIGN_OR_RETURN(
      auto found,
      FindByCriteria(s, txn, req, "Patient",
                     {{"identifier", EscapeToken(system) + "|" + EscapeToken(value)}}, 10));
  if (found.empty()) return PixNotFound("sourceIdentifier Patient Identifier not found");
  // Every record of the person: each found record's master and the master's records, as far as
  // the requester may see them.
  AccessPolicy access(s, req.principal);
  std::vector<std::string> ids;
  std::vector<json::Value> records;
  auto add = [&](const std::string& id) -> Status {
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) return Status::Ok();
    ids.push_back(id);
    KY_ASSIGN_OR_RETURN(auto current, txn.ReadCurrent("Patient", id));
    if (!current || current->deleted) return Status::Ok();
    KY_ASSIGN_OR_RETURN(bool visible, access.CanSee(txn, "Patient", id, auth::kRead));
    if (!visible) return Status::Ok();
    KY_ASSIGN_OR_RETURN(json::Value patient, json::Parse(current->body));
    records.push_back(std::move(patient));
    return Status::Ok();
  };
  for (const store::StoredResource& f : found) {
    KY_ASSIGN_OR_RETURN(json::Value patient, json::Parse(f.body));
    std::string master = mpi::MasterOf(patient);
    if (master.empty()) master = f.id;
    KY_RETURN_IF_ERROR(add(master));
    KY_RETURN_IF_ERROR(add(f.id));
    KY_ASSIGN_OR_RETURN(auto m, txn.ReadCurrent("Patient", master));
    if (!m || m->deleted) continue;
    KY_ASSIGN_OR_RETURN(json::Value master_body, json::Parse(m->body));
    for (const std::string& id : mpi::RecordsOf(master_body)) KY_RETURN_IF_ERROR(add(id));
  }
  json::Value list = json::Value::Array();
  std::vector<std::string> seen;
  for (const json::Value& patient : records) {
    bool listed = false;
    const json::Value* identifiers = patient.Find("identifier");
    for (const json::Value& ident :
         identifiers ? identifiers->items() : std::vector<json::Value>{}) {
      std::string sys(ident.GetString("system")), val(ident.GetString("value"));
      if (sys.empty() || val.empty()) continue;
      if (sys == system && val == value) continue;  // what was asked
      if (!targets.empty() && std::find(targets.begin(), targets.end(), sys) == targets.end())
        continue;
      if (!listed) {
        json::Value ref = json::Value::Object();
        ref.Set("reference",
                json::Value::String("Patient/" + std::string(patient.GetString("id"))));
        list.Push(PixParameter("targetId", "valueReference", std::move(ref)));
        listed = true;
      }
      if (std::find(seen.begin(), seen.end(), sys + "|" + val) != seen.end()) continue;
      seen.push_back(sys + "|" + val);
      json::Value id = json::Value::Object();
      id.Set("system", json::Value::String(sys));
      id.Set("value", json::Value::String(val));
      if (const json::Value* use = ident.Find("use")) id.Set("use", *use);
      list.Push(PixParameter("targetIdentifier", "valueIdentifier", std::move(id)));
    }
    // Without a target system, every record of the person is named, with identifiers or not.
    if (!listed && targets.empty()) {
      json::Value ref = json::Value::Object();
      ref.Set("reference", json::Value::String("Patient/" + std::string(patient.GetString("id"))));
      list.Push(PixParameter("targetId", "valueReference", std::move(ref)));
    }
  }
  json::Value out = json::Value::Object();
  out.Set("resourceType", json::Value::String("Parameters"));
  if (!list.items().empty()) out.Set("parameter", std::move(list));
  FhirResponse resp;
  resp.body = json::Write(out);
  return resp;
}

}  // namespace kangyun::services::person_registry
