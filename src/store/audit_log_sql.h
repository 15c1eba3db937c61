// The audit log's statements and tables (store.h: AuditRow, AuditAgent, AuditSeal), shared by
// the SQL back ends: each runs the statements and hands back the columns as text or integers.
// The tables live in the schema `audit`: a schema of the database on PostgreSQL, a file of its
// own beside the database (attached as `audit`) on SQLite, so that appending to the trail never
// touches the pages the data's readers cache. Internal to store/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/sql_builder.h"
#include "store/store.h"

namespace kangyun::store::audit_sql {

// A statement's result: one SqlValue per column, int64_t or std::string as `kinds` asked.
using Table = std::vector<std::vector<SqlValue>>;

// The columns of each read, as a back end reads them: 'i' integer, 's' text.
inline constexpr const char* kRowKinds = "iiis";
inline constexpr const char* kAgentKinds = "issss";
inline constexpr const char* kSealKinds = "iis";
inline constexpr const char* kArchiveKinds = "iisssss";

// The tables, made when missing (statements separated by ';').
const char* Schema(SqlDialect d);

Sql Rows(const AuditQuery& q, SqlDialect d);
std::vector<AuditRow> ToRows(Table t);

Sql Agents(const std::vector<int64_t>& ids, const std::string& field, const std::string& value,
           SqlDialect d);
std::vector<AuditAgent> ToAgents(Table t);

Sql Seals(int64_t after_last, int64_t count, SqlDialect d);
Sql Head(SqlDialect d);  // kSealKinds
std::vector<AuditSeal> ToSeals(Table t);
std::optional<AuditSeal> ToHead(Table t);  // of Head: nullopt before the first seal

Sql Archives(SqlDialect d);                                                  // kArchiveKinds
Sql ArchivedSeqs(const AuditQuery& q, int64_t archived_last, SqlDialect d);  // "i"
std::vector<int64_t> ToSeqs(Table t);
std::vector<AuditArchive> ToArchives(Table t);
// The statements that record an archive and remove what it holds from the log, in order.
std::vector<Sql> Archive(const AuditArchive& a, SqlDialect d);

// The compartments of rids (Store::CompartmentPatients), unsorted, repeats and all.
Sql CompartmentPatients(const std::vector<int64_t>& rids, SqlDialect d);
std::vector<std::string> ToPatients(Table t);  // sorted, once each

// The statements that append agents, rows, their patients and the seal, and make the seal the
// head, in order; none needs its result.
std::vector<Sql> Append(const std::vector<AuditAgent>& agents, const std::vector<AuditRow>& rows,
                        const AuditSeal& seal, SqlDialect d);

}  // namespace kangyun::store::audit_sql
