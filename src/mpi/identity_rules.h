// What a person's identifiers must satisfy beyond FHIR's structure (GB 11643): a citizen ID
// number is well formed, holds a real birth date not in the future and has the right check
// character; and the birth date and sex it encodes are the record's own.
#pragma once

#include <string_view>

#include "base/status.h"
#include "json/value.h"

namespace kangyun::mpi {

// OK, or kUnprocessable naming the offending element (Patient.identifier[2].value,
// Patient.birthDate, Patient.gender). Applies to Patient, Person, Practitioner and
// RelatedPerson; other resources pass. today: YYYY-MM-DD.
Status CheckPersonIdentifiers(const json::Value& resource, std::string_view today);

}  // namespace kangyun::mpi
