INSERT INTO resources SELECT j->>'resourceType', j->>'id', j FROM (SELECT line::jsonb AS j FROM staging) s;
CREATE INDEX resources_body ON resources USING gin (body jsonb_path_ops);

DROP TABLE staging;
ANALYZE resources;
-- The bench's lookup of resident k: id, citizen ID number and name, as the Kangyun targets use.
CREATE TABLE people AS
  SELECT substring(id from 5)::int AS k, id,
         (SELECT i->>'value' FROM jsonb_array_elements(body->'identifier') i
           WHERE i->>'system' = 'urn:oid:2.16.156.10011.1.3') AS citizen_id,
         body->'name'->0->>'text' AS name
    FROM resources WHERE type = 'Patient' AND id ~ '^pat-[0-9]+$';
ALTER TABLE people ADD PRIMARY KEY (k);
ANALYZE people;
