// The matching model the registry starts with: estimated by `kangyun mpi-eval` from a synthetic
// city of a million residents (docs/registries.md gives the command and the report):
//   kangyun generate --residents 1000000 --seed 20261124 --out city --types Patient
//   kangyun mpi-eval city --model-out model.json
// A registry with its own data re-estimates it with `kangyun mpi-estimate` and serves with
// `--match-model`.
#include "json/json.h"
#include "mpi/match_model.h"

namespace kangyun::mpi {
namespace {

constexpr const char* kDefaultModel = R"json(
{
 "matchesPerRecord": 0.0924117906,
 "thresholds": {
  "certain": 0.9999,
  "probable": 0.95,
  "possible": 0.5
 },
 "fields": [
  {
   "field": "citizen-id",
   "levels": [
    {
     "level": "disagree",
     "m": 1.37756227e-05,
     "u": 0.999999692,
     "weight": -16.1475225
    },
    {
     "level": "agree",
     "m": 0.999986224,
     "u": 3.07693633e-07,
     "weight": 21.6319822
    }
   ]
  },
  {
   "field": "name",
   "levels": [
    {
     "level": "disagree",
     "m": 0.00288418729,
     "u": 0.997941498,
     "weight": -8.43464658
    },
    {
     "level": "one-character-differs",
     "m": 0.0906398717,
     "u": 0.00201650202,
     "weight": 5.49021907
    },
    {
     "level": "same-pinyin",
     "m": 0.257411852,
     "u": 1.35000135e-05,
     "weight": 14.21883
    },
    {
     "level": "same-characters",
     "m": 0.649064089,
     "u": 2.85000285e-05,
     "weight": 14.47511
    }
   ]
  },
  {
   "field": "birth-date",
   "levels": [
    {
     "level": "disagree",
     "m": 1.02043493e-05,
     "u": 0.998938499,
     "weight": -16.5789241
    },
    {
     "level": "one-digit-differs",
     "m": 0.0328322431,
     "u": 0.00100990101,
     "weight": 5.02282752
    },
    {
     "level": "day-month-swapped",
     "m": 0.0389193221,
     "u": 1.37000137e-05,
     "weight": 11.4720935
    },
    {
     "level": "same",
     "m": 0.928238231,
     "u": 3.79000379e-05,
     "weight": 14.5800082
    }
   ]
  },
  {
   "field": "sex",
   "levels": [
    {
     "level": "disagree",
     "m": 0.000543388942,
     "u": 0.4995943,
     "weight": -9.84455609
    },
    {
     "level": "agree",
     "m": 0.999456611,
     "u": 0.5004057,
     "weight": 0.998045713
    }
   ]
  },
  {
   "field": "phone",
   "levels": [
    {
     "level": "disagree",
     "m": 0.195979363,
     "u": 0.9999997,
     "weight": -2.35122592
    },
    {
     "level": "agree",
     "m": 0.804020637,
     "u": 3.0000036e-07,
     "weight": 21.3538369
    }
   ]
  },
  {
   "field": "address",
   "levels": [
    {
     "level": "disagree",
     "m": 0.0556069408,
     "u": 0.941304735,
     "weight": -4.08132498
    },
    {
     "level": "same-district",
     "m": 0.0633051776,
     "u": 0.0586951646,
     "weight": 0.109081843
    },
    {
     "level": "same-address",
     "m": 0.881087882,
     "u": 1.0000011e-07,
     "weight": 23.0708529
    }
   ]
  }
 ]
}
)json";

}  // namespace

MatchModel MatchModel::Default() {
  // The text is part of the source and parses; a failure here is a broken build, not input.
  auto model = FromJson(json::Parse(kDefaultModel).value());
  return model.value();
}

}  // namespace kangyun::mpi
