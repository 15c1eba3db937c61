// Reminders (WS/T 790.18 提醒服务): "at time T, tell the resident". A reminder is a
// CommunicationRequest to a resident (a Patient among its recipients), active, with the time
// to send it in occurrenceDateTime or occurrencePeriod.start. occurrencePeriod.end, when
// given, is the latest it is still worth sending: the rule the reminder itself declares for
// when the platform was down at its time. At its time the service writes the Communication to
// the resident (the request's payload, or a default text in Chinese and English) and
// completes the request; one whose time passed while the servers were down is sent when they
// come back, unless it is past its end: then the request is revoked, with the reason.
//
// Each version of a reminder is a job of the job runner queued in the same transaction as the
// version, so it fires once across processes and survives restarts; a job finds the request
// changed since (rescheduled, cancelled, sent) and does nothing: the newer version has its
// own job. What the resident's own channels (an app, SMS, WeChat) receive of the
// Communication is for subscriptions (issue 14, part 2).
#pragma once

#include "api/service.h"

namespace kangyun::services {

class RemindersService : public api::Service {
 public:
  std::string_view name() const override { return "reminders"; }
  void Register(api::ServiceRegistry& registry) override;
};

}  // namespace kangyun::services
