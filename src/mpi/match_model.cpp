#include "mpi/match_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace kangyun::mpi {
namespace {

constexpr double kFloor = 1e-9;  // no level is impossible: a zero would make a weight infinite

void Normalise(std::array<double, kMaxLevels>* row, int levels) {
  double sum = 0;
  for (int l = 1; l < levels; ++l) sum += (*row)[l] = std::max((*row)[l], kFloor);
  for (int l = 1; l < levels; ++l) (*row)[l] /= sum;
  (*row)[0] = 1;  // missing: weighs nothing
}

// Frequencies of each field's levels in `counts`, missing left out, with half a pseudo-count per
// level (Jeffreys) so that a level never seen in the sample is rare rather than impossible.
MatchModel::Table LevelFrequencies(const PatternCounts& counts) {
  MatchModel::Table t{};
  for (uint32_t p = 0; p < counts.size(); ++p) {
    if (!counts[p]) continue;
    Comparison c = Comparison::FromPattern(p);
    for (int f = 0; f < kFieldCount; ++f) t[f][c.levels[f]] += static_cast<double>(counts[p]);
  }
  for (int f = 0; f < kFieldCount; ++f) {
    for (int l = 1; l < kLevelCount[f]; ++l) t[f][l] += 0.5;
    Normalise(&t[f], kLevelCount[f]);
  }
  return t;
}

json::Value Num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return json::Value::Number(buf);
}

}  // namespace

const char* GradeCode(Grade g) {
  switch (g) {
    case Grade::kCertain:
      return "certain";
    case Grade::kProbable:
      return "probable";
    case Grade::kPossible:
      return "possible";
    case Grade::kCertainlyNot:
      return "certainly-not";
  }
  return "certainly-not";
}

double MatchModel::Weight(int field, int lvl) const {
  if (lvl == level::kMissing) return 0;
  return std::log2(m[field][lvl] / u[field][lvl]);
}

double MatchModel::TotalWeight(const Comparison& c) const {
  double w = 0;
  for (int f = 0; f < kFieldCount; ++f) w += Weight(f, c.levels[f]);
  return w;
}

double MatchModel::Probability(const Comparison& c, int64_t records) const {
  double prior = std::clamp(
      matches_per_record / static_cast<double>(std::max(records, kMinimumPopulation) - 1), 1e-15,
      0.5);
  double log_odds = TotalWeight(c) + std::log2(prior / (1 - prior));
  if (log_odds > 60) return 1;
  if (log_odds < -60) return 0;
  return 1 / (1 + std::exp2(-log_odds));
}

Grade GradeOf(const MatchModel& model, const Comparison& c, double probability) {
  const auto& l = c.levels;
  if (l[kCitizenId] == level::kDisagree) return Grade::kCertainlyNot;
  if (l[kCitizenId] == level::kAgree || c.shared_identifier) {
    if (l[kName] >= level::kNameSimilar) return Grade::kCertain;
    return Grade::kProbable;
  }
  bool same_person_shape = l[kName] == level::kNameExact && l[kBirthDate] >= level::kBirthSwapped &&
                           l[kSex] == level::kAgree &&
                           (l[kPhone] == level::kAgree || l[kAddress] == level::kAddressExact);
  if (probability >= model.certain && same_person_shape) return Grade::kCertain;
  if (probability >= model.probable) return Grade::kProbable;
  if (probability >= model.possible) return Grade::kPossible;
  return Grade::kCertainlyNot;
}

Estimation EstimateModel(const PatternCounts& candidates, const PatternCounts& random_pairs,
                         int64_t records, const MatchModel& thresholds, int max_iterations) {
  Estimation e;
  // EM's own u describes candidate pairs (what blocking brought together); it classifies them
  // and is then dropped for the population's u.
  MatchModel::Table m{}, u_candidates = LevelFrequencies(candidates);
  for (int f = 0; f < kFieldCount; ++f) {
    // Start: the closest agreement is the likeliest among matches, each level below it less so.
    for (int lvl = 1; lvl < kLevelCount[f]; ++lvl) m[f][lvl] = std::exp2(2.0 * lvl);
    Normalise(&m[f], kLevelCount[f]);
  }
  double share = 0.05, previous = -INFINITY, match_total = 0;
  std::vector<Comparison> patterns(candidates.size());
  for (uint32_t p = 0; p < candidates.size(); ++p) patterns[p] = Comparison::FromPattern(p);
  for (e.iterations = 0; e.iterations < max_iterations; ++e.iterations) {
    MatchModel::Table m_sum{}, u_sum{};
    double total = 0, log_likelihood = 0;
    match_total = 0;
    for (uint32_t p = 0; p < candidates.size(); ++p) {
      if (!candidates[p]) continue;
      double n = static_cast<double>(candidates[p]);
      const Comparison& c = patterns[p];
      double pm = share, pu = 1 - share;
      for (int f = 0; f < kFieldCount; ++f) {
        pm *= m[f][c.levels[f]];
        pu *= u_candidates[f][c.levels[f]];
      }
      double g = pm / (pm + pu);  // P(match | pattern)
      if (c.levels[kCitizenId] == level::kDisagree) g = 0;
      if (c.levels[kCitizenId] == level::kAgree && c.levels[kName] >= level::kNameSimilar) g = 1;
      log_likelihood += n * std::log(pm + pu);
      match_total += n * g;
      total += n;
      for (int f = 0; f < kFieldCount; ++f) {
        m_sum[f][c.levels[f]] += n * g;
        u_sum[f][c.levels[f]] += n * (1 - g);
      }
    }
    if (total == 0) break;
    share = std::clamp(match_total / total, 1e-12, 1 - 1e-12);
    for (int f = 0; f < kFieldCount; ++f) {
      // Jeffreys' half pseudo-count again: an error the data never showed is rare, not impossible.
      for (int l = 1; l < kLevelCount[f]; ++l) m_sum[f][l] += 0.5, u_sum[f][l] += 0.5;
      m[f] = m_sum[f];
      u_candidates[f] = u_sum[f];
      Normalise(&m[f], kLevelCount[f]);
      Normalise(&u_candidates[f], kLevelCount[f]);
    }
    if (std::abs(log_likelihood - previous) <= 1e-9 * std::abs(log_likelihood)) break;
    previous = log_likelihood;
  }
  e.candidate_match_share = share;
  MatchModel& model = e.model;
  model = thresholds;
  model.m = m;
  model.u = LevelFrequencies(random_pairs);
  // Each one-person pair holds two records: per record, 2 * pairs / records other records.
  model.matches_per_record = records > 0 ? 2 * match_total / static_cast<double>(records) : 0.05;
  return e;
}

json::Value MatchModel::ToJson() const {
  json::Value out = json::Value::Object();
  out.Set("matchesPerRecord", Num(matches_per_record));
  json::Value thresholds = json::Value::Object();
  thresholds.Set("certain", Num(certain));
  thresholds.Set("probable", Num(probable));
  thresholds.Set("possible", Num(possible));
  out.Set("thresholds", std::move(thresholds));
  json::Value fields = json::Value::Array();
  for (int f = 0; f < kFieldCount; ++f) {
    json::Value field = json::Value::Object();
    field.Set("field", json::Value::String(FieldName(f)));
    json::Value levels = json::Value::Array();
    for (int l = 1; l < kLevelCount[f]; ++l) {
      json::Value lv = json::Value::Object();
      lv.Set("level", json::Value::String(LevelName(f, l)));
      lv.Set("m", Num(m[f][l]));
      lv.Set("u", Num(u[f][l]));
      lv.Set("weight", Num(Weight(f, l)));
      levels.Push(std::move(lv));
    }
    field.Set("levels", std::move(levels));
    fields.Push(std::move(field));
  }
  out.Set("fields", std::move(fields));
  return out;
}

Result<MatchModel> MatchModel::FromJson(const json::Value& v) {
  MatchModel model;
  auto number = [](const json::Value* n, double* out) {
    if (!n || !n->is_number()) return false;
    *out = std::strtod(n->str().c_str(), nullptr);
    return true;
  };
  if (!number(v.Find("matchesPerRecord"), &model.matches_per_record) ||
      model.matches_per_record <= 0)
    return Invalid("match model: matchesPerRecord must be a positive number");
  if (const json::Value* t = v.Find("thresholds")) {
    number(t->Find("certain"), &model.certain);
    number(t->Find("probable"), &model.probable);
    number(t->Find("possible"), &model.possible);
  }
  if (!(0 < model.possible && model.possible <= model.probable && model.probable <= model.certain &&
        model.certain <= 1))
    return Invalid("match model: thresholds must hold 0 < possible <= probable <= certain <= 1");
  const json::Value* fields = v.Find("fields");
  if (!fields || fields->items().size() != kFieldCount)
    return Invalid("match model: fields must list the " + std::to_string(kFieldCount) + " fields");
  for (int f = 0; f < kFieldCount; ++f) {
    const json::Value& field = fields->items()[f];
    if (field.GetString("field") != FieldName(f))
      return Invalid("match model: field " + std::to_string(f) + " must be " + FieldName(f));
    const json::Value* levels = field.Find("levels");
    if (!levels || static_cast<int>(levels->items().size()) != kLevelCount[f] - 1)
      return Invalid(std::string("match model: wrong number of levels for ") + FieldName(f));
    for (int l = 1; l < kLevelCount[f]; ++l) {
      const json::Value& lv = levels->items()[l - 1];
      if (!number(lv.Find("m"), &model.m[f][l]) || !number(lv.Find("u"), &model.u[f][l]) ||
          model.m[f][l] <= 0 || model.u[f][l] <= 0)
        return Invalid(std::string("match model: m and u of ") + FieldName(f) +
                       " must be positive numbers");
    }
    model.m[f][0] = model.u[f][0] = 1;
  }
  return model;
}

}  // namespace kangyun::mpi
