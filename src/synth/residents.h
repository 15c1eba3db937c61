// The residents of the city and their lifelong records: demographics and identifiers, chronic
// conditions at published prevalences, a year of care (outpatient, inpatient, emergency and
// home visits, chronic-disease follow-ups, annual checks of the elderly) with consistent
// measurements, medications, immunisations, allergies, family-doctor contracts and booked
// appointments; and, for a share of them, a second registration with typical errors.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "synth/city.h"
#include "synth/city_files.h"

namespace kangyun::synth {

struct ResidentOptions {
  uint64_t seed = 1;
  int64_t as_of_day = 0;  // the city's date; care happens in the year before it
  double duplicate_share = 0.05;
};

class ResidentWriter {
 public:
  ResidentWriter(const City& city, ResidentOptions options);

  // Writes resident `index` (0-based) with every record of theirs; the number of resources
  // written. REQUIRES: called with index 0, 1, 2, ... in order (ID sequence numbers and
  // appointment slots are handed out in that order).
  int64_t Write(int64_t index, CityFiles& files);

  int64_t booked_slots() const { return booked_slots_; }
  static std::string PatientId(int64_t index);

  // The share of residents aged min_age and over who have `condition` (for tests).
  double ConditionRate(size_t condition, int age) const;

 private:
  struct Resident;
  class Record;

  // The next citizen ID number of someone born in Districts()[birth_district] on birth_day.
  std::string NewCitizenId(int birth_district, int64_t birth_day, bool male);

  const City& city_;
  ResidentOptions options_;
  std::vector<double> condition_scale_;   // per chronic condition, calibrated to its rate
  std::vector<double> age_weights_;       // per year of age 0..99
  std::vector<double> district_weights_;  // population shares of Districts()
  // Visit and admission factors averaged over the age pyramid, to normalise them.
  double mean_visit_factor_ = 1, mean_admission_factor_ = 1;
  // Citizen ID sequence numbers given so far, per (birth region, birth day).
  std::unordered_map<uint64_t, uint16_t> id_sequences_;
  int64_t booked_slots_ = 0;
};

}  // namespace kangyun::synth
