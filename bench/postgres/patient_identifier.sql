\set k random(1, :residents)
SELECT body FROM resources WHERE body @> jsonb_build_object('resourceType', 'Patient',
  'identifier', jsonb_build_array(jsonb_build_object('system', 'urn:oid:2.16.156.10011.1.3',
    'value', (SELECT citizen_id FROM people WHERE k = :k))));
