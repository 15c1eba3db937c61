\set k random(1, :residents)
SELECT body FROM (
  SELECT body FROM resources WHERE body @> jsonb_build_object('resourceType', 'Observation',
    'subject', jsonb_build_object('reference', 'Patient/pat-' || :k))) o
 WHERE body->>'effectiveDateTime' >= '2026-01-01' AND body->>'effectiveDateTime' < '2026-07-01'
 ORDER BY body->>'effectiveDateTime' DESC LIMIT 20;
