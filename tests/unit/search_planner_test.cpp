#include "search/search_planner.h"

#include <gtest/gtest.h>

#include "search/search_request.h"
#include "tests/unit/test_definitions.h"

namespace kangyun::search {
namespace {

using store::Comparator;
using store::Condition;

class SearchPlannerTest : public ::testing::Test {
 protected:
  SearchPlannerTest()
      : params_(kangyun::testing::NewRegistry()), planner_(kangyun::testing::Defs(), *params_) {}

  Result<SearchPlan> Plan(const std::string& type, const std::string& query, bool strict = false) {
    auto request = ParseSearchRequest(ParseQueryString(query));
    if (!request.ok()) return request.status();
    return planner_.Plan({type}, *request, strict, 0);
  }

  const Condition& Only(const SearchPlan& plan) {
    EXPECT_EQ(plan.query.clauses.size(), 1u);
    EXPECT_EQ(plan.query.clauses[0].size(), 1u);
    return plan.query.clauses[0][0];
  }

  std::unique_ptr<fhir::SearchParameterRegistry> params_;
  SearchPlanner planner_;
};

TEST_F(SearchPlannerTest, NumbersCarryTheirPrecision) {
  auto plan = Plan("RiskAssessment", "probability=100");
  ASSERT_TRUE(plan.ok());
  EXPECT_DOUBLE_EQ(Only(*plan).low, 99.5);
  EXPECT_DOUBLE_EQ(Only(*plan).high, 100.5);
  plan = Plan("RiskAssessment", "probability=100.00");
  EXPECT_DOUBLE_EQ(Only(*plan).low, 99.995);
  plan = Plan("RiskAssessment", "probability=gt0.5");
  EXPECT_EQ(Only(*plan).cmp, Comparator::kGt);
  EXPECT_DOUBLE_EQ(Only(*plan).low, 0.5);
  plan = Plan("RiskAssessment", "probability=ap100");
  EXPECT_DOUBLE_EQ(Only(*plan).low, 90);
  EXPECT_DOUBLE_EQ(Only(*plan).high, 110);
}

TEST_F(SearchPlannerTest, DatesAreRanges) {
  auto plan = Plan("Patient", "birthdate=le2020-02");
  ASSERT_TRUE(plan.ok());
  const Condition& c = Only(*plan);
  EXPECT_EQ(c.cmp, Comparator::kLe);
  EXPECT_EQ(c.date_low, fhir::ParseDateTime("2020-02-01T00:00:00Z")->LowMicros());
  EXPECT_EQ(c.date_high + 1, fhir::ParseDateTime("2020-03-01T00:00:00Z")->LowMicros());
  EXPECT_FALSE(Plan("Patient", "birthdate=2020-13").ok());
  EXPECT_FALSE(Plan("Patient", "birthdate=xx2020").ok());
}

TEST_F(SearchPlannerTest, TokensAndEscapes) {
  auto plan = Plan("Patient", "identifier=urn:a|123");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(*Only(*plan).system, "urn:a");
  EXPECT_EQ(*Only(*plan).code, "123");
  plan = Plan("Patient", "identifier=|123");
  EXPECT_EQ(*Only(*plan).system, "");
  plan = Plan("Patient", "identifier=urn:a|");
  EXPECT_FALSE(Only(*plan).code.has_value());
  plan = Plan("Patient", "identifier=a\\|b");
  EXPECT_FALSE(Only(*plan).system.has_value());
  EXPECT_EQ(*Only(*plan).code, "a|b");
  plan = Plan("Patient", "family=a\\,b,c");
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->query.clauses[0].size(), 2u);
  EXPECT_EQ(plan->query.clauses[0][0].text, "a,b");
  EXPECT_EQ(plan->query.clauses[0][1].text, "c");
  EXPECT_FALSE(Plan("Patient", "identifier=a|b|c").ok());
}

TEST_F(SearchPlannerTest, NotIsAnAndOfNegations) {
  auto plan = Plan("Patient", "gender:not=male,female");
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->query.clauses.size(), 2u);
  EXPECT_TRUE(plan->query.clauses[0][0].negated);
  EXPECT_TRUE(plan->query.clauses[1][0].negated);
}

TEST_F(SearchPlannerTest, QuantitiesConvertUcumUnits) {
  auto plan = Plan("Observation", "value-quantity=5.4|http://unitsofmeasure.org|mg");
  ASSERT_TRUE(plan.ok());
  const Condition& c = Only(*plan);
  EXPECT_EQ(c.canonical_code, "g");
  EXPECT_NEAR(c.canonical_low, 0.00535, 1e-12);
  EXPECT_NEAR(c.canonical_high, 0.00545, 1e-12);
}

TEST_F(SearchPlannerTest, ChainsAndReverseChainsNest) {
  auto plan = Plan("Observation", "subject:Patient.organization.name=x");
  ASSERT_TRUE(plan.ok());
  const Condition& c = Only(*plan);
  EXPECT_EQ(c.kind, Condition::Kind::kChain);
  EXPECT_EQ(c.subquery->types, std::vector<std::string>{"Patient"});
  EXPECT_EQ(c.subquery->clauses[0][0].kind, Condition::Kind::kChain);
  plan = Plan("Patient", "_has:Observation:subject:code=1234");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(Only(*plan).kind, Condition::Kind::kReverseChain);
  EXPECT_EQ(Only(*plan).has_type, "Observation");
  // Without a type, every target type with the chained parameter is tried.
  plan = Plan("Observation", "subject.name=x");
  ASSERT_TRUE(plan.ok());
  EXPECT_GT(plan->query.clauses[0].size(), 1u);
  EXPECT_FALSE(Plan("Observation", "status.name=x").ok());
  EXPECT_FALSE(
      Plan("Observation", "subject:Patient.organization.partof.partof.partof.partof.name=x").ok());
}

TEST_F(SearchPlannerTest, CompositesSplitOnDollar) {
  auto plan = Plan("Observation", "code-value-quantity=http://loinc.org|8480-6$gt100");
  ASSERT_TRUE(plan.ok());
  const Condition& c = Only(*plan);
  EXPECT_EQ(*c.code, "8480-6");
  ASSERT_TRUE(c.second);
  EXPECT_EQ(c.second->cmp, Comparator::kGt);
  EXPECT_FALSE(Plan("Observation", "code-value-quantity=8480-6").ok());
}

TEST_F(SearchPlannerTest, UnknownParametersAreIgnoredOrRefused) {
  auto plan = Plan("Patient", "nope=1&gender=male");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->ignored, std::vector<std::string>{"nope"});
  EXPECT_FALSE(Plan("Patient", "nope=1", /*strict=*/true).ok());
  EXPECT_FALSE(Plan("Patient", "gender:below=x").ok());  // unsupported modifiers always refused
}

TEST_F(SearchPlannerTest, ResultParameters) {
  auto request = ParseSearchRequest(ParseQueryString(
      "_count=5&_sort=-birthdate,name&_include:iterate=Patient:organization&_summary=count"));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(*request->count, 5);
  ASSERT_EQ(request->sort.size(), 2u);
  EXPECT_TRUE(request->sort[0].descending);
  EXPECT_TRUE(request->includes[0].iterate);
  EXPECT_EQ(request->summary, "count");
  EXPECT_FALSE(ParseSearchRequest(ParseQueryString("_count=-1")).ok());
  EXPECT_FALSE(ParseSearchRequest(ParseQueryString("_include=Patient")).ok());
  EXPECT_FALSE(ParseSearchRequest(ParseQueryString("_summary=maybe")).ok());
}

}  // namespace
}  // namespace kangyun::search
