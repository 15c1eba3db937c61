-- 80% reads by id, 10% searches, 10% inserts, as the Kangyun mixed workload.
\set k random(1, :residents)
\set r random(1, 10)
SELECT body FROM resources WHERE :r <= 8 AND type = 'Patient' AND id = 'pat-' || :k;
SELECT body FROM resources WHERE :r = 9 AND body @> jsonb_build_object('resourceType',
  'Observation', 'subject', jsonb_build_object('reference', 'Patient/pat-' || :k)) LIMIT 20;
INSERT INTO resources SELECT 'Observation', 'mixed-' || :client_id || '-' || random(), jsonb_build_object(
  'resourceType', 'Observation', 'status', 'final',
  'code', '{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}'::jsonb,
  'subject', jsonb_build_object('reference', 'Patient/pat-' || :k),
  'valueQuantity', '{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}'::jsonb)
 WHERE :r = 10;
