// The SQLite schema, as numbered migrations (internal to store/sqlite/).
#pragma once

#include <vector>

#include "store/job_sql.h"

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
      // 3: index rows carry the key of their (type, parameter) pair (store/param_key.h)
      // instead of both names; `params` keeps the names. kangyun_param_key() is the SQL
      // function the store registers for this migration.
      R"sql(
DELETE FROM deferred_indexes;  -- every index is made again below
CREATE TABLE params (pid INTEGER PRIMARY KEY, type TEXT NOT NULL, param TEXT NOT NULL);
CREATE INDEX params_param ON params (param);
INSERT OR IGNORE INTO params
  SELECT kangyun_param_key(type, param), type, param FROM (
    SELECT type, param FROM idx_string UNION SELECT type, param FROM idx_token
    UNION SELECT type, param FROM idx_number UNION SELECT type, param FROM idx_date
    UNION SELECT type, param FROM idx_quantity UNION SELECT type, param FROM idx_reference
    UNION SELECT type, param FROM idx_uri UNION SELECT type, param FROM idx_composite);

CREATE TABLE n_string (rid INTEGER NOT NULL, pid INTEGER NOT NULL, norm TEXT NOT NULL,
                       exact TEXT NOT NULL);
INSERT INTO n_string SELECT rid, kangyun_param_key(type, param), norm, exact FROM idx_string;
DROP TABLE idx_string;
ALTER TABLE n_string RENAME TO idx_string;
CREATE INDEX idx_string_lookup ON idx_string (pid, norm);
CREATE INDEX idx_string_exact ON idx_string (pid, exact);
CREATE INDEX idx_string_rid ON idx_string (rid, pid);

CREATE TABLE n_token (rid INTEGER NOT NULL, pid INTEGER NOT NULL, system TEXT NOT NULL,
                      code TEXT NOT NULL, text TEXT NOT NULL);
INSERT INTO n_token SELECT rid, kangyun_param_key(type, param), system, code, text FROM idx_token;
DROP TABLE idx_token;
ALTER TABLE n_token RENAME TO idx_token;
CREATE INDEX idx_token_lookup ON idx_token (pid, code, system);
CREATE INDEX idx_token_rid ON idx_token (rid, pid);

CREATE TABLE n_number (rid INTEGER NOT NULL, pid INTEGER NOT NULL, value REAL NOT NULL);
INSERT INTO n_number SELECT rid, kangyun_param_key(type, param), value FROM idx_number;
DROP TABLE idx_number;
ALTER TABLE n_number RENAME TO idx_number;
CREATE INDEX idx_number_lookup ON idx_number (pid, value);
CREATE INDEX idx_number_rid ON idx_number (rid, pid);

CREATE TABLE n_date (rid INTEGER NOT NULL, pid INTEGER NOT NULL, low INTEGER NOT NULL,
                     high INTEGER NOT NULL);
INSERT INTO n_date SELECT rid, kangyun_param_key(type, param), low, high FROM idx_date;
DROP TABLE idx_date;
ALTER TABLE n_date RENAME TO idx_date;
CREATE INDEX idx_date_low ON idx_date (pid, low);
CREATE INDEX idx_date_high ON idx_date (pid, high);
CREATE INDEX idx_date_rid ON idx_date (rid, pid);

CREATE TABLE n_quantity (rid INTEGER NOT NULL, pid INTEGER NOT NULL, system TEXT NOT NULL,
                         code TEXT NOT NULL, value REAL NOT NULL, canonical_code TEXT NOT NULL,
                         canonical_value REAL NOT NULL);
INSERT INTO n_quantity SELECT rid, kangyun_param_key(type, param), system, code, value,
                              canonical_code, canonical_value FROM idx_quantity;
DROP TABLE idx_quantity;
ALTER TABLE n_quantity RENAME TO idx_quantity;
CREATE INDEX idx_quantity_lookup ON idx_quantity (pid, code, value);
CREATE INDEX idx_quantity_canonical ON idx_quantity (pid, canonical_code, canonical_value);
CREATE INDEX idx_quantity_rid ON idx_quantity (rid, pid);

CREATE TABLE n_reference (rid INTEGER NOT NULL, pid INTEGER NOT NULL, target_type TEXT NOT NULL,
                          target_id TEXT NOT NULL, url TEXT NOT NULL);
INSERT INTO n_reference SELECT rid, kangyun_param_key(type, param), target_type, target_id, url
                          FROM idx_reference;
DROP TABLE idx_reference;
ALTER TABLE n_reference RENAME TO idx_reference;
CREATE INDEX idx_reference_lookup ON idx_reference (pid, target_id, target_type);
CREATE INDEX idx_reference_target ON idx_reference (target_type, target_id);
CREATE INDEX idx_reference_url ON idx_reference (pid, url) WHERE url <> '';
CREATE INDEX idx_reference_rid ON idx_reference (rid, pid);

CREATE TABLE n_uri (rid INTEGER NOT NULL, pid INTEGER NOT NULL, uri TEXT NOT NULL);
INSERT INTO n_uri SELECT rid, kangyun_param_key(type, param), uri FROM idx_uri;
DROP TABLE idx_uri;
ALTER TABLE n_uri RENAME TO idx_uri;
CREATE INDEX idx_uri_lookup ON idx_uri (pid, uri);
CREATE INDEX idx_uri_rid ON idx_uri (rid, pid);

CREATE TABLE n_composite (rid INTEGER NOT NULL, pid INTEGER NOT NULL,
                          c1_system TEXT NOT NULL, c1_code TEXT NOT NULL,
                          c2_system TEXT NOT NULL, c2_code TEXT NOT NULL,
                          c2_low REAL NOT NULL, c2_high REAL NOT NULL, c2_text TEXT NOT NULL);
INSERT INTO n_composite SELECT rid, kangyun_param_key(type, param), c1_system, c1_code,
                               c2_system, c2_code, c2_low, c2_high, c2_text FROM idx_composite;
DROP TABLE idx_composite;
ALTER TABLE n_composite RENAME TO idx_composite;
CREATE INDEX idx_composite_lookup ON idx_composite (pid, c1_code);
CREATE INDEX idx_composite_rid ON idx_composite (rid, pid);
)sql",
      // 4: lookup indexes end with the resource row, so a lookup reads rids from the index
      // alone instead of visiting a table row per match (date indexes hold both bounds).
      R"sql(
DROP INDEX idx_string_lookup;
DROP INDEX idx_string_exact;
CREATE INDEX idx_string_lookup ON idx_string (pid, norm, rid);
CREATE INDEX idx_string_exact ON idx_string (pid, exact, rid);
DROP INDEX idx_token_lookup;
CREATE INDEX idx_token_lookup ON idx_token (pid, code, system, rid);
DROP INDEX idx_number_lookup;
CREATE INDEX idx_number_lookup ON idx_number (pid, value, rid);
DROP INDEX idx_date_low;
DROP INDEX idx_date_high;
CREATE INDEX idx_date_low ON idx_date (pid, low, high, rid);
CREATE INDEX idx_date_high ON idx_date (pid, high, low, rid);
DROP INDEX idx_quantity_lookup;
DROP INDEX idx_quantity_canonical;
CREATE INDEX idx_quantity_lookup ON idx_quantity (pid, code, value, rid);
CREATE INDEX idx_quantity_canonical ON idx_quantity (pid, canonical_code, canonical_value, rid);
DROP INDEX idx_reference_lookup;
DROP INDEX idx_reference_url;
CREATE INDEX idx_reference_lookup ON idx_reference (pid, target_id, target_type, rid);
CREATE INDEX idx_reference_url ON idx_reference (pid, url, rid) WHERE url <> '';
DROP INDEX idx_uri_lookup;
CREATE INDEX idx_uri_lookup ON idx_uri (pid, uri, rid);
DROP INDEX idx_composite_lookup;
CREATE INDEX idx_composite_lookup ON idx_composite (pid, c1_code, rid);
)sql",
      // 5: platform records beside the FHIR data (Store::GetRecord).
      R"sql(
CREATE TABLE records (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                      PRIMARY KEY (kind, key)) WITHOUT ROWID;
)sql",
      // 6: the job runner's jobs (Store::ClaimScheduledJob).
      job_sql::Schema(SqlDialect::kSqlite),
      // 7: index rows are kept in rid order (WITHOUT ROWID, keyed by the resource row, the
      // parameter and the row's place among the resource's rows of that table): the rows of a
      // resource lie together, found and deleted without a separate index by resource row, and
      // each lookup index carries the key instead of a rowid. The rid indexes go. References
      // have one index, led by the target's id, for lookups with a parameter and without. Code
      // systems are keys (store/param_key.h SystemKey, registered in `code_systems`) instead of
      // URIs; kangyun_system_key() is the SQL function the store registers for this migration.
      // Parameters are numbered in `params` instead of hashed, a byte or two in every entry.
      R"sql(
DELETE FROM deferred_indexes;  -- every index is made again below
CREATE TABLE n_params (pid INTEGER PRIMARY KEY, type TEXT NOT NULL, param TEXT NOT NULL,
                       old INTEGER NOT NULL UNIQUE);
INSERT INTO n_params (type, param, old) SELECT type, param, pid FROM params ORDER BY type, param;
CREATE TABLE code_systems (key INTEGER PRIMARY KEY, uri TEXT NOT NULL);
INSERT OR IGNORE INTO code_systems
  SELECT kangyun_system_key(uri), uri FROM (
    SELECT system AS uri FROM idx_token UNION SELECT system FROM idx_quantity
    UNION SELECT c1_system FROM idx_composite UNION SELECT c2_system FROM idx_composite)
  WHERE uri <> '';
CREATE TABLE n_string (rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
  norm TEXT NOT NULL, exact TEXT NOT NULL,
  PRIMARY KEY (rid, pid, ord)) WITHOUT ROWID;
INSERT INTO n_string SELECT t.rid, p.pid, row_number() OVER (PARTITION BY t.rid ORDER BY t.rowid),
  norm, exact FROM idx_string t JOIN n_params p ON p.old = t.pid;
DROP TABLE idx_string;
ALTER TABLE n_string RENAME TO idx_string;
CREATE INDEX idx_string_lookup ON idx_string (pid, norm, rid);
CREATE INDEX idx_string_exact ON idx_string (pid, exact, rid);

CREATE TABLE n_token (rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
  system INTEGER NOT NULL,
  code TEXT NOT NULL, text TEXT NOT NULL,
  PRIMARY KEY (rid, pid, ord)) WITHOUT ROWID;
INSERT INTO n_token SELECT t.rid, p.pid, row_number() OVER (PARTITION BY t.rid ORDER BY t.rowid),
  kangyun_system_key(system), code, text FROM idx_token t JOIN n_params p ON p.old = t.pid;
DROP TABLE idx_token;
ALTER TABLE n_token RENAME TO idx_token;
CREATE INDEX idx_token_lookup ON idx_token (pid, code, system, rid);

CREATE TABLE n_number (rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (rid, pid, ord)) WITHOUT ROWID;
INSERT INTO n_number SELECT t.rid, p.pid, row_number() OVER (PARTITION BY t.rid ORDER BY t.rowid),
  value FROM idx_number t JOIN n_params p ON p.old = t.pid;
DROP TABLE idx_number;
ALTER TABLE n_number RENAME TO idx_number;
CREATE INDEX idx_number_lookup ON idx_number (pid, value, rid);

CREATE TABLE n_date (rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
  low INTEGER NOT NULL, high INTEGER NOT NULL,
  PRIMARY KEY (rid, pid, ord)) WITHOUT ROWID;
INSERT INTO n_date SELECT t.rid, p.pid, row_number() OVER (PARTITION BY t.rid ORDER BY t.rowid),
  low, high FROM idx_date t JOIN n_params p ON p.old = t.pid;
DROP TABLE idx_date;
ALTER TABLE n_date RENAME TO idx_date;
CREATE INDEX idx_date_low ON idx_date (pid, low, high, rid);
CREATE INDEX idx_date_high ON idx_date (pid, high, low, rid);

CREATE TABLE n_quantity (rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
  system INTEGER NOT NULL,
  code TEXT NOT NULL, value REAL NOT NULL, canonical_code TEXT NOT NULL,
  canonical_value REAL NOT NULL,
  PRIMARY KEY (rid, pid, ord)) WITHOUT ROWID;
INSERT INTO n_quantity SELECT t.rid, p.pid, row_number() OVER (PARTITION BY t.rid ORDER BY t.rowid),
  kangyun_system_key(system), code, value, canonical_code, canonical_value FROM idx_quantity t JOIN n_params p ON p.old = t.pid;
DROP TABLE idx_quantity;
ALTER TABLE n_quantity RENAME TO idx_quantity;
CREATE INDEX idx_quantity_lookup ON idx_quantity (pid, code, value, rid);
CREATE INDEX idx_quantity_canonical ON idx_quantity (pid, canonical_code, canonical_value, rid);

CREATE TABLE n_reference (rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
  target_type TEXT NOT NULL, target_id TEXT NOT NULL, url TEXT NOT NULL,
  PRIMARY KEY (rid, pid, ord)) WITHOUT ROWID;
INSERT INTO n_reference SELECT t.rid, p.pid, row_number() OVER (PARTITION BY t.rid ORDER BY t.rowid),
  target_type, target_id, url FROM idx_reference t JOIN n_params p ON p.old = t.pid;
DROP TABLE idx_reference;
ALTER TABLE n_reference RENAME TO idx_reference;
CREATE INDEX idx_reference_lookup ON idx_reference (target_id, pid, target_type, rid);
CREATE INDEX idx_reference_url ON idx_reference (pid, url, rid) WHERE url <> '';

CREATE TABLE n_uri (rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
  uri TEXT NOT NULL,
  PRIMARY KEY (rid, pid, ord)) WITHOUT ROWID;
INSERT INTO n_uri SELECT t.rid, p.pid, row_number() OVER (PARTITION BY t.rid ORDER BY t.rowid),
  uri FROM idx_uri t JOIN n_params p ON p.old = t.pid;
DROP TABLE idx_uri;
ALTER TABLE n_uri RENAME TO idx_uri;
CREATE INDEX idx_uri_lookup ON idx_uri (pid, uri, rid);

CREATE TABLE n_composite (rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
  c1_system INTEGER NOT NULL, c1_code TEXT NOT NULL, c2_system INTEGER NOT NULL,
  c2_code TEXT NOT NULL, c2_low REAL NOT NULL, c2_high REAL NOT NULL, c2_text TEXT NOT NULL,
  PRIMARY KEY (rid, pid, ord)) WITHOUT ROWID;
INSERT INTO n_composite SELECT t.rid, p.pid, row_number() OVER (PARTITION BY t.rid ORDER BY t.rowid),
  kangyun_system_key(c1_system), c1_code,
  kangyun_system_key(c2_system), c2_code, c2_low, c2_high, c2_text FROM idx_composite t JOIN n_params p ON p.old = t.pid;
DROP TABLE idx_composite;
ALTER TABLE n_composite RENAME TO idx_composite;
CREATE INDEX idx_composite_lookup ON idx_composite (pid, c1_code, rid);

CREATE TABLE n_compartment (rid INTEGER NOT NULL, patient_id TEXT NOT NULL,
  PRIMARY KEY (rid, patient_id)) WITHOUT ROWID;
INSERT OR IGNORE INTO n_compartment SELECT rid, patient_id FROM compartment;
DROP TABLE compartment;
ALTER TABLE n_compartment RENAME TO compartment;
CREATE INDEX compartment_patient ON compartment (patient_id);

DROP TABLE params;
CREATE TABLE params (pid INTEGER PRIMARY KEY, type TEXT NOT NULL, param TEXT NOT NULL);
INSERT INTO params SELECT pid, type, param FROM n_params;
DROP TABLE n_params;
CREATE INDEX params_param ON params (param);
CREATE UNIQUE INDEX params_type_param ON params (type, param);
)sql",
      // 8: the text of _text (narrative) and _content (all of a resource's text), searched by
      // substring. Versions stored before have none until they are reindexed.
      R"sql(
CREATE TABLE idx_text (rid INTEGER NOT NULL, pid INTEGER NOT NULL, ord INTEGER NOT NULL,
  norm TEXT NOT NULL,
  PRIMARY KEY (rid, pid, ord)) WITHOUT ROWID;
CREATE INDEX idx_text_lookup ON idx_text (pid, rid);
)sql",
  };
  return kMigrations;
}

}  // namespace kangyun::store::sqlite_schema
