\set k random(1, :residents)
WITH p AS (
  SELECT 'Patient/' || id AS ref FROM resources
   WHERE body @> jsonb_build_object('resourceType', 'Patient', 'identifier', jsonb_build_array(
           jsonb_build_object('system', 'urn:oid:2.16.156.10011.1.3',
                              'value', (SELECT citizen_id FROM people WHERE k = :k)))))
SELECT e.body FROM p, LATERAL (
  SELECT body FROM resources WHERE body @> jsonb_build_object('resourceType', 'Encounter',
    'subject', jsonb_build_object('reference', p.ref))) e;
