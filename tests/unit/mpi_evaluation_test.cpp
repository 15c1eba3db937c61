// Linking a generated city's residents against its ground truth: the targets of the registry
// (no two people certain, F1 of certain and probable links at least 0.98) on a small city.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "base/strings.h"
#include "json/json.h"
#include "mpi/evaluation.h"
#include "synth/generator.h"

namespace kangyun::mpi {
namespace {

namespace fs = std::filesystem;

struct Population {
  std::vector<Person> people;
  std::vector<std::string> person_of, errors_of;
};

Population GeneratedCity(int64_t residents, uint64_t seed) {
  fs::path dir = fs::temp_directory_path() / ("kangyun-mpi-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  synth::CityOptions options;
  options.residents = residents;
  options.seed = seed;
  options.out_dir = dir.string();
  options.only_types = {"Patient"};
  EXPECT_TRUE(synth::GenerateCity(options).ok());
  std::map<std::string, std::pair<std::string, std::string>> truth;
  std::ifstream t(dir / "ground-truth.csv");
  std::string line;
  std::getline(t, line);
  while (std::getline(t, line)) {
    auto cols = Split(line, ',');
    truth[cols[0]] = {cols[1], cols.size() > 2 ? cols[2] : ""};
  }
  Population pop;
  std::ifstream in(dir / "Patient.ndjson");
  while (std::getline(in, line)) {
    Person p = PersonFromPatient(json::Parse(line).value());
    pop.person_of.push_back(truth.at(p.id).first);
    pop.errors_of.push_back(truth.at(p.id).second);
    pop.people.push_back(std::move(p));
  }
  fs::remove_all(dir);
  return pop;
}

TEST(MpiEvaluation, AGeneratedCityIsLinkedWithoutFalseMerges) {
  Population pop = GeneratedCity(20000, 3);
  EvaluationReport r = Evaluate(pop.people, pop.person_of, pop.errors_of, MatchModel());
  EXPECT_EQ(r.records, static_cast<int64_t>(pop.people.size()));
  ASSERT_GT(r.true_pairs, 500);                   // 5% registered twice
  EXPECT_EQ(r.true_pairs_blocked, r.true_pairs);  // blocking lost no pair
  EXPECT_EQ(r.FalseMerges(), 0);
  EXPECT_GE(r.F1(true), 0.98);
  EXPECT_EQ(r.Precision(false), 1.0);
  // Most duplicates are certain; the rest wait for an operator.
  EXPECT_GT(r.Recall(false), 0.8);
  // Twins are in the city and are never linked with certainty.
  int twins = 0;
  for (const Person& p : pop.people) twins += p.id.ends_with("-t");
  EXPECT_GT(twins, 100);
}

TEST(MpiEvaluation, CandidatePairsComeFromSharedKeysOnly) {
  Population pop = GeneratedCity(2000, 4);
  std::vector<CandidatePair> all = CandidatePairs(pop.people, 1000);
  // Far fewer than every pair (about 2 million), yet each pair of one person is among them.
  EXPECT_LT(all.size(), pop.people.size() * 20);
  std::map<std::string, std::vector<uint32_t>> records_of;
  for (uint32_t i = 0; i < pop.person_of.size(); ++i) records_of[pop.person_of[i]].push_back(i);
  std::set<std::pair<uint32_t, uint32_t>> pairs;
  for (const CandidatePair& p : all) pairs.insert({p.a, p.b});
  for (const auto& [person, records] : records_of) {
    if (records.size() == 2) {
      EXPECT_TRUE(pairs.count({records[0], records[1]})) << person;
    }
  }
  // A block larger than the cap is left out.
  EXPECT_LT(CandidatePairs(pop.people, 1).size(), all.size());
}

}  // namespace
}  // namespace kangyun::mpi
