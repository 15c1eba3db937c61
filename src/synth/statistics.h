// The published figures the synthetic city is drawn from, and the code lists it uses. Every
// figure names its source in docs/synthetic-city.md; approximate shapes are marked there.
#pragma once

#include <span>

namespace kangyun::synth {

struct Surname {
  const char* hanzi;
  const char* pinyin;
  double percent;  // share of the population
};

struct GivenNameChar {
  const char* hanzi;
  const char* pinyin;
  char sex;                // 'M', 'F', or 'U' for either
  const char* homophones;  // other common characters read the same ("" when none), UTF-8
};

struct AgeBand {
  int from, to;  // years, inclusive
  double percent;
};

struct District {
  const char* code;  // GB/T 2260
  const char* name;
  const char* name_en;
  double population_percent;
  bool urban;  // urban districts have community health centres, rural ones townships
};

struct ChronicCondition {
  const char* icd10;
  const char* display_zh;
  const char* display_en;
  double rate;  // prevalence among residents aged min_age and over
  int min_age;
  double age_slope;  // log relative risk per year of age (rates rise with age)
  bool sensitive;    // a category a resident may restrict sharing of (mental health, HIV)
};

struct LabTest {
  const char* loinc;
  const char* display_en;
  const char* display_zh;
  const char* unit;  // UCUM
  double mean, sd;
  int places;
};

struct Department {
  const char* code;  // 医疗机构诊疗科目名录
  const char* name;
  const char* name_en;
};

struct Vaccine {
  const char* cvx;
  const char* display_en;
  const char* display_zh;
  int age_months;  // when the national schedule gives the dose
};

struct Drug {
  const char* atc;
  const char* name_zh;
  const char* name_en;
  const char* dosage;  // resident-facing instruction, Chinese and English
};

std::span<const Surname> Surnames();
std::span<const GivenNameChar> GivenNameChars();
std::span<const AgeBand> AgePyramid();
std::span<const District> Districts();
std::span<const ChronicCondition> ChronicConditions();
std::span<const Department> Departments();
std::span<const Vaccine> ChildVaccines();
std::span<const char* const> MobilePrefixes();
std::span<const char* const> StreetNames();

// Published rates (see docs/synthetic-city.md for each source).
struct Rates {
  // 7th national census (2020): men per 100 women.
  double sex_ratio = 105.07;
  // 2023 statistical bulletin of health: per 1,000 residents.
  double beds_per_1000 = 7.23;
  double doctors_per_1000 = 3.40;
  double nurses_per_1000 = 4.00;
  double gps_per_1000 = 0.399;
  // Institutions per 1,000 residents (2023 bulletin counts over 1,409.67 million residents).
  double hospitals_per_1000 = 38355 / 1409670.0;
  double community_centres_per_1000 = 37177 / 1409670.0;
  double township_centres_per_1000 = 33753 / 1409670.0;
  double village_clinics_per_1000 = 581964 / 1409670.0;
  double elder_care_per_1000 = 41000 / 1409670.0;
  double pharmacies_per_1000 = 667000 / 1409670.0;
  // Visits and admissions per resident and year (2023 bulletin: 9.55 billion visits,
  // 301.873 million admissions; mean stay in hospital 8.8 days).
  double visits_per_year = 6.8;
  double admissions_per_year = 301.873 / 1409.67;
  double mean_stay_days = 8.8;
  // Share of visits made in hospitals (2023 bulletin: 4.26 of 9.55 billion).
  double hospital_visit_share = 4.26 / 9.55;
};

}  // namespace kangyun::synth
