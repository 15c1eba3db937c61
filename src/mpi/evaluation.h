// Linking a whole population in memory and scoring the result against a ground truth: what
// `kangyun mpi-eval` reports, and how the model's weights are estimated from a registry's data.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mpi/match_model.h"
#include "mpi/person.h"

namespace kangyun::mpi {

struct CandidatePair {
  uint32_t a, b;  // indexes into the population
  Comparison comparison;
};

// Every pair of records that shares a blocking key, compared. Blocks larger than max_block
// (a key shared by too many records to tell anyone apart) are left out.
std::vector<CandidatePair> CandidatePairs(const std::vector<Person>& people, size_t max_block);

PatternCounts CountPatterns(const std::vector<CandidatePair>& pairs);

// The comparisons of `samples` pairs of records drawn at random (with a fixed seed).
PatternCounts RandomPairPatterns(const std::vector<Person>& people, int64_t samples);

// A model estimated from a whole population (EstimateModel over its candidate pairs and 5
// million random pairs), with the candidate pairs it was estimated from. What mpi-eval scores
// and what mpi-estimate writes for a registry's own records: one estimation for both.
struct PopulationEstimate {
  std::vector<CandidatePair> pairs;
  Estimation estimation;
};
PopulationEstimate EstimateFromPopulation(const std::vector<Person>& people,
                                          const MatchModel& thresholds = {},
                                          size_t max_block = 1000,
                                          int64_t random_pairs = 5'000'000);

struct GradeCounts {
  int64_t pairs = 0, same_person = 0;
};

struct EvaluationReport {
  int64_t records = 0, people = 0;
  int64_t true_pairs = 0;       // pairs of records of one person
  int64_t candidate_pairs = 0;  // pairs blocking put together
  int64_t true_pairs_blocked = 0;
  std::map<Grade, GradeCounts> grades;
  // Of the true pairs, how many were graded certain or probable, by the errors the second
  // record was made with (ground truth's `errors`, "" for none).
  std::map<std::string, std::pair<int64_t, int64_t>> recall_by_errors;  // found, all
  MatchModel model;
  int em_iterations = 0;
  double candidate_match_share = 0;
  // The first pairs of two people graded certain or probable, and of one person missed, for
  // looking into (up to `examples` of each).
  std::vector<CandidatePair> wrong_links, missed_links;

  int64_t FalseMerges() const;  // pairs graded certain that are two people
  double Precision(bool with_probable) const;
  double Recall(bool with_probable) const;
  double F1(bool with_probable) const;
};

// person_of[i] names the person record i belongs to; errors_of[i] the errors it was made with.
EvaluationReport Evaluate(const std::vector<Person>& people,
                          const std::vector<std::string>& person_of,
                          const std::vector<std::string>& errors_of, const MatchModel& thresholds,
                          size_t max_block = 1000, size_t examples = 0,
                          int64_t random_pairs = 5'000'000);

}  // namespace kangyun::mpi
