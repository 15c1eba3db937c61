// AuditEvent resources after IHE Basic Audit Log Patterns (BALP), built from the audit log's
// records when someone reads them (audit/audit_codec.h). The id is the record's sequence
// number in the chain.
#pragma once

#include <cstdint>
#include <string>

#include "audit/audit_record.h"
#include "json/value.h"

namespace kangyun::audit {

// The hash before the first record of the chain.
inline const std::string kGenesisHash(64, '0');

json::Value ToAuditEvent(const AuditRecord& r, int64_t sequence);

}  // namespace kangyun::audit
