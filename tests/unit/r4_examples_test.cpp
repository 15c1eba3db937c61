// The official examples of FHIR R4 (HL7's package hl7.fhir.r4.examples 4.0.1, fetched by
// scripts/install-deps) through the validator a write goes through: each validates without
// error, but for the few that HL7's own examples get wrong, listed here with what is wrong
// with them; and copies broken by hand fail with the key of the invariant they break.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "fhir/invariants.h"
#include "fhir/package.h"
#include "fhir/validator.h"
#include "json/json.h"
#include "tests/unit/test_definitions.h"

namespace kangyun::testing {
namespace {

const std::string kExamples =
    std::string(KANGYUN_SOURCE_DIR) + "/.deps/packages/hl7.fhir.r4.examples-4.0.1.tgz";

const fhir::Package& Examples() {
  static const fhir::Package* package = [] {
    auto p = fhir::ReadPackage(kExamples);
    if (!p.ok()) {
      ADD_FAILURE() << p.status().message();
      std::abort();
    }
    return new fhir::Package(std::move(p).value());
  }();
  return *package;
}

const json::Value& Example(const std::string& file) {
  for (const fhir::PackageResource& r : Examples().resources)
    if (r.file == "package/" + file) return r.resource;
  ADD_FAILURE() << "no example " << file;
  static const json::Value kNone = json::Value::Object();
  return kNone;
}

// The examples HL7 published with errors, and a word of the error each gets.
const std::map<std::string, std::string> kFlawed = {
    // SearchParameter.base is 1..*: these definitions of extensions' parameters have none.
    {"SearchParameter-codesystem-extensions-CodeSystem-author.json", "'base'"},
    {"SearchParameter-codesystem-extensions-CodeSystem-effective.json", "'base'"},
    {"SearchParameter-codesystem-extensions-CodeSystem-end.json", "'base'"},
    {"SearchParameter-codesystem-extensions-CodeSystem-keyword.json", "'base'"},
    {"SearchParameter-codesystem-extensions-CodeSystem-workflow.json", "'base'"},
    {"SearchParameter-valueset-extensions-ValueSet-author.json", "'base'"},
    {"SearchParameter-valueset-extensions-ValueSet-effective.json", "'base'"},
    {"SearchParameter-valueset-extensions-ValueSet-end.json", "'base'"},
    {"SearchParameter-valueset-extensions-ValueSet-keyword.json", "'base'"},
    {"SearchParameter-valueset-extensions-ValueSet-workflow.json", "'base'"},
    // An id longer than 64 characters.
    {"SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json",
     "id is not valid"},
    // The logical models of the workflow patterns: not abstract, and no baseDefinition.
    {"StructureDefinition-Definition.json", "sdf-4"},
    {"StructureDefinition-Event.json", "sdf-4"},
    {"StructureDefinition-FiveWs.json", "sdf-4"},
    {"StructureDefinition-Request.json", "sdf-4"},
    // ImplementationGuide.name is 1..1.
    {"ImplementationGuide-fhir.json", "'name'"},
    {"ig-r4.json", "'name'"},
    // An item without its linkId (1..1).
    {"Questionnaire-qs1.json", "'linkId'"},
    // Narratives over Kangyun's limit of 1 MiB a div (the specification sets none).
    {"CodeSystem-dicom-dcim.json", "longer than 1 MiB"},
    {"ValueSet-c80-doc-typecodes.json", "longer than 1 MiB"},
};

TEST(R4Examples, EveryExampleValidatesButThoseHl7PublishedWithErrors) {
  fhir::Validator validator(Defs());
  std::map<std::string, std::string> flawed;
  size_t checked = 0;
  for (const fhir::PackageResource& r : Examples().resources) {
    std::string file = r.file.substr(std::string("package/").size());
    ++checked;
    Status st = validator.Validate(r.resource);
    if (!st.ok()) flawed[file] = st.message();
  }
  EXPECT_GT(checked, 5000u);
  for (const auto& [file, message] : flawed) {
    auto expected = kFlawed.find(file);
    if (expected == kFlawed.end()) {
      ADD_FAILURE() << file << ": " << message;
      continue;
    }
    EXPECT_NE(message.find(expected->second), std::string::npos) << file << ": " << message;
  }
  for (const auto& [file, word] : kFlawed)
    EXPECT_TRUE(flawed.count(file)) << file << " was expected to fail (" << word << ")";
}

// A copy of an example broken by hand, and the invariant it then fails.
struct Broken {
  std::string file, key;
  std::function<void(json::Value&)> breaks;
};

json::Value JsonOf(const char* text) { return *json::Parse(text); }

std::vector<Broken> BrokenCopies() {
  return {
      {"Patient-example.json", "pat-1",
       [](json::Value& p) {
         json::Value& contact = p.Find("contact")->items()[0];
         for (const char* m : {"name", "telecom", "address", "organization"}) contact.Erase(m);
       }},
      {"Patient-example.json", "per-1",
       [](json::Value& p) {
         p.Find("contact")->items()[0].Set(
             "period", JsonOf(R"({"start": "2020-01-01", "end": "2019-01-01"})"));
       }},
      {"Patient-example.json", "ref-1",
       [](json::Value& p) {
         p.Set("managingOrganization", JsonOf(R"({"reference": "#nowhere"})"));
       }},
      {"Observation-example.json", "obs-6",
       [](json::Value& o) { o.Set("dataAbsentReason", JsonOf(R"({"text": "not measured"})")); }},
      {"Observation-example.json", "qty-3",
       [](json::Value& o) { o.Find("valueQuantity")->Erase("system"); }},
      {"CareTeam-example.json", "dom-3",
       [](json::Value& c) {
         c.Find("participant")->items()[1].Set("member", JsonOf(R"({"display": "a dietician"})"));
       }},
      {"CareTeam-example.json", "dom-2",
       [](json::Value& c) {
         c.Find("contained")
             ->items()[0]
             .Set("contained", JsonOf(R"([{"resourceType": "Organization", "id": "o1",
                                      "name": "inner"}])"));
       }},
      {"CareTeam-example.json", "dom-4",
       [](json::Value& c) {
         c.Find("contained")->items()[0].Set("meta", JsonOf(R"({"versionId": "2"})"));
       }},
      {"CareTeam-example.json", "ctm-1",
       [](json::Value& c) {
         c.Find("participant")
             ->items()[1]
             .Set("member", JsonOf(R"({"reference": "Patient/example"})"));
         c.Erase("contained");
       }},
      {"Questionnaire-bb.json", "que-7",
       [](json::Value& q) {
         // The one enableWhen, four items down: operator exists with a coded answer.
         std::function<json::Value*(json::Value&)> find = [&](json::Value& v) -> json::Value* {
           if (json::Value* w = v.Find("enableWhen")) return &w->items()[0];
           if (json::Value* items = v.Find("item"))
             for (json::Value& i : items->items())
               if (json::Value* w = find(i)) return w;
           return nullptr;
         };
         json::Value& when = *find(q);
         when.Erase("answerBoolean");
         when.Set("answerCoding", JsonOf(R"({"code": "yes"})"));
       }},
      {"Bundle-bundle-response-simplesummary.json", "bdl-4",
       [](json::Value& b) { b.Find("entry")->items()[0].Erase("response"); }},
  };
}

TEST(R4Examples, ABrokenCopyFailsWithTheKeyOfTheInvariantItBreaks) {
  for (const Broken& b : BrokenCopies()) {
    json::Value copy = Example(b.file);
    std::set<std::string> before;
    for (const auto& f : fhir::FailedInvariants(Defs(), copy, false))
      before.insert(f.constraint->key);
    EXPECT_TRUE(before.empty()) << b.file << " fails " << *before.begin() << " already";
    b.breaks(copy);
    std::set<std::string> after;
    for (const auto& f : fhir::FailedInvariants(Defs(), copy, false))
      after.insert(f.constraint->key);
    EXPECT_TRUE(after.count(b.key)) << b.file << " does not fail " << b.key;
  }
}

}  // namespace
}  // namespace kangyun::testing
