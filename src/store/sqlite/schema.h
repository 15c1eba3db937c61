// The SQLite schema, as numbered migrations (internal to store/sqlite/).
#pragma once

#include <vector>

namespace kangyun::store::sqlite_schema {

// Migration n (1-based) brings a database from version n-1 to n.
inline const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> kMigrations = {
      R"sql(
CREATE TABLE history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  method TEXT NOT NULL,
  body BLOB,
  UNIQUE (type, id, version)
);
CREATE INDEX history_type_seq ON history (type, seq);
CREATE INDEX history_updated ON history (last_updated);

CREATE TABLE resources (
  rid INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  UNIQUE (type, id)
);
CREATE INDEX resources_type_updated ON resources (type, last_updated);

CREATE TABLE idx_string (rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
                         norm TEXT NOT NULL, exact TEXT NOT NULL);
CREATE INDEX idx_string_lookup ON idx_string (type, param, norm);
CREATE INDEX idx_string_exact ON idx_string (type, param, exact);
CREATE INDEX idx_string_rid ON idx_string (rid, param);

CREATE TABLE idx_token (rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
                        system TEXT NOT NULL, code TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX idx_token_lookup ON idx_token (type, param, code, system);
CREATE INDEX idx_token_system ON idx_token (type, param, system);
CREATE INDEX idx_token_rid ON idx_token (rid, param);

CREATE TABLE idx_number (rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
                         value REAL NOT NULL);
CREATE INDEX idx_number_lookup ON idx_number (type, param, value);
CREATE INDEX idx_number_rid ON idx_number (rid, param);

CREATE TABLE idx_date (rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
                       low INTEGER NOT NULL, high INTEGER NOT NULL);
CREATE INDEX idx_date_low ON idx_date (type, param, low);
CREATE INDEX idx_date_high ON idx_date (type, param, high);
CREATE INDEX idx_date_rid ON idx_date (rid, param);

CREATE TABLE idx_quantity (rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
                           system TEXT NOT NULL, code TEXT NOT NULL, value REAL NOT NULL,
                           canonical_code TEXT NOT NULL, canonical_value REAL NOT NULL);
CREATE INDEX idx_quantity_lookup ON idx_quantity (type, param, code, value);
CREATE INDEX idx_quantity_canonical ON idx_quantity (type, param, canonical_code, canonical_value);
CREATE INDEX idx_quantity_rid ON idx_quantity (rid, param);

CREATE TABLE idx_reference (rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
                            target_type TEXT NOT NULL, target_id TEXT NOT NULL, url TEXT NOT NULL);
CREATE INDEX idx_reference_lookup ON idx_reference (type, param, target_id, target_type);
CREATE INDEX idx_reference_target ON idx_reference (target_type, target_id);
CREATE INDEX idx_reference_url ON idx_reference (type, param, url);
CREATE INDEX idx_reference_rid ON idx_reference (rid, param);

CREATE TABLE idx_uri (rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
                      uri TEXT NOT NULL);
CREATE INDEX idx_uri_lookup ON idx_uri (type, param, uri);
CREATE INDEX idx_uri_rid ON idx_uri (rid, param);

CREATE TABLE idx_composite (rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
                            c1_system TEXT NOT NULL, c1_code TEXT NOT NULL,
                            c2_system TEXT NOT NULL, c2_code TEXT NOT NULL,
                            c2_low REAL NOT NULL, c2_high REAL NOT NULL, c2_text TEXT NOT NULL);
CREATE INDEX idx_composite_lookup ON idx_composite (type, param, c1_code);
CREATE INDEX idx_composite_rid ON idx_composite (rid, param);

CREATE TABLE compartment (rid INTEGER NOT NULL, patient_id TEXT NOT NULL);
CREATE INDEX compartment_patient ON compartment (patient_id);
CREATE INDEX compartment_rid ON compartment (rid, patient_id);

)sql",
      // 2: bulk loads set indexes aside in deferred_indexes; the token index by system alone
      // goes (a system-only search walks the type and parameter's lookup range instead); the
      // URL index keeps only canonical references, since most references have no URL.
      R"sql(
CREATE TABLE deferred_indexes (name TEXT PRIMARY KEY, sql TEXT NOT NULL);
DROP INDEX idx_token_system;
DROP INDEX idx_reference_url;
CREATE INDEX idx_reference_url ON idx_reference (type, param, url) WHERE url <> '';
)sql",
  };
  return kMigrations;
}

}  // namespace kangyun::store::sqlite_schema
