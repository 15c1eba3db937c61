// The matching model the registry starts with: estimated by `kangyun mpi-eval` from a synthetic
// city of a million residents (docs/registries.md gives the command and the report):
//   kangyun generate --residents 1000000 --seed 20261124 --out city --types Patient
//   kangyun mpi-eval city --model-out model.json
// A registry with its own data re-estimates it the same way.
#include "json/json.h"
#include "mpi/match_model.h"

namespace kangyun::mpi {
namespace {

constexpr const char* kDefaultModel = R"json(
{
 "matchesPerRecord": 0.0935651824,
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
     "m": 0.00285189915,
     "u": 0.997941498,
     "weight": -8.45088847
    },
    {
     "level": "one-character-differs",
     "m": 0.0897130478,
     "u": 0.00201650202,
     "weight": 5.47539107
    },
    {
     "level": "same-pinyin",
     "m": 0.25465221,
     "u": 1.35000135e-05,
     "weight": 14.2032798
    },
    {
     "level": "same-characters",
     "m": 0.652782843,
     "u": 2.85000285e-05,
     "weight": 14.4833522
    }
   ]
  },
  {
   "field": "birth-date",
   "levels": [
    {
     "level": "disagree",
     "m": 1.08662091e-05,
     "u": 0.998938499,
     "weight": -16.4882595
    },
    {
     "level": "one-digit-differs",
     "m": 0.0337131127,
     "u": 0.00100990101,
     "weight": 5.06102404
    },
    {
     "level": "day-month-swapped",
     "m": 0.0426763361,
     "u": 1.37000137e-05,
     "weight": 11.6050433
    },
    {
     "level": "same",
     "m": 0.923599685,
     "u": 3.79000379e-05,
     "weight": 14.5727808
    }
   ]
  },
  {
   "field": "sex",
   "levels": [
    {
     "level": "disagree",
     "m": 0.000620502622,
     "u": 0.4995943,
     "weight": -9.65310399
    },
    {
     "level": "agree",
     "m": 0.999379497,
     "u": 0.5004057,
     "weight": 0.997934397
    }
   ]
  },
  {
   "field": "phone",
   "levels": [
    {
     "level": "disagree",
     "m": 0.201643175,
     "u": 0.9999997,
     "weight": -2.31012308
    },
    {
     "level": "agree",
     "m": 0.798356825,
     "u": 3.0000036e-07,
     "weight": 21.343638
    }
   ]
  },
  {
   "field": "address",
   "levels": [
    {
     "level": "disagree",
     "m": 0.0572683507,
     "u": 0.941304735,
     "weight": -4.03885189
    },
    {
     "level": "same-district",
     "m": 0.0649267075,
     "u": 0.0586951646,
     "weight": 0.145570395
    },
    {
     "level": "same-address",
     "m": 0.877804942,
     "u": 1.0000011e-07,
     "weight": 23.0654674
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
