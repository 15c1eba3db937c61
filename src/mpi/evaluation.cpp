#include "mpi/evaluation.h"

#include <algorithm>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "mpi/blocking.h"

namespace kangyun::mpi {

std::vector<CandidatePair> CandidatePairs(const std::vector<Person>& people, size_t max_block) {
  std::unordered_map<std::string, std::vector<uint32_t>> blocks;
  for (uint32_t i = 0; i < people.size(); ++i)
    for (std::string& key : BlockingKeys(people[i])) blocks[std::move(key)].push_back(i);
  std::unordered_set<uint64_t> seen;
  std::vector<CandidatePair> pairs;
  for (const auto& [key, members] : blocks) {
    if (members.size() < 2 || members.size() > max_block) continue;
    for (size_t x = 0; x < members.size(); ++x) {
      for (size_t y = x + 1; y < members.size(); ++y) {
        uint32_t a = std::min(members[x], members[y]), b = std::max(members[x], members[y]);
        if (!seen.insert(uint64_t{a} << 32 | b).second) continue;
        pairs.push_back({a, b, Compare(people[a], people[b])});
      }
    }
  }
  return pairs;
}

PatternCounts RandomPairPatterns(const std::vector<Person>& people, int64_t samples) {
  PatternCounts counts(kPatternCount, 0);
  if (people.size() < 2) return counts;
  std::mt19937_64 rng(20261124);  // fixed: the same population gives the same model
  std::uniform_int_distribution<size_t> pick(0, people.size() - 1);
  for (int64_t i = 0; i < samples; ++i) {
    size_t a = pick(rng), b = pick(rng);
    if (a == b) continue;
    ++counts[Compare(people[a], people[b]).Pattern()];
  }
  return counts;
}

PatternCounts CountPatterns(const std::vector<CandidatePair>& pairs) {
  PatternCounts counts(kPatternCount, 0);
  for (const CandidatePair& p : pairs) ++counts[p.comparison.Pattern()];
  return counts;
}

PopulationEstimate EstimateFromPopulation(const std::vector<Person>& people,
                                          const MatchModel& thresholds, size_t max_block,
                                          int64_t random_pairs) {
  PopulationEstimate out;
  out.pairs = CandidatePairs(people, max_block);
  out.estimation = EstimateModel(CountPatterns(out.pairs), RandomPairPatterns(people, random_pairs),
                                 static_cast<int64_t>(people.size()), thresholds);
  return out;
}

int64_t EvaluationReport::FalseMerges() const {
  auto it = grades.find(Grade::kCertain);
  return it == grades.end() ? 0 : it->second.pairs - it->second.same_person;
}

double EvaluationReport::Precision(bool with_probable) const {
  int64_t found = 0, right = 0;
  for (const auto& [grade, counts] : grades) {
    if (grade == Grade::kCertain || (with_probable && grade == Grade::kProbable)) {
      found += counts.pairs;
      right += counts.same_person;
    }
  }
  return found ? static_cast<double>(right) / static_cast<double>(found) : 1;
}

double EvaluationReport::Recall(bool with_probable) const {
  int64_t right = 0;
  for (const auto& [grade, counts] : grades)
    if (grade == Grade::kCertain || (with_probable && grade == Grade::kProbable))
      right += counts.same_person;
  return true_pairs ? static_cast<double>(right) / static_cast<double>(true_pairs) : 1;
}

double EvaluationReport::F1(bool with_probable) const {
  double p = Precision(with_probable), r = Recall(with_probable);
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

EvaluationReport Evaluate(const std::vector<Person>& people,
                          const std::vector<std::string>& person_of,
                          const std::vector<std::string>& errors_of, const MatchModel& thresholds,
                          size_t max_block, size_t examples, int64_t random_pairs) {
  EvaluationReport report;
  report.records = static_cast<int64_t>(people.size());
  std::unordered_map<std::string, std::vector<uint32_t>> records_of;
  for (uint32_t i = 0; i < person_of.size(); ++i) records_of[person_of[i]].push_back(i);
  report.people = static_cast<int64_t>(records_of.size());
  for (const auto& [person, records] : records_of) {
    int64_t n = static_cast<int64_t>(records.size());
    report.true_pairs += n * (n - 1) / 2;
  }

  auto [pairs, e] = EstimateFromPopulation(people, thresholds, max_block, random_pairs);
  report.candidate_pairs = static_cast<int64_t>(pairs.size());
  report.model = e.model;
  report.em_iterations = e.iterations;
  report.candidate_match_share = e.candidate_match_share;

  std::unordered_set<uint64_t> found_true;
  for (const CandidatePair& p : pairs) {
    bool same = person_of[p.a] == person_of[p.b];
    report.true_pairs_blocked += same;
    Grade g =
        GradeOf(report.model, p.comparison, report.model.Probability(p.comparison, report.records));
    GradeCounts& counts = report.grades[g];
    ++counts.pairs;
    counts.same_person += same;
    bool linked = g == Grade::kCertain || g == Grade::kProbable;
    if (same && linked) found_true.insert(uint64_t{p.a} << 32 | p.b);
    if (!same && linked && report.wrong_links.size() < examples) report.wrong_links.push_back(p);
    if (same && !linked && report.missed_links.size() < examples) report.missed_links.push_back(p);
  }
  for (const auto& [person, records] : records_of) {
    for (size_t x = 0; x < records.size(); ++x) {
      for (size_t y = x + 1; y < records.size(); ++y) {
        uint32_t a = std::min(records[x], records[y]), b = std::max(records[x], records[y]);
        std::string errors = errors_of[a].empty() ? errors_of[b] : errors_of[a];
        auto& [found, all] = report.recall_by_errors[errors];
        ++all;
        found += found_true.count(uint64_t{a} << 32 | b);
      }
    }
  }
  return report;
}

}  // namespace kangyun::mpi
