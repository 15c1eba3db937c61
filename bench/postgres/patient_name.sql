\set k random(1, :residents)
SELECT body FROM resources WHERE type = 'Patient' AND body @> jsonb_build_object('name',
  jsonb_build_array(jsonb_build_object('text', (SELECT name FROM people WHERE k = :k)))) LIMIT 20;
