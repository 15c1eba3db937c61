// The Fellegi–Sunter model of record linkage (Fellegi and Sunter, JASA 1969). For each field
// and level of agreement, m = P(level | one person) and u = P(level | two people); a pair's
// weight is the sum of log2(m/u) over its fields, and with the prior that two records are one
// person it gives the probability that they are. Missing values weigh nothing.
//
// How the parameters are estimated (EstimateModel):
// - u from random pairs of records: what chance agreement looks like across the population.
//   Estimating it from blocked candidate pairs instead would count the agreement that blocking
//   itself selected for (pairs blocked on a name agree on it), and undervalue that field.
// - m by expectation–maximisation over the candidate pairs (Winkler 1988), semi-supervised by the
//   citizen ID number where both records carry one (see EstimateModel).
// - the prior from EM's share of matches among candidates: the expected number of other records
//   of the same person per record, divided by the registry's size at query time.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "json/value.h"
#include "mpi/comparison.h"

namespace kangyun::mpi {

// FHIR's match-grade (http://hl7.org/fhir/match-grade).
enum class Grade { kCertain, kProbable, kPossible, kCertainlyNot };
const char* GradeCode(Grade g);

struct MatchModel {
  using Table = std::array<std::array<double, kMaxLevels>, kFieldCount>;
  // Expected other records of the same person per record.
  double matches_per_record = 0.05;
  Table m{}, u{};
  // Probability thresholds of the grades (see GradeOf for the rules beside them).
  double certain = 0.9999, probable = 0.95, possible = 0.5;

  double Weight(int field, int level) const;
  // Sum of the fields' weights.
  double TotalWeight(const Comparison& c) const;
  // P(one person | comparison) in a registry of `records` records; a registry counts as at
  // least kMinimumPopulation: one starting out grows to a district's residents, and its first
  // few records would otherwise make every namesake look likely.
  double Probability(const Comparison& c, int64_t records) const;
  static constexpr int64_t kMinimumPopulation = 100'000;

  // The model estimated from a synthetic city of a million residents (docs/registries.md).
  static MatchModel Default();
  json::Value ToJson() const;
  static Result<MatchModel> FromJson(const json::Value& v);
};

// How sure a pair is, from its comparison and probability:
// - certainly-not: both have valid citizen ID numbers and they differ (the check character
//   catches every single-digit slip and swap of neighbours, so two valid numbers are two people);
// - certain: the same citizen ID number (or another shared identifier) and a name that agrees
//   at least as a slip of one character; or, without one, a probability of at least `certain`
//   with the name in the same characters, the same birth date (or day and month swapped), the
//   same sex, and the same phone or street address. Twins share birth date, home and often a
//   phone, and their names may differ in one character or sound alike: so only the same
//   characters are certain.
// - probable and possible: the probability thresholds; a shared identifier with a different
//   name is probable at most, for an operator to look at.
Grade GradeOf(const MatchModel& model, const Comparison& c, double probability);

// Counts of comparison patterns (index Comparison::Pattern()).
using PatternCounts = std::vector<uint64_t>;

struct Estimation {
  MatchModel model;
  int iterations = 0;
  double candidate_match_share = 0;  // EM's share of one-person pairs among candidates
};

// Estimates a model from the comparisons of candidate pairs (from blocking), of random pairs,
// and the number of records they were drawn from. EM runs until the log-likelihood gains less
// than 1e-9 relative, or max_iterations. It is semi-supervised: a pair whose records both carry
// a citizen ID number is known to be one person when the numbers agree (and the names at least
// nearly do) and two people when they differ; only the other pairs' classes are estimated.
// Without these labels EM takes twins (same surname, birth date, home and often phone) for one
// person. The thresholds are `thresholds`'.
Estimation EstimateModel(const PatternCounts& candidates, const PatternCounts& random_pairs,
                         int64_t records, const MatchModel& thresholds = {},
                         int max_iterations = 500);

}  // namespace kangyun::mpi
