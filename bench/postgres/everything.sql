-- A resident's whole record: the Patient and every resource whose subject or patient is them
-- (a hand-built approximation of $everything: array-valued subjects and participants are
-- left out).
SELECT body FROM resources WHERE type = 'Patient' AND id = 'pat-' || :ek
UNION ALL
SELECT body FROM resources WHERE body @> jsonb_build_object('subject', jsonb_build_object('reference', 'Patient/pat-' || :ek))
UNION ALL
SELECT body FROM resources WHERE body @> jsonb_build_object('patient', jsonb_build_object('reference', 'Patient/pat-' || :ek));
