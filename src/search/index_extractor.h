// Turns a resource into the index rows of every search parameter that applies to its type, by
// evaluating the parameters' FHIRPath expressions. Thread-safe (holds only const state).
#pragma once

#include "fhir/definitions.h"
#include "fhir/search_parameters.h"
#include "json/value.h"
#include "store/index_rows.h"

namespace kangyun::search {

class IndexExtractor {
 public:
  IndexExtractor(const fhir::Definitions& defs, const fhir::SearchParameterRegistry& params)
      : defs_(defs), params_(params) {}

  // REQUIRES: resource passed validation.
  store::IndexRows Extract(const json::Value& resource) const;
  // The rows of one parameter only.
  void ExtractParam(const fhir::SearchParamDef& param, const json::Value& resource,
                    store::IndexRows* rows) const;
  // The rows of the named parameters only, and the compartment rows (for records written in
  // bulk whose other parameters nobody searches: the audit trail).
  store::IndexRows ExtractOnly(const json::Value& resource,
                               const std::vector<std::string>& params) const;
  // The Patients whose compartment the resource is in (what Extract puts in
  // patient_compartments), evaluating only the compartment's parameters.
  std::vector<std::string> PatientCompartments(const json::Value& resource) const;

 private:
  // The row of _text (the narrative) or _content (search/resource_text.h) for its text, when it
  // has words.
  static void AddText(const std::string& param, const std::string& text, store::IndexRows* rows);
  std::vector<std::string> CompartmentsFromReferences(
      const json::Value& resource, const std::vector<store::ReferenceRow>& references) const;

  const fhir::Definitions& defs_;
  const fhir::SearchParameterRegistry& params_;
};

// Splits a local reference "Type/id" or "Type/id/_history/n", or an absolute URL ending in
// one; false for anything else.
bool ParseLocalReference(std::string_view ref, std::string* type, std::string* id);

}  // namespace kangyun::search
