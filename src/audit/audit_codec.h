// How an AuditRecord is kept in the audit log (store/store.h: AuditRow): the agent (who, in
// what role and institution, with which application, from where), stored once and shared by
// every row of that agent, and the rest as a short JSON body. About 100 to 200 bytes a read,
// where the AuditEvent resource it stands for is about 2 KB with its index rows; the resource
// is built when someone reads it (audit_event.h).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "audit/audit_record.h"
#include "base/status.h"
#include "store/store.h"

namespace kangyun::audit {

// The agent of r, id not yet set.
store::AuditAgent AgentOf(const AuditRecord& r);
// The agent id tried first for an agent's text: 63 bits of its SHA-256 (the trail probes on
// from there in the rare case the id is taken by another agent).
int64_t AgentKey(const std::string& agent_text);
std::string BodyOf(const AuditRecord& r);

// The record a row and its agent's text stand for.
Result<AuditRecord> Decode(const std::string& agent_text, const store::AuditRow& row);

// The hash that seals rows (in sequence order) after the chain's hash `previous`: SHA-256
// (hex) of previous, then of each row its sequence number, time, agent text and body.
// agent_texts[i] is the text of rows[i]'s agent.
std::string SealHash(const std::string& previous, const std::vector<store::AuditRow>& rows,
                     const std::vector<const std::string*>& agent_texts);
// The same, the agents' texts by id; an agent missing from `agents` hashes as a text no agent
// has, so a seal over it does not hold (verification: the agent was removed).
std::string SealHash(const std::string& previous, const std::vector<store::AuditRow>& rows,
                     const std::unordered_map<int64_t, std::string>& agents);

}  // namespace kangyun::audit
