\set k random(1, :residents)
SELECT body FROM resources WHERE body @> jsonb_build_object('resourceType', 'Observation',
  'subject', jsonb_build_object('reference', 'Patient/pat-' || :k),
  'code', '{"coding":[{"system":"http://loinc.org","code":"85354-9"}]}'::jsonb) LIMIT 20;
