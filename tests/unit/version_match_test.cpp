// search/version_match: a subscription's criteria decided on one version agree with the store's
// own search over the same resources, for every kind of parameter and modifier they may use.
#include "search/version_match.h"

#include <gtest/gtest.h>

#include <set>

#include "json/json.h"
#include "search/index_extractor.h"
#include "search/search_planner.h"
#include "tests/unit/in_process_api.h"

namespace kangyun::testing {
namespace {

const char* kResources[] = {
    R"({"resourceType":"Observation","id":"o1","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"2345-7","display":"Glucose"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-03-01T08:00:00Z","valueQuantity":{"value":6.1,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}})",
    R"({"resourceType":"Observation","id":"o2","status":"preliminary","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"2345-7"}]},"subject":{"reference":"Patient/p2"},"effectiveDateTime":"2026-05-10","valueQuantity":{"value":11.2,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}})",
    R"({"resourceType":"Observation","id":"o3","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}],"text":"心率 heart rate"},"subject":{"reference":"Patient/p1"},"effectivePeriod":{"start":"2026-01-01","end":"2026-01-31"},"valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}})",
    R"({"resourceType":"Observation","id":"o4","status":"amended","code":{"coding":[{"system":"http://snomed.info/sct","code":"271649006"}]},"subject":{"reference":"Patient/p3"}})",
    R"({"resourceType":"Patient","id":"p1","name":[{"family":"王","given":["小明"]},{"text":"Wang Xiaoming"}],"gender":"male","birthDate":"1950-04-02","active":true})",
    R"({"resourceType":"Patient","id":"p2","name":[{"family":"Li","given":["Na"]}],"gender":"female","birthDate":"1988","identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"11010519491231002X"}]})",
    R"({"resourceType":"Patient","id":"p3","gender":"female","birthDate":"2001-12-24","deceasedBoolean":false})",
};

struct Case {
  std::string type, query;
};

const Case kCases[] = {
    {"Observation", "code=http://loinc.org|2345-7"},
    {"Observation", "code=2345-7,8867-4"},
    {"Observation", "code:not=2345-7"},
    {"Observation", "code=http://loinc.org|"},
    {"Observation", "code:text=heart"},
    {"Observation", "status=final,amended"},
    {"Observation", "category=laboratory&status=final"},
    {"Observation", "subject=Patient/p1"},
    {"Observation", "patient=p2"},
    {"Observation", "subject:missing=true"},
    {"Observation", "value-quantity=gt7"},
    {"Observation", "value-quantity=le6.1|http://unitsofmeasure.org|mmol/L"},
    {"Observation", "value-quantity=ap70"},
    {"Observation", "date=ge2026-03-01"},
    {"Observation", "date=lt2026-02"},
    {"Observation", "date=2026-01"},
    {"Observation", "date=sa2026-02-01"},
    {"Observation", "_id=o2,o4"},
    {"Observation", "combo-code=8867-4"},
    {"Observation", "code-value-quantity=http://loinc.org|2345-7$gt10"},
    {"Patient", "name=wang"},
    {"Patient", "name=王"},
    {"Patient", "name:exact=Li"},
    {"Patient", "name:contains=iao"},
    {"Patient", "family=li"},
    {"Patient", "gender=female&birthdate=ge1980"},
    {"Patient", "birthdate=1988"},
    {"Patient", "birthdate=eb1960-01-01"},
    {"Patient", "identifier=urn:oid:2.16.156.10011.1.3|11010519491231002X"},
    {"Patient", "active=true"},
    {"Patient", "active:missing=true"},
    {"Patient", "gender:not=male"},
    {"Patient", "_lastUpdated=gt2000-01-01"},
};

TEST(VersionMatch, AgreesWithTheStoresSearch) {
  InProcessApi api("version-match");
  std::unique_ptr<fhir::SearchParameterRegistry> params = NewRegistry();
  search::SearchPlanner planner(Defs(), *params);
  search::IndexExtractor extractor(Defs(), *params);
  std::vector<store::StoredResource> stored;
  for (const char* text : kResources) {
    auto r = json::Parse(text);
    ASSERT_TRUE(r.ok());
    std::string type(r->GetString("resourceType")), id(r->GetString("id"));
    auto put = api.Call("PUT", type + "/" + id, text);
    ASSERT_EQ(put.status / 100, 2) << put.body;
    auto read = api.store().BeginRead();
    ASSERT_TRUE(read.ok());
    auto current = (*read)->ReadCurrent(type, id);
    ASSERT_TRUE(current.ok() && *current);
    stored.push_back(**current);
  }
  // The cases must select something, and not everything, to tell a matcher from a constant.
  int compared = 0, selective = 0;
  for (const Case& c : kCases) {
    auto response = api.Call("GET", c.type + "?" + c.query + "&_count=100&_elements=id");
    ASSERT_EQ(response.status, 200) << c.query << ": " << response.body;
    std::set<std::string> searched;
    auto bundle = json::Parse(response.body);
    if (const json::Value* entries = bundle->Find("entry"))
      for (const json::Value& e : entries->items())
        searched.insert(std::string(e.Find("resource")->GetString("id")));
    auto request = search::ParseSearchRequest(search::ParseQueryString(c.query));
    ASSERT_TRUE(request.ok()) << c.query;
    auto plan = planner.Plan({c.type}, *request, true, 0);
    ASSERT_TRUE(plan.ok()) << c.query << ": " << plan.status().message();
    ASSERT_TRUE(search::CheckDecidable(plan->query).ok()) << c.query;
    std::set<std::string> matched;
    for (const store::StoredResource& s : stored) {
      auto r = json::Parse(s.body);
      if (search::Matches(plan->query, s, extractor.Extract(*r))) matched.insert(s.id);
    }
    EXPECT_EQ(matched, searched) << c.type << "?" << c.query;
    ++compared;
    if (!searched.empty() && searched.size() < 4) ++selective;
  }
  EXPECT_EQ(compared, static_cast<int>(std::size(kCases)));
  EXPECT_GE(selective, 25);
}

TEST(VersionMatch, RefusesWhatNeedsOtherResources) {
  std::unique_ptr<fhir::SearchParameterRegistry> params = NewRegistry();
  search::SearchPlanner planner(Defs(), *params);
  for (const char* q : {"subject.name=wang", "_has:Observation:subject:code=1234-5",
                        "subject:Patient.gender=male"}) {
    auto request = search::ParseSearchRequest(search::ParseQueryString(q));
    ASSERT_TRUE(request.ok());
    auto plan = planner.Plan({std::string(q).starts_with("_has") ? "Patient" : "Observation"},
                             *request, true, 0);
    ASSERT_TRUE(plan.ok()) << q << ": " << plan.status().message();
    Status s = search::CheckDecidable(plan->query);
    EXPECT_EQ(s.code(), StatusCode::kInvalid) << q;
  }
}

TEST(VersionMatch, ADeletedVersionMatchesNothing) {
  store::Query q;
  q.types = {"Observation"};
  store::StoredResource v;
  v.type = "Observation";
  v.id = "o1";
  EXPECT_TRUE(search::Matches(q, v, {}));
  v.deleted = true;
  EXPECT_FALSE(search::Matches(q, v, {}));
}

}  // namespace
}  // namespace kangyun::testing
