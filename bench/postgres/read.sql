\set k random(1, :residents)
SELECT body FROM resources WHERE type = 'Patient' AND id = 'pat-' || :k;
