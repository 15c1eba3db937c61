\set k random(1, :residents)
WITH e AS (SELECT body FROM resources WHERE body @> jsonb_build_object('resourceType', 'Encounter',
             'subject', jsonb_build_object('reference', 'Patient/pat-' || :k)))
SELECT body FROM e
UNION ALL
SELECT o.body FROM resources o
 WHERE o.type = 'Organization'
   AND o.id IN (SELECT split_part(body->'serviceProvider'->>'reference', '/', 2) FROM e);
