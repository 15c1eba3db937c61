\set k random(1, :residents)
SELECT body FROM resources WHERE type = 'Encounter' AND body @> jsonb_build_object('subject',
  jsonb_build_object('reference', (SELECT 'Patient/' || r.id FROM resources r
     WHERE r.type = 'Patient' AND r.body @> jsonb_build_object('identifier', jsonb_build_array(
       jsonb_build_object('system', 'urn:oid:2.16.156.10011.1.3',
                          'value', (SELECT citizen_id FROM people WHERE k = :k)))) LIMIT 1)));
