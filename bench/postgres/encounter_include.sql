\set k random(1, :residents)
WITH e AS (SELECT body FROM resources WHERE type = 'Encounter'
             AND body @> jsonb_build_object('subject', jsonb_build_object('reference', 'Patient/pat-' || :k)))
SELECT body FROM e
UNION ALL
SELECT o.body FROM resources o
 WHERE o.type = 'Organization'
   AND o.id IN (SELECT split_part(body->'serviceProvider'->>'reference', '/', 2) FROM e);
