\set k random(1, :residents)
SELECT body FROM resources WHERE body @> jsonb_build_object('resourceType', 'Patient',
  'name', jsonb_build_array(jsonb_build_object('text', (SELECT name FROM people WHERE k = :k))))
 LIMIT 20;
