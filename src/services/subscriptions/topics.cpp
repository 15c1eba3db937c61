#include "services/subscriptions/topics.h"

namespace kangyun::services::subscriptions {

const std::vector<Topic>& Topics() {
  static const std::vector<Topic> kTopics = {
      {"https://kangyun.cn/fhir/SubscriptionTopic/lab-result",
       "检验检查结果 Laboratory and examination results",
       "A laboratory Observation or a DiagnosticReport is final, amended or corrected",
       "WS/T 790.5 basic notification; the plans' mutual recognition of results (检查检验结果互认)",
       {{"Observation", true, true, false, "category=laboratory&status=final,amended,corrected"},
        {"DiagnosticReport", true, true, false, "status=final,amended,corrected"}},
       {"patient", "code", "performer"}},
      {"https://kangyun.cn/fhir/SubscriptionTopic/document-published",
       "文档发布 Document published",
       "A document is registered or replaced (DocumentReference)",
       "WS/T 790.14 document subscription and publication",
       {{"DocumentReference", true, true, false, "status=current"}},
       {"patient", "type", "custodian"}},
      {"https://kangyun.cn/fhir/SubscriptionTopic/encounter",
       "就诊 Encounters",
       "An encounter begins, changes or ends (admission and discharge notices)",
       "WS/T 790.5 basic notification; family doctors learn of their residents' admissions",
       {{"Encounter", true, true, false, ""}},
       {"patient", "status", "class", "service-provider"}},
      {"https://kangyun.cn/fhir/SubscriptionTopic/referral",
       "转诊 Referrals",
       "A referral (ServiceRequest) is made or changes",
       "WS/T 790 two-way referral services",
       {{"ServiceRequest", true, true, false, ""}},
       {"patient", "performer", "requester", "status"}},
      {"https://kangyun.cn/fhir/SubscriptionTopic/appointment",
       "预约 Appointments",
       "An appointment is booked, changed or cancelled",
       "WS/T 790 appointment services",
       {{"Appointment", true, true, false, ""}},
       {"patient", "actor", "status"}},
      {"https://kangyun.cn/fhir/SubscriptionTopic/communication",
       "居民通知 Notices to residents",
       "A Communication is sent (a reminder of a visit, a dose, a follow-up): the resident's app "
       "or a message gateway subscribes with recipient=Patient/{id}",
       "WS/T 790.18 reminders; WS/T 790.5 basic notification",
       {{"Communication", true, false, false, "status=completed"}},
       {"recipient", "category"}},
      {"https://kangyun.cn/fhir/SubscriptionTopic/patient",
       "居民身份 Resident identity",
       "A resident's Patient record is created, changed (merged, linked) or removed",
       "WS/T 790.5 basic notification; IHE PIX update notification",
       {{"Patient", true, true, true, ""}},
       {"identifier", "organization"}},
  };
  return kTopics;
}

const Topic* FindTopic(std::string_view url) {
  url = url.substr(0, url.find('|'));
  for (const Topic& t : Topics())
    if (t.url == url) return &t;
  return nullptr;
}

}  // namespace kangyun::services::subscriptions
