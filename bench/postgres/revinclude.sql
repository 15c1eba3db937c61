\set k random(1, :residents)
SELECT body FROM resources WHERE type = 'Patient' AND id = 'pat-' || :k
UNION ALL
SELECT body FROM resources WHERE body @> jsonb_build_object('resourceType', 'Condition',
  'subject', jsonb_build_object('reference', 'Patient/pat-' || :k));
