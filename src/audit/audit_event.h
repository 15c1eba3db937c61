// AuditEvent resources after IHE Basic Audit Log Patterns (BALP), chained: each carries the
// sequence number of the chain and the SHA-256 of the event before it, so that changing or
// removing a stored event breaks the chain (audit/audit_chain.h).
#pragma once

#include <cstdint>
#include <string>

#include "audit/audit_record.h"
#include "json/value.h"

namespace kangyun::audit {

inline constexpr const char* kChainExtension =
    "https://kangyun.cn/fhir/StructureDefinition/audit-chain";
// The hash before the first event.
inline const std::string kGenesisHash(64, '0');

json::Value ToAuditEvent(const AuditRecord& r, int64_t sequence, const std::string& previous_hash);

// Sets the sequence and previous hash of an event ToAuditEvent made.
void SetChainLink(json::Value* event, int64_t sequence, const std::string& previous_hash);
// The hash of an event as the chain links it: SHA-256 (hex) of its JSON without `meta` (which
// the store stamps), written compactly in member order.
std::string ChainHash(const json::Value& event);
// The sequence and previous hash an event carries; false when it has no chain extension.
bool ChainLink(const json::Value& event, int64_t* sequence, std::string* previous_hash);

}  // namespace kangyun::audit
