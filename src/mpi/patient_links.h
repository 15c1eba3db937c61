// Patient.link as the person registry keeps it. Every person has one master record; each other
// record of theirs points to the master, the master back to it:
//   linked  (the same person, both records in use):  record --refer--> master,
//                                                     master --seealso--> record
//   merged  (a duplicate retired):                    record --replaced-by--> master (inactive),
//                                                     master --replaces--> record
// A master has no refer or replaced-by link of its own, so no record is ever two hops from its
// master, and a record with one has exactly one master.
#pragma once

#include <string>
#include <vector>

#include "json/value.h"

namespace kangyun::mpi {

inline constexpr const char* kRefer = "refer";
inline constexpr const char* kSeeAlso = "seealso";
inline constexpr const char* kReplacedBy = "replaced-by";
inline constexpr const char* kReplaces = "replaces";

struct PatientLink {
  std::string other_id;  // the linked Patient's id
  std::string type;      // a code of http://hl7.org/fhir/link-type
};

// The links to other Patients of this server ("Patient/x" references).
std::vector<PatientLink> LinksOf(const json::Value& patient);
// The id of the master a record defers to (its refer or replaced-by link), "" for a master.
std::string MasterOf(const json::Value& patient);
// The records a master stands for (its seealso and replaces links).
std::vector<std::string> RecordsOf(const json::Value& master);
// Adds a link unless one of that type to that Patient is there; true when added.
bool AddLink(json::Value* patient, const std::string& other_id, const std::string& type);
// Removes the links to other_id; true when one was there.
bool RemoveLinks(json::Value* patient, const std::string& other_id);

}  // namespace kangyun::mpi
