// The PostgreSQL schema, as numbered migrations (internal to store/postgres/). The same
// tables as the SQLite store's, plus:
// - every resource version, index row and compartment row carries `resident`, the key of the
//   Patient whose record it belongs to (0 for none), so that a distributed PostgreSQL (Citus)
//   can place one resident's data on one node (docs/scale-out.md);
// - paging lists live in `result_sets`, so that a next-page link one server process gave
//   works on every other (unlogged: a cache of searches, not data, so it skips the WAL);
// - text is compared byte by byte (COLLATE "C"), as SQLite does, whatever the database's
//   locale: prefix searches rely on it and it keeps sorting the same on both stores.
#pragma once

#include <vector>

#include "store/job_sql.h"

namespace kangyun::store::postgres_schema {

// Migration n (1-based) brings a database from version n-1 to n.
inline const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> kMigrations = {
      R"sql(
CREATE TABLE params (pid BIGINT PRIMARY KEY, type TEXT COLLATE "C" NOT NULL,
                     param TEXT COLLATE "C" NOT NULL);
CREATE INDEX params_param ON params (param);
CREATE INDEX params_type ON params (type);

CREATE TABLE history (
  seq BIGSERIAL PRIMARY KEY,
  type TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  last_updated BIGINT NOT NULL,
  deleted INTEGER NOT NULL,
  method TEXT NOT NULL,
  body BYTEA NOT NULL,
  resident BIGINT NOT NULL,
  UNIQUE (type, id, version)
);
CREATE INDEX history_type_seq ON history (type, seq);
CREATE INDEX history_updated ON history (last_updated);

CREATE TABLE resources (
  rid BIGSERIAL PRIMARY KEY,
  type TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  last_updated BIGINT NOT NULL,
  deleted INTEGER NOT NULL,
  seq BIGINT NOT NULL,
  resident BIGINT NOT NULL,
  UNIQUE (type, id)
);
CREATE INDEX resources_type_updated ON resources (type, last_updated);
CREATE INDEX resources_resident ON resources (resident);

CREATE TABLE idx_string (rid BIGINT NOT NULL, pid BIGINT NOT NULL, norm TEXT COLLATE "C" NOT NULL,
                         exact TEXT COLLATE "C" NOT NULL, resident BIGINT NOT NULL);
CREATE INDEX idx_string_lookup ON idx_string (pid, norm, rid);
CREATE INDEX idx_string_exact ON idx_string (pid, exact, rid);
CREATE INDEX idx_string_rid ON idx_string (rid, pid);

CREATE TABLE idx_token (rid BIGINT NOT NULL, pid BIGINT NOT NULL, system TEXT COLLATE "C" NOT NULL,
                        code TEXT COLLATE "C" NOT NULL, text TEXT COLLATE "C" NOT NULL,
                        resident BIGINT NOT NULL);
CREATE INDEX idx_token_lookup ON idx_token (pid, code, system, rid);
CREATE INDEX idx_token_rid ON idx_token (rid, pid);

CREATE TABLE idx_number (rid BIGINT NOT NULL, pid BIGINT NOT NULL,
                         value DOUBLE PRECISION NOT NULL, resident BIGINT NOT NULL);
CREATE INDEX idx_number_lookup ON idx_number (pid, value, rid);
CREATE INDEX idx_number_rid ON idx_number (rid, pid);

CREATE TABLE idx_date (rid BIGINT NOT NULL, pid BIGINT NOT NULL, low BIGINT NOT NULL,
                       high BIGINT NOT NULL, resident BIGINT NOT NULL);
CREATE INDEX idx_date_low ON idx_date (pid, low, high, rid);
CREATE INDEX idx_date_high ON idx_date (pid, high, low, rid);
CREATE INDEX idx_date_rid ON idx_date (rid, pid);

CREATE TABLE idx_quantity (rid BIGINT NOT NULL, pid BIGINT NOT NULL,
                           system TEXT COLLATE "C" NOT NULL, code TEXT COLLATE "C" NOT NULL,
                           value DOUBLE PRECISION NOT NULL,
                           canonical_code TEXT COLLATE "C" NOT NULL,
                           canonical_value DOUBLE PRECISION NOT NULL, resident BIGINT NOT NULL);
CREATE INDEX idx_quantity_lookup ON idx_quantity (pid, code, value, rid);
CREATE INDEX idx_quantity_canonical ON idx_quantity (pid, canonical_code, canonical_value, rid);
CREATE INDEX idx_quantity_rid ON idx_quantity (rid, pid);

CREATE TABLE idx_reference (rid BIGINT NOT NULL, pid BIGINT NOT NULL,
                            target_type TEXT COLLATE "C" NOT NULL,
                            target_id TEXT COLLATE "C" NOT NULL, url TEXT COLLATE "C" NOT NULL,
                            resident BIGINT NOT NULL);
CREATE INDEX idx_reference_lookup ON idx_reference (pid, target_id, target_type, rid);
CREATE INDEX idx_reference_target ON idx_reference (target_type, target_id);
CREATE INDEX idx_reference_url ON idx_reference (pid, url, rid) WHERE url <> '';
CREATE INDEX idx_reference_rid ON idx_reference (rid, pid);

CREATE TABLE idx_uri (rid BIGINT NOT NULL, pid BIGINT NOT NULL, uri TEXT COLLATE "C" NOT NULL,
                      resident BIGINT NOT NULL);
CREATE INDEX idx_uri_lookup ON idx_uri (pid, uri, rid);
CREATE INDEX idx_uri_rid ON idx_uri (rid, pid);

CREATE TABLE idx_composite (rid BIGINT NOT NULL, pid BIGINT NOT NULL,
                            c1_system TEXT COLLATE "C" NOT NULL, c1_code TEXT COLLATE "C" NOT NULL,
                            c2_system TEXT COLLATE "C" NOT NULL, c2_code TEXT COLLATE "C" NOT NULL,
                            c2_low DOUBLE PRECISION NOT NULL, c2_high DOUBLE PRECISION NOT NULL,
                            c2_text TEXT COLLATE "C" NOT NULL, resident BIGINT NOT NULL);
CREATE INDEX idx_composite_lookup ON idx_composite (pid, c1_code, rid);
CREATE INDEX idx_composite_rid ON idx_composite (rid, pid);

CREATE TABLE compartment (rid BIGINT NOT NULL, patient_id TEXT COLLATE "C" NOT NULL,
                          resident BIGINT NOT NULL);
CREATE INDEX compartment_patient ON compartment (patient_id);
CREATE INDEX compartment_rid ON compartment (rid, patient_id);

CREATE UNLOGGED TABLE result_sets (id TEXT PRIMARY KEY, rids BIGINT[] NOT NULL,
                          expires_at BIGINT NOT NULL);
CREATE INDEX result_sets_expiry ON result_sets (expires_at);
)sql",
      // 2: asynchronous jobs (bulk export), readable by every process.
      R"sql(
CREATE TABLE jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated BIGINT NOT NULL);
)sql",
      // 3: platform records beside the FHIR data (Store::GetRecord).
      R"sql(
CREATE TABLE records (kind TEXT COLLATE "C" NOT NULL, key TEXT COLLATE "C" NOT NULL,
                      value TEXT NOT NULL, PRIMARY KEY (kind, key));
)sql",
      // 4: a load into an empty database sets the search tables' lookup indexes aside here
      // until it ends (Store::BeginBulkLoad).
      R"sql(
CREATE TABLE deferred_indexes (name TEXT PRIMARY KEY, definition TEXT NOT NULL);
)sql",
      // 5: the job runner's jobs (Store::ClaimScheduledJob).
      job_sql::Schema(SqlDialect::kPostgres),
      // 6: the change feed (Store::Changes) orders versions by the transaction that wrote them.
      // Versions written before have none and are never in the feed.
      R"sql(
ALTER TABLE history ADD COLUMN xid BIGINT;
ALTER TABLE history ALTER COLUMN xid SET DEFAULT (pg_current_xact_id()::text)::bigint;
CREATE INDEX history_xid ON history (xid, seq);
)sql",
      // 7: the text of _text (narrative) and _content (all of a resource's text), searched by
      // substring through a trigram index (pg_trgm, a trusted extension a database owner may
      // create). Trigrams of Chinese need a UTF-8 LC_CTYPE (scripts/pg-cluster: C.UTF-8); under
      // the C ctype the index finds candidates for Latin text only and Chinese is checked row by
      // row. Versions stored before have no text rows until they are reindexed.
      R"sql(
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE idx_text (rid BIGINT NOT NULL, pid BIGINT NOT NULL, norm TEXT NOT NULL,
                       resident BIGINT NOT NULL);
CREATE INDEX idx_text_words ON idx_text USING gin (norm gin_trgm_ops);
CREATE INDEX idx_text_rid ON idx_text (rid, pid);
)sql",
  };
  return kMigrations;
}

}  // namespace kangyun::store::postgres_schema
