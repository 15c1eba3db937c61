SELECT body FROM resources
 WHERE body @> '{"resourceType":"Condition","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"I10"}]}}'
 ORDER BY id LIMIT 20;
