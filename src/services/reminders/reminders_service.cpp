#include "services/reminders/reminders_service.h"

#include <optional>

#include "api/engine.h"
#include "base/log.h"
#include "fhir/datetime.h"
#include "json/json.h"

namespace kangyun::services {
namespace {

using json::Value;

constexpr const char* kKind = "reminder";
constexpr const char* kNotificationSystem = "https://kangyun.cn/fhir/CodeSystem/notification";

// When a CommunicationRequest is to be sent, and until when it is worth sending; nullopt when
// it is not a reminder the service sends (not active, no time, no resident to tell).
struct Timing {
  int64_t send_at = 0;
  std::optional<int64_t> not_after;
};

std::optional<int64_t> Instant(std::string_view text, bool high) {
  auto parsed = fhir::ParseDateTime(text);
  if (!parsed) return std::nullopt;
  return high ? parsed->HighMicros() : parsed->LowMicros();
}

// The Patients among the recipients, by id.
std::vector<std::string> Residents(const Value& request) {
  std::vector<std::string> ids;
  if (const Value* recipients = request.Find("recipient"))
    for (const Value& r : recipients->items())
      if (r.GetString("reference").starts_with("Patient/"))
        ids.emplace_back(r.GetString("reference").substr(8));
  return ids;
}

std::optional<Timing> TimingOf(const Value& request) {
  if (request.GetString("status") != "active" || Residents(request).empty()) return std::nullopt;
  Timing t;
  if (auto at = Instant(request.GetString("occurrenceDateTime"), false)) {
    t.send_at = *at;
    return t;
  }
  const Value* period = request.Find("occurrencePeriod");
  if (!period) return std::nullopt;
  auto start = Instant(period->GetString("start"), false);
  if (!start) return std::nullopt;
  t.send_at = *start;
  t.not_after = Instant(period->GetString("end"), true);
  return t;
}

Value Reference(std::string reference) {
  Value r = Value::Object();
  r.Set("reference", Value::String(std::move(reference)));
  return r;
}

Value Category() {
  Value coding = Value::Object();
  coding.Set("system", Value::String(kNotificationSystem));
  coding.Set("code", Value::String("reminder"));
  Value codings = Value::Array();
  codings.Push(std::move(coding));
  Value category = Value::Object();
  category.Set("coding", std::move(codings));
  category.Set("text", Value::String("提醒 Reminder"));
  Value categories = Value::Array();
  categories.Push(std::move(category));
  return categories;
}

// The Communication that carries a reminder to its recipients.
Value CommunicationFor(const Value& request, const std::string& request_id, int64_t now) {
  Value c = Value::Object();
  c.Set("resourceType", Value::String("Communication"));
  Value based_on = Value::Array();
  based_on.Push(Reference("CommunicationRequest/" + request_id));
  c.Set("basedOn", std::move(based_on));
  c.Set("status", Value::String("completed"));
  c.Set("category", Category());
  for (const char* field : {"priority", "subject", "recipient", "sender", "about"})
    if (const Value* v = request.Find(field)) c.Set(field, *v);
  c.Set("sent", Value::String(FormatInstant(now)));
  if (const Value* payload = request.Find("payload")) {
    c.Set("payload", *payload);
  } else {
    Value p = Value::Object();
    p.Set("contentString",
          Value::String("您有一项提醒，请查看您的健康档案 You have a reminder: see your record"));
    Value payloads = Value::Array();
    payloads.Push(std::move(p));
    c.Set("payload", std::move(payloads));
  }
  return c;
}

// Sends the reminder a job is for, or revokes it when it is past its end; nothing when the
// request changed since the job was queued.
Status Fire(api::Engine& engine, api::JobContext& ctx) {
  std::string id(ctx.params().GetString("request"));
  const Value* version = ctx.params().Find("version");
  if (id.empty() || !version) return Invalid("a reminder job names no request");
  KY_ASSIGN_OR_RETURN(auto txn, api::BeginWrite(engine));
  KY_ASSIGN_OR_RETURN(auto current, txn->ReadCurrent("CommunicationRequest", id));
  if (!current || current->deleted || std::to_string(current->version) != version->str())
    return Status::Ok();  // changed or removed since: a newer version has its own job
  KY_ASSIGN_OR_RETURN(Value request, json::Parse(current->body));
  auto timing = TimingOf(request);
  if (!timing) return Status::Ok();
  int64_t now = engine.clock.NowMicros();
  std::vector<std::string> residents = Residents(request);
  std::string what;
  if (timing->not_after && now > *timing->not_after) {
    request.Set("status", Value::String("revoked"));
    Value reason = Value::Object();
    reason.Set("text", Value::String("未能按时发送：平台在提醒时间内不可用 Not sent: the platform "
                                     "was down from its time until its period ended (" +
                                     FormatInstant(*timing->not_after) + ")"));
    request.Set("statusReason", std::move(reason));
    what = "revoked";
  } else {
    Value communication = CommunicationFor(request, id, now);
    std::string communication_id = engine.ids.NewId();
    KY_RETURN_IF_ERROR(api::WriteVersion(engine, *txn, std::move(communication), communication_id,
                                         std::nullopt, "POST", /*by_registry=*/true)
                           .status());
    request.Set("status", Value::String("completed"));
    what = "Communication/" + communication_id;
  }
  KY_RETURN_IF_ERROR(api::WriteVersion(engine, *txn, std::move(request), id, current, "PUT",
                                       /*by_registry=*/true)
                         .status());
  KY_RETURN_IF_ERROR(txn->Commit());
  if (engine.audit) {
    // The platform acted on the residents' records by itself: on record like any request.
    audit::AuditRecord record;
    record.subtype = what == "revoked" ? "update" : "create";
    record.action = what == "revoked" ? 'U' : 'C';
    record.who_subject = "system/reminders";
    record.who_display = "提醒服务 Reminders";
    record.patients = residents;
    record.resources = {"CommunicationRequest/" + id};
    if (what != "revoked") record.resources.push_back(what);
    (void)engine.audit->Record(std::move(record));
  }
  Log(LogLevel::kInfo, "reminder CommunicationRequest/" + id + ": " + what);
  return Status::Ok();
}

}  // namespace

void RemindersService::Register(api::ServiceRegistry& registry) {
  api::Engine& engine = registry.engine();
  api::JobKind kind;
  kind.kind = kKind;
  kind.run = [&engine](api::JobContext& ctx) { return Fire(engine, ctx); };
  registry.AddJobKind(std::move(kind));

  api::WriteHook hook;
  hook.name = "reminders";
  hook.types = {"CommunicationRequest"};
  // A period that ends before it starts (a reminder that could never be sent) is refused by
  // R4's invariant per-1, as every Period is (fhir/invariants.h).
  // Each version that is a reminder queues its job in the same transaction.
  hook.before_write = [](api::WriteCall& w, Value* request) -> Result<api::AfterWrite> {
    auto timing = TimingOf(*request);
    if (!timing) return api::AfterWrite();
    int64_t send_at = timing->send_at;
    return api::AfterWrite([&w, send_at](const store::StoredResource& written) {
      Value params = Value::Object();
      params.Set("request", Value::String(written.id));
      params.Set("version", Value::Integer(written.version));
      return w.engine.jobs->SubmitIn(
          w.txn, kKind, params, send_at,
          "reminder-" + written.id + "-" + std::to_string(written.version));
    });
  };
  registry.AddWriteHook(std::move(hook));
}

}  // namespace kangyun::services
