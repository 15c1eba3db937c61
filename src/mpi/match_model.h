// The Fellegi–Sunter model of record linkage (Fellegi and Sunter, JASA 1969): for each field
// and level of agreement, m = P(level | same person) and u = P(level | different people),
// estimated from unlabelled candidate pairs by expectation–maximisation under conditional
// independence (Winkler 1988). A pair's weight is the sum of log2(m/u) over its fields; with
// the prior share of matches among candidates it gives the probability that the two records
// are one person. Missing values weigh nothing: a field one side lacks is left out.
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
  double prior = 0.01;  // share of candidate pairs (from blocking) that are one person
  Table m{}, u{};
  // Probability thresholds of the grades (see GradeOf for the rules beside them).
  double certain = 0.9999, probable = 0.95, possible = 0.5;

  double Weight(int field, int level) const;
  // Sum of the fields' weights.
  double TotalWeight(const Comparison& c) const;
  // P(same person | comparison).
  double Probability(const Comparison& c) const;

  // The model estimated from the synthetic city (docs/registries.md says how); used until a
  // registry estimates its own with `kangyun mpi-eval --db`.
  static MatchModel Default();
  json::Value ToJson() const;
  static Result<MatchModel> FromJson(const json::Value& v);
};

// How sure a pair is, from its comparison and probability:
// - certainly-not: both have valid citizen ID numbers and they differ (the check character
//   catches every single-digit slip and swap of neighbours, so two valid numbers are two people);
// - certain: the same citizen ID number and a name that agrees at least as a slip of one
//   character; or, without it, a probability of at least `certain` with the same name
//   (characters or pinyin), the same birth date (or day and month swapped), the same sex and
//   either the same phone or the same street address. The name rule keeps twins apart.
// - probable and possible: the probability thresholds; a shared ID number with a different
//   name is probable at most, for an operator to look at.
Grade GradeOf(const MatchModel& model, const Comparison& c, double probability);

// Counts of comparison patterns (index Comparison::Pattern()) over candidate pairs.
using PatternCounts = std::vector<uint64_t>;

struct Estimation {
  MatchModel model;
  int iterations = 0;
  double log_likelihood = 0;
};
// EM from `start` (its thresholds are kept) until the log-likelihood gains less than 1e-9
// relative, or max_iterations. Semi-supervised: a pair whose records both carry a citizen ID
// number is known to be one person when the numbers agree (and the names at least nearly do)
// and two people when they differ; only the other pairs' classes are estimated. Without these
// labels EM takes twins (same surname, birth date, home and often phone) for one person and
// learns that a shared phone or address proves identity.
Estimation EstimateModel(const PatternCounts& counts, const MatchModel& start,
                         int max_iterations = 500);

// A starting point for EM that knows only which levels mean agreement: m favours agreement,
// u follows the observed frequencies.
MatchModel StartingModel(const PatternCounts& counts);

}  // namespace kangyun::mpi
