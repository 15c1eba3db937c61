#include "audit/audit_codec.h"

#include <cstring>

#include "auth/crypto.h"
#include "json/json.h"

namespace kangyun::audit {
namespace {

void Field(const char* key, const std::string& value, std::string* out) {
  if (value.empty()) return;
  if (out->size() > 1) out->push_back(',');
  json::WriteString(key, out);
  out->push_back(':');
  json::WriteString(value, out);
}

void List(const char* key, const std::vector<std::string>& values, std::string* out) {
  if (values.empty()) return;
  if (out->size() > 1) out->push_back(',');
  json::WriteString(key, out);
  out->append(":[");
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out->push_back(',');
    json::WriteString(values[i], out);
  }
  out->push_back(']');
}

std::vector<std::string> Strings(const json::Value* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const json::Value& item : v->items()) out.emplace_back(item.str());
  return out;
}

// A read's query is most often "GET " and its one resource: then it is not stored twice.
bool QueryIsTheResource(const AuditRecord& r) {
  return r.resources.size() == 1 && r.query == "GET " + r.resources[0];
}

}  // namespace

store::AuditAgent AgentOf(const AuditRecord& r) {
  store::AuditAgent a;
  a.reference = r.who_reference;
  a.subject = r.who_subject;
  a.address = r.address;
  std::string& t = a.text;
  t = "{";
  Field("ref", r.who_reference, &t);
  Field("sub", r.who_subject, &t);
  Field("dis", r.who_display, &t);
  Field("role", r.role, &t);
  Field("org", r.organization, &t);
  Field("cli", r.client_id, &t);
  Field("adr", r.address, &t);
  t += "}";
  return a;
}

int64_t AgentKey(const std::string& agent_text) {
  std::string digest = auth::Sha256(agent_text);
  uint64_t key = 0;
  std::memcpy(&key, digest.data(), sizeof key);
  return static_cast<int64_t>(key >> 1) | 1;  // positive and never 0
}

std::string BodyOf(const AuditRecord& r) {
  std::string t = "{";
  Field("s", r.subtype, &t);
  Field("sys", r.subtype_system, &t);
  if (r.authentication) Field("auth", "1", &t);
  Field("a", std::string(1, r.action), &t);
  if (r.outcome != 0) Field("o", std::to_string(r.outcome), &t);
  Field("ot", r.outcome_text, &t);
  if (r.purpose != "TREAT") Field("pu", r.purpose, &t);
  Field("bg", r.break_glass_reason, &t);
  List("p", r.patients, &t);
  List("r", r.resources, &t);
  if (!QueryIsTheResource(r)) Field("q", r.query, &t);
  t += "}";
  return t;
}

Result<AuditRecord> Decode(const std::string& agent_text, const store::AuditRow& row) {
  KY_ASSIGN_OR_RETURN(json::Value agent, json::Parse(agent_text));
  KY_ASSIGN_OR_RETURN(json::Value body, json::Parse(row.body));
  AuditRecord r;
  r.who_reference = agent.GetString("ref");
  r.who_subject = agent.GetString("sub");
  r.who_display = agent.GetString("dis");
  r.role = agent.GetString("role");
  r.organization = agent.GetString("org");
  r.client_id = agent.GetString("cli");
  r.address = agent.GetString("adr");
  r.recorded = row.recorded;
  r.subtype = body.GetString("s");
  r.subtype_system = body.GetString("sys");
  r.authentication = !body.GetString("auth").empty();
  std::string_view action = body.GetString("a");
  r.action = action.empty() ? 'E' : action[0];
  r.outcome = std::atoi(std::string(body.GetString("o")).c_str());
  r.outcome_text = body.GetString("ot");
  std::string_view purpose = body.GetString("pu");
  if (!purpose.empty()) r.purpose = purpose;
  r.break_glass_reason = body.GetString("bg");
  r.patients = Strings(body.Find("p"));
  r.resources = Strings(body.Find("r"));
  if (const json::Value* q = body.Find("q"))
    r.query = q->str();
  else if (r.resources.size() == 1)
    r.query = "GET " + r.resources[0];
  return r;
}

std::string SealHash(const std::string& previous, const std::vector<store::AuditRow>& rows,
                     const std::vector<const std::string*>& agent_texts) {
  std::string text = previous;
  for (size_t i = 0; i < rows.size(); ++i) {
    const store::AuditRow& r = rows[i];
    text += '\n';
    text += std::to_string(r.seq);
    text += '\t';
    text += std::to_string(r.recorded);
    text += '\t';
    text += *agent_texts[i];
    text += '\t';
    text += r.body;
  }
  return auth::Sha256Hex(text);
}

std::string SealHash(const std::string& previous, const std::vector<store::AuditRow>& rows,
                     const std::unordered_map<int64_t, std::string>& agents) {
  static const std::string kMissingAgent = "(missing agent)";
  std::vector<const std::string*> texts;
  for (const store::AuditRow& r : rows) {
    auto it = agents.find(r.agent);
    texts.push_back(it == agents.end() ? &kMissingAgent : &it->second);
  }
  return SealHash(previous, rows, texts);
}

}  // namespace kangyun::audit
