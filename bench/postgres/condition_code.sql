SELECT body FROM resources WHERE type = 'Condition'
   AND body @> '{"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"I10"}]}}'
 ORDER BY id LIMIT 20;
