// The Fellegi–Sunter model: its estimation, the grades it gives, and its stored form.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "json/json.h"
#include "mpi/match_model.h"

namespace kangyun::mpi {
namespace {

Comparison Levels(int id, int name, int birth, int sex, int phone, int address) {
  Comparison c;
  c.levels = {static_cast<uint8_t>(id),    static_cast<uint8_t>(name),
              static_cast<uint8_t>(birth), static_cast<uint8_t>(sex),
              static_cast<uint8_t>(phone), static_cast<uint8_t>(address)};
  return c;
}

using namespace level;

TEST(MatchModel, TheDefaultIsTheEstimatedOne) {
  MatchModel m = MatchModel::Default();
  // Agreement counts for, disagreement against, missing for nothing.
  for (int f = 0; f < kFieldCount; ++f) {
    EXPECT_EQ(m.Weight(f, kMissing), 0) << FieldName(f);
    EXPECT_LT(m.Weight(f, kDisagree), 0) << FieldName(f);
    EXPECT_GT(m.Weight(f, kLevelCount[f] - 1), 0) << FieldName(f);
  }
  EXPECT_GT(m.Weight(kName, kNameExact), m.Weight(kName, kNameSimilar));
  EXPECT_GT(m.Weight(kBirthDate, kBirthExact), m.Weight(kBirthDate, kBirthOneDigit));
  EXPECT_GT(m.matches_per_record, 0);
  EXPECT_LT(m.matches_per_record, 1);
}

TEST(MatchModel, ProbabilityFallsWithTheRegistrysSize) {
  MatchModel m = MatchModel::Default();
  // Same name and birth date, nothing else known: in a small registry likely the same person,
  // in a city of millions a namesake is likelier.
  Comparison c = Levels(kMissing, kNameExact, kBirthExact, kMissing, kMissing, kMissing);
  EXPECT_GT(m.Probability(c, 200'000), m.Probability(c, 10'000'000));
  // Below the least population the prior stays that of the least.
  EXPECT_EQ(m.Probability(c, 1000), m.Probability(c, MatchModel::kMinimumPopulation));
  Comparison all = Levels(kMissing, kNameExact, kBirthExact, kAgree, kAgree, kAddressExact);
  EXPECT_GT(m.Probability(all, 10'000'000), 0.9999);
  Comparison none = Levels(kMissing, kDisagree, kDisagree, kDisagree, kDisagree, kDisagree);
  EXPECT_LT(m.Probability(none, 1000), 1e-6);
}

TEST(MatchModel, GradesFollowTheRules) {
  MatchModel m = MatchModel::Default();
  auto grade = [&](const Comparison& c) { return GradeOf(m, c, m.Probability(c, 1'000'000)); };
  // Two valid ID numbers that differ are two people, whatever else agrees.
  EXPECT_EQ(grade(Levels(kDisagree, kNameExact, kBirthExact, kAgree, kAgree, kAddressExact)),
            Grade::kCertainlyNot);
  // The same number and a name off by one character: certain; a different name: review.
  EXPECT_EQ(grade(Levels(kAgree, kNameSimilar, kBirthExact, kAgree, kMissing, kMissing)),
            Grade::kCertain);
  EXPECT_EQ(grade(Levels(kAgree, kDisagree, kBirthExact, kAgree, kMissing, kMissing)),
            Grade::kProbable);
  Comparison shared = Levels(kMissing, kNameExact, kMissing, kMissing, kMissing, kMissing);
  shared.shared_identifier = true;
  EXPECT_EQ(grade(shared), Grade::kCertain);
  // Without an ID: everything agreeing is certain; day and month swapped too.
  EXPECT_EQ(grade(Levels(kMissing, kNameExact, kBirthExact, kAgree, kAgree, kAddressExact)),
            Grade::kCertain);
  EXPECT_EQ(grade(Levels(kMissing, kNameExact, kBirthSwapped, kAgree, kMissing, kAddressExact)),
            Grade::kCertain);
  // A twin looks like this: one character apart, same birth date, home and phone. Never certain.
  Grade twin = grade(Levels(kMissing, kNameSimilar, kBirthExact, kAgree, kAgree, kAddressExact));
  EXPECT_NE(twin, Grade::kCertain);
  EXPECT_EQ(twin, Grade::kProbable);
  // Homophone names of twins exist (张颖, 张莹): same sound is probable, not certain.
  EXPECT_EQ(grade(Levels(kMissing, kNameSameSound, kBirthExact, kAgree, kAgree, kAddressExact)),
            Grade::kProbable);
  // Name alone is not enough in a city.
  EXPECT_EQ(grade(Levels(kMissing, kNameExact, kDisagree, kAgree, kDisagree, kDisagree)),
            Grade::kCertainlyNot);
}

// Draws pairs from a known model and checks that EM finds its m again.
TEST(MatchModel, EstimationRecoversAKnownModel) {
  MatchModel truth;
  for (int f = 0; f < kFieldCount; ++f) {
    int n = kLevelCount[f];
    for (int l = 1; l < n; ++l) {
      truth.m[f][l] = l == n - 1 ? 0.8 : 0.2 / (n - 2);
      truth.u[f][l] = l == kDisagree ? 0.9 : 0.1 / (n - 2);
    }
  }
  // Citizen ID numbers are what they are: the same for one person, different for two.
  truth.m[kCitizenId] = {1, 1e-9, 1 - 1e-9};
  truth.u[kCitizenId] = {1, 1 - 1e-9, 1e-9};
  std::mt19937_64 rng(7);
  auto draw = [&](const MatchModel::Table& t, int f) {
    std::uniform_real_distribution<double> x(0, 1);
    double r = x(rng), acc = 0;
    for (int l = 1; l < kLevelCount[f]; ++l)
      if ((acc += t[f][l]) >= r) return l;
    return kLevelCount[f] - 1;
  };
  PatternCounts candidates(kPatternCount, 0), random_pairs(kPatternCount, 0);
  const int kMatches = 20000, kNonMatches = 180000;
  for (int i = 0; i < kMatches + kNonMatches; ++i) {
    const MatchModel::Table& t = i < kMatches ? truth.m : truth.u;
    Comparison c;
    for (int f = 0; f < kFieldCount; ++f) c.levels[f] = static_cast<uint8_t>(draw(t, f));
    // Half the pairs lack an ID on one side: EM must classify them unaided.
    if (i % 2) c.levels[kCitizenId] = kMissing;
    ++candidates[c.Pattern()];
  }
  for (int i = 0; i < 200000; ++i) {
    Comparison c;
    for (int f = 0; f < kFieldCount; ++f) c.levels[f] = static_cast<uint8_t>(draw(truth.u, f));
    ++random_pairs[c.Pattern()];
  }
  Estimation e = EstimateModel(candidates, random_pairs, 100000);
  EXPECT_NEAR(e.candidate_match_share, 0.1, 0.01);
  // 20,000 one-person pairs among 100,000 records: 0.4 others per record.
  EXPECT_NEAR(e.model.matches_per_record, 0.4, 0.04);
  for (int f = 0; f < kFieldCount; ++f) {
    for (int l = 1; l < kLevelCount[f]; ++l) {
      EXPECT_NEAR(e.model.m[f][l], truth.m[f][l], 0.02) << FieldName(f) << " " << l;
      EXPECT_NEAR(e.model.u[f][l], truth.u[f][l], 0.01) << FieldName(f) << " " << l;
    }
  }
}

TEST(MatchModel, StoredFormRoundTripsAndRefusesNonsense) {
  MatchModel m = MatchModel::Default();
  m.certain = 0.99999;
  auto back = MatchModel::FromJson(m.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_DOUBLE_EQ(back->certain, 0.99999);
  for (int f = 0; f < kFieldCount; ++f)
    for (int l = 1; l < kLevelCount[f]; ++l) EXPECT_NEAR(back->Weight(f, l), m.Weight(f, l), 1e-6);
  EXPECT_FALSE(MatchModel::FromJson(json::Parse(R"({"matchesPerRecord":0.1})").value()).ok());
  json::Value broken = m.ToJson();
  broken.Find("fields")->items()[1].Set("field", json::Value::String("surname"));
  auto refused = MatchModel::FromJson(broken);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("name"), std::string::npos);
  // Thresholds out of order would grade a pair probable but not possible.
  json::Value disordered = m.ToJson();
  json::Value thresholds = json::Value::Object();
  thresholds.Set("certain", json::Value::Number("0.9"));
  thresholds.Set("probable", json::Value::Number("0.95"));
  thresholds.Set("possible", json::Value::Number("0.5"));
  disordered.Set("thresholds", std::move(thresholds));
  auto unordered = MatchModel::FromJson(disordered);
  ASSERT_FALSE(unordered.ok());
  EXPECT_NE(unordered.status().message().find("thresholds"), std::string::npos);
}

}  // namespace
}  // namespace kangyun::mpi
