// The job runner's table and statements (store.h: ScheduledJob), shared by the SQL back ends:
// each runs the statements and hands back the columns as text or integers. Internal to store/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/audit_log_sql.h"
#include "store/sql_builder.h"
#include "store/store.h"

namespace kangyun::store::job_sql {

// The columns every statement that returns jobs returns, as a back end reads them.
inline constexpr const char* kJobKinds = "sssisiisssii";

// The table and its index of due jobs, made when missing (statements separated by ';').
const char* Schema(SqlDialect d);

// Returns the id when inserted, nothing when the id was taken.
Sql Insert(const ScheduledJob& job, SqlDialect d);
// One statement that claims and returns the job (store.h: ClaimScheduledJob).
Sql Claim(const std::vector<std::string>& kinds, const std::string& owner, int64_t now,
          int64_t lease_until, SqlDialect d);
// Returns the id when the update was made (the owner held it).
Sql Update(const ScheduledJob& job, SqlDialect d);
// Returns the id when the job was cancelled.
Sql Cancel(const std::string& id, int64_t now, SqlDialect d);
Sql Get(const std::string& id, SqlDialect d);
Sql List(const std::string& kind, int64_t limit, SqlDialect d);

std::vector<ScheduledJob> ToJobs(audit_sql::Table t);
// The one job a claim or a Get returned, or nullopt.
std::optional<ScheduledJob> ToJob(audit_sql::Table t);
// What an Insert's returned rows mean: Ok, or kConflict when the id was taken.
Status Inserted(size_t rows, const ScheduledJob& job);

}  // namespace kangyun::store::job_sql
