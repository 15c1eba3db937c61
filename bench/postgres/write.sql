-- A heart rate of a random resident, as the Kangyun write workload: one insert, one commit.
\set k random(1, :residents)
INSERT INTO resources SELECT 'Observation', 'write-' || :client_id || '-' || random(), jsonb_build_object(
  'resourceType', 'Observation', 'status', 'final',
  'code', '{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}'::jsonb,
  'subject', jsonb_build_object('reference', 'Patient/pat-' || :k),
  'valueQuantity', '{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}'::jsonb);
