#include "mpi/match_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace kangyun::mpi {
namespace {

constexpr double kFloor = 1e-7;  // no level is impossible: a zero would make a weight infinite

void Normalise(std::array<double, kMaxLevels>* row, int levels) {
  double sum = 0;
  for (int l = 1; l < levels; ++l) sum += (*row)[l] = std::max((*row)[l], kFloor);
  for (int l = 1; l < levels; ++l) (*row)[l] /= sum;
  (*row)[0] = 1;  // missing: weighs nothing
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

double MatchModel::Probability(const Comparison& c) const {
  double log_odds = TotalWeight(c) + std::log2(prior / (1 - prior));
  if (log_odds > 60) return 1;
  return 1 / (1 + std::exp2(-log_odds));
}

Grade GradeOf(const MatchModel& model, const Comparison& c, double probability) {
  const auto& l = c.levels;
  if (l[kCitizenId] == level::kDisagree) return Grade::kCertainlyNot;
  if (l[kCitizenId] == level::kAgree) {
    if (l[kName] >= level::kNameSimilar) return Grade::kCertain;
    return Grade::kProbable;
  }
  bool same_person_shape = l[kName] >= level::kNameSameSound &&
                           l[kBirthDate] >= level::kBirthSwapped && l[kSex] == level::kAgree &&
                           (l[kPhone] == level::kAgree || l[kAddress] == level::kAddressExact);
  if (probability >= model.certain && same_person_shape) return Grade::kCertain;
  if (probability >= model.probable) return Grade::kProbable;
  if (probability >= model.possible) return Grade::kPossible;
  return Grade::kCertainlyNot;
}

MatchModel MatchModel::Default() {
  PatternCounts none(kPatternCount, 1);
  return StartingModel(none);
}

MatchModel StartingModel(const PatternCounts& counts) {
  MatchModel start;
  for (int f = 0; f < kFieldCount; ++f) {
    int levels = kLevelCount[f];
    std::array<double, kMaxLevels> observed{};
    for (uint32_t p = 0; p < counts.size(); ++p)
      observed[Comparison::FromPattern(p).levels[f]] += static_cast<double>(counts[p]);
    start.u[f] = observed;
    Normalise(&start.u[f], levels);
    // The closest agreement is the likeliest among matches; each level below it less so.
    for (int lvl = 1; lvl < levels; ++lvl) start.m[f][lvl] = std::exp2(2.0 * lvl);
    Normalise(&start.m[f], levels);
  }
  start.prior = 0.05;
  return start;
}

Estimation EstimateModel(const PatternCounts& counts, const MatchModel& start, int max_iterations) {
  Estimation e;
  e.model = start;
  MatchModel& model = e.model;
  double previous = -INFINITY;
  std::vector<Comparison> patterns(counts.size());
  for (uint32_t p = 0; p < counts.size(); ++p) patterns[p] = Comparison::FromPattern(p);
  for (e.iterations = 0; e.iterations < max_iterations; ++e.iterations) {
    MatchModel::Table m_sum{}, u_sum{};
    double match_total = 0, total = 0, log_likelihood = 0;
    for (uint32_t p = 0; p < counts.size(); ++p) {
      if (!counts[p]) continue;
      double n = static_cast<double>(counts[p]);
      const Comparison& c = patterns[p];
      double pm = model.prior, pu = 1 - model.prior;
      for (int f = 0; f < kFieldCount; ++f) {
        pm *= model.m[f][c.levels[f]];
        pu *= model.u[f][c.levels[f]];
      }
      double g = pm / (pm + pu);  // P(match | pattern)
      // Pairs that both carry a citizen ID number are labelled by it (see EstimateModel).
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
    model.prior = std::clamp(match_total / total, 1e-9, 1 - 1e-9);
    for (int f = 0; f < kFieldCount; ++f) {
      model.m[f] = m_sum[f];
      model.u[f] = u_sum[f];
      Normalise(&model.m[f], kLevelCount[f]);
      Normalise(&model.u[f], kLevelCount[f]);
    }
    e.log_likelihood = log_likelihood;
    if (std::abs(log_likelihood - previous) <= 1e-9 * std::abs(log_likelihood)) break;
    previous = log_likelihood;
  }
  return e;
}

json::Value MatchModel::ToJson() const {
  json::Value out = json::Value::Object();
  out.Set("prior", Num(prior));
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
  if (!number(v.Find("prior"), &model.prior) || model.prior <= 0 || model.prior >= 1)
    return Invalid("match model: prior must be a number between 0 and 1");
  if (const json::Value* t = v.Find("thresholds")) {
    number(t->Find("certain"), &model.certain);
    number(t->Find("probable"), &model.probable);
    number(t->Find("possible"), &model.possible);
  }
  const json::Value* fields = v.Find("fields");
  if (!fields || fields->items().size() != kFieldCount)
    return Invalid("match model: fields must list the " + std::to_string(kFieldCount) + " fields");
  for (int f = 0; f < kFieldCount; ++f) {
    const json::Value& field = fields->items()[f];
    if (field.GetString("field") != FieldName(f))
      return Invalid(std::string("match model: field ") + std::to_string(f) + " must be " +
                     FieldName(f));
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
