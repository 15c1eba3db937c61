// The institutions and health workers of a city of N residents, in the proportions of the
// national statistics: hospitals of three tiers, community and township health centres,
// village clinics, elder-care institutions, pharmacies, the insurer and the health commission;
// doctors, nurses, general practitioners and their family-doctor teams; beds; and the
// outpatient schedules residents book. Planned whole in memory (a few per thousand residents)
// before residents are generated, because residents refer to it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "synth/city_files.h"
#include "synth/names.h"
#include "synth/random.h"

namespace kangyun::synth {

enum class InstitutionKind {
  kTertiaryHospital,
  kSecondaryHospital,
  kPrimaryHospital,
  kCommunityCentre,
  kCommunityStation,
  kTownshipCentre,
  kVillageClinic,
  kElderCare,
  kPharmacy,
  kInsurer,
  kHealthCommission,
};

bool IsHospital(InstitutionKind kind);
// Community and township health centres: where family doctors and follow-ups are.
bool IsPrimaryCareCentre(InstitutionKind kind);

struct Institution {
  std::string id, site_id;  // Organization and its main Location
  InstitutionKind kind;
  int district = 0;  // index into Districts()
  std::string name;
  int parent = -1;  // a station's centre, a village clinic's township centre
  std::vector<std::string> bed_ids;
  std::vector<int> doctors, nurses, gps;  // indexes into City::workers
};

enum class Profession { kDoctor, kNurse, kVillageDoctor };

struct Worker {
  std::string practitioner_id, role_id;
  PersonName name;
  bool male = false;
  int institution = 0;
  int department = 0;  // index into Departments()
  Profession profession = Profession::kDoctor;
  bool gp = false;
  int second_institution = -1;  // 多点执业: a second practice site
};

struct FamilyDoctorTeam {
  std::string id;
  int institution = 0;
  int gp = 0, nurse = -1;  // workers
};

// One bookable outpatient slot.
struct SlotTime {
  std::string slot_id, schedule_id;
  int worker = 0;
  int64_t day = 0;  // days since the epoch
  int minute = 0;   // minute of the day it starts
};

class City {
 public:
  City(int64_t residents, uint64_t seed, int64_t as_of_day);

  void Write(CityFiles& files) const;
  // The slots, the first `booked` of them busy. Written after the residents booked them.
  void WriteSlots(CityFiles& files, int64_t booked) const;

  const std::vector<Institution>& institutions() const { return institutions_; }
  const std::vector<Worker>& workers() const { return workers_; }
  const std::vector<FamilyDoctorTeam>& teams() const { return teams_; }

  // Institutions a resident of `district` uses.
  int PrimaryCareCentre(int district, Rng& rng) const;
  int NearbyClinic(int district, Rng& rng) const;  // a station or village clinic, else centre
  int Hospital(Rng& rng) const;                    // by tier, as admissions are
  int OutpatientHospital(Rng& rng) const;          // by tier, as visits are
  int ElderCare(Rng& rng) const;
  int Team(int institution, Rng& rng) const;  // a family-doctor team of the centre, or -1
  int DoctorAt(int institution, Rng& rng) const;
  int64_t slot_count() const {
    return static_cast<int64_t>(slot_workers_.size()) * kSlotsPerSchedule;
  }
  SlotTime Slot(int64_t index) const;

  static constexpr int kScheduleDays = 7;
  static constexpr int kSlotsPerDay = 8;
  static constexpr int kSlotsPerSchedule = kScheduleDays * kSlotsPerDay;

 private:
  int AddInstitution(InstitutionKind kind, int district, Rng& rng);
  int AddWorker(int institution, Profession profession, int department, bool gp, Rng& rng);
  void WriteInstitution(CityFiles& files, const Institution& inst) const;
  void WriteWorker(CityFiles& files, const Worker& w, int index) const;

  uint64_t seed_;
  int64_t as_of_;
  std::vector<Institution> institutions_;
  std::vector<Worker> workers_;
  std::vector<FamilyDoctorTeam> teams_;
  std::vector<int> slot_workers_;  // hospital doctors with an outpatient schedule
  std::vector<std::vector<int>> by_kind_;
  std::vector<std::vector<int>> centres_by_district_, clinics_by_district_;
  std::vector<std::vector<int>> teams_by_institution_;
};

}  // namespace kangyun::synth
