#include "synth/city.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cn/systems.h"
#include "synth/calendar.h"
#include "synth/fhir_json.h"
#include "synth/format.h"
#include "synth/statistics.h"

namespace kangyun::synth {
namespace {

// The city's own random stream, apart from every resident's.
constexpr uint64_t kCityStream = 0xC17C17C17ULL;

// Hospitals by tier, as the 2023 bulletin counts them (about 10% tertiary, 31% secondary).
constexpr double kTertiaryShare = 0.10, kSecondaryShare = 0.31;
// Community health centres are about a quarter of centres and stations together.
constexpr double kCommunityCentreShare = 0.27;
// Beds of township health centres per 1,000 residents (2023: 1.505 million beds).
constexpr double kTownshipBedsPer1000 = 1505000 / 1409670.0;
// Share of tertiary and secondary visits and admissions (of all hospital ones).
constexpr double kTertiaryVisitShare = 0.61, kSecondaryVisitShare = 0.31;
constexpr double kTertiaryAdmissionShare = 0.45, kSecondaryAdmissionShare = 0.42;
constexpr double kMultiSitePracticeShare = 0.05;

constexpr const char* kTownNames[] = {"安仁", "三道堰", "花源", "石板滩", "五凤", "福洪",
                                      "永商", "桤泉",   "平乐", "大同",   "安西", "金龙"};
constexpr const char* kVillageNames[] = {"红光", "新民", "和平", "胜利", "建设",
                                         "光明", "团结", "先锋", "幸福", "联合"};
constexpr const char* kPharmacyBrands[] = {"益康", "仁和", "康济", "同心", "百草"};
// Inpatient departments (indexes into Departments()) and outpatient-only ones.
constexpr int kWardDepartments[] = {1, 2, 3, 4};  // 内科 外科 妇产科 儿科
constexpr int kClinicDepartments[] = {1, 2, 3, 4, 5, 6, 7, 10};

struct KindInfo {
  const char* code;
  const char* display;
  const char* hl7_type;  // http://terminology.hl7.org/CodeSystem/organization-type
};

KindInfo Info(InstitutionKind kind) {
  switch (kind) {
    case InstitutionKind::kTertiaryHospital:
    case InstitutionKind::kSecondaryHospital:
    case InstitutionKind::kPrimaryHospital:
      return {"hospital", "医院 Hospital", "prov"};
    case InstitutionKind::kCommunityCentre:
      return {"community-health-centre", "社区卫生服务中心 Community health centre", "prov"};
    case InstitutionKind::kCommunityStation:
      return {"community-health-station", "社区卫生服务站 Community health station", "prov"};
    case InstitutionKind::kTownshipCentre:
      return {"township-health-centre", "乡镇卫生院 Township health centre", "prov"};
    case InstitutionKind::kVillageClinic:
      return {"village-clinic", "村卫生室 Village clinic", "prov"};
    case InstitutionKind::kElderCare:
      return {"elder-care", "养老机构 Elder-care institution", "prov"};
    case InstitutionKind::kPharmacy:
      return {"pharmacy", "零售药店 Pharmacy", "prov"};
    case InstitutionKind::kInsurer:
      return {"insurer", "医疗保障部门 Health insurer", "ins"};
    case InstitutionKind::kHealthCommission:
      return {"health-commission", "卫生健康委员会 Health commission", "govt"};
  }
  return {"", "", ""};
}

int Scaled(double per_1000, int64_t residents, int minimum) {
  return std::max(minimum, static_cast<int>(std::lround(per_1000 * residents / 1000.0)));
}

std::string Phone(Rng& rng) {
  return Format("028-%08lld", static_cast<long long>(rng.Between(80000000, 89999999)));
}

// Organization.address is a list, Location.address a single Address.
void WriteAddress(JsonWriter& w, const District& d, const std::string& line, bool as_list) {
  if (as_list)
    w.BeginArray("address").BeginObject();
  else
    w.BeginObject("address");
  w.Field("use", "work").Field("text", std::string("四川省成都市") + d.name + line);
  w.BeginArray("line").String(line).EndArray();
  w.Field("city", "成都市").Field("district", d.name).Field("state", "四川省");
  w.Field("country", "CN").EndObject();
  if (as_list) w.EndArray();
}

}  // namespace

bool IsHospital(InstitutionKind kind) {
  return kind == InstitutionKind::kTertiaryHospital ||
         kind == InstitutionKind::kSecondaryHospital || kind == InstitutionKind::kPrimaryHospital;
}

bool IsPrimaryCareCentre(InstitutionKind kind) {
  return kind == InstitutionKind::kCommunityCentre || kind == InstitutionKind::kTownshipCentre;
}

City::City(int64_t residents, uint64_t seed, int64_t as_of_day) : seed_(seed), as_of_(as_of_day) {
  Rng rng(seed, kCityStream);
  Rates rates;
  auto districts = Districts();
  by_kind_.resize(static_cast<int>(InstitutionKind::kHealthCommission) + 1);
  centres_by_district_.resize(districts.size());
  clinics_by_district_.resize(districts.size());
  std::vector<double> urban_w, rural_w, all_w;
  for (const District& d : districts) {
    urban_w.push_back(d.urban ? d.population_percent : 0);
    rural_w.push_back(d.urban ? 0 : d.population_percent);
    all_w.push_back(d.population_percent);
  }
  auto add_many = [&](InstitutionKind kind, int count, const std::vector<double>& where) {
    for (int i = 0; i < count; ++i)
      AddInstitution(kind, static_cast<int>(rng.Weighted(where)), rng);
  };

  double hospitals = rates.hospitals_per_1000 * residents / 1000.0;
  add_many(InstitutionKind::kTertiaryHospital,
           std::max(1, static_cast<int>(std::lround(hospitals * kTertiaryShare))), urban_w);
  add_many(InstitutionKind::kSecondaryHospital,
           std::max(1, static_cast<int>(std::lround(hospitals * kSecondaryShare))), all_w);
  add_many(InstitutionKind::kPrimaryHospital,
           std::max(1, static_cast<int>(
                           std::lround(hospitals * (1 - kTertiaryShare - kSecondaryShare)))),
           all_w);
  double community = rates.community_centres_per_1000 * residents / 1000.0;
  add_many(InstitutionKind::kCommunityCentre,
           std::max(1, static_cast<int>(std::lround(community * kCommunityCentreShare))), urban_w);
  add_many(InstitutionKind::kCommunityStation,
           std::max(1, static_cast<int>(std::lround(community * (1 - kCommunityCentreShare)))),
           urban_w);
  add_many(InstitutionKind::kTownshipCentre, Scaled(rates.township_centres_per_1000, residents, 1),
           rural_w);
  add_many(InstitutionKind::kVillageClinic, Scaled(rates.village_clinics_per_1000, residents, 2),
           rural_w);
  add_many(InstitutionKind::kElderCare, Scaled(rates.elder_care_per_1000, residents, 1), all_w);
  add_many(InstitutionKind::kPharmacy, Scaled(rates.pharmacies_per_1000, residents, 1), all_w);
  AddInstitution(InstitutionKind::kInsurer, 0, rng);
  AddInstitution(InstitutionKind::kHealthCommission, 0, rng);

  // Stations belong to a community centre, village clinics to a township centre: the one in
  // their district when there is one.
  for (Institution& inst : institutions_) {
    InstitutionKind parent_kind;
    if (inst.kind == InstitutionKind::kCommunityStation)
      parent_kind = InstitutionKind::kCommunityCentre;
    else if (inst.kind == InstitutionKind::kVillageClinic)
      parent_kind = InstitutionKind::kTownshipCentre;
    else
      continue;
    const auto& candidates = by_kind_[static_cast<int>(parent_kind)];
    inst.parent = candidates.front();
    for (int c : candidates)
      if (institutions_[c].district == inst.district) inst.parent = c;
  }

  // Beds: township centres get theirs, hospitals the rest by tier.
  int total_beds = Scaled(rates.beds_per_1000, residents, 1);
  int township_beds = Scaled(kTownshipBedsPer1000, residents, 1);
  std::vector<int> hospital_ids;
  std::vector<double> bed_weight;
  for (size_t i = 0; i < institutions_.size(); ++i) {
    InstitutionKind k = institutions_[i].kind;
    if (!IsHospital(k)) continue;
    hospital_ids.push_back(static_cast<int>(i));
    bed_weight.push_back(k == InstitutionKind::kTertiaryHospital    ? 12
                         : k == InstitutionKind::kSecondaryHospital ? 4
                                                                    : 1);
  }
  int bed_counter = 0;
  auto add_beds = [&](int inst, int count) {
    for (int b = 0; b < count; ++b)
      institutions_[inst].bed_ids.push_back(Format("bed-%d", ++bed_counter));
  };
  for (int b = 0; b < std::max(1, total_beds - township_beds); ++b)
    add_beds(hospital_ids[rng.Weighted(bed_weight)], 1);
  const auto& townships = by_kind_[static_cast<int>(InstitutionKind::kTownshipCentre)];
  for (int b = 0; b < township_beds; ++b) add_beds(townships[rng.Below(townships.size())], 1);

  // Health workers: a GP in every primary-care centre and a doctor in every hospital first,
  // then the rest where the beds are.
  std::vector<int> centres;
  for (size_t i = 0; i < institutions_.size(); ++i)
    if (IsPrimaryCareCentre(institutions_[i].kind)) centres.push_back(static_cast<int>(i));
  int gps = Scaled(rates.gps_per_1000, residents, static_cast<int>(centres.size()));
  for (int g = 0; g < gps; ++g)
    AddWorker(centres[g % centres.size()], Profession::kDoctor, 0, true, rng);
  std::vector<double> staff_weight;
  for (int h : hospital_ids) staff_weight.push_back(1.0 + institutions_[h].bed_ids.size());
  int doctors = Scaled(rates.doctors_per_1000, residents, 1) - gps;
  for (int d = 0; d < std::max<int>(doctors, hospital_ids.size()); ++d) {
    int h = d < static_cast<int>(hospital_ids.size()) ? hospital_ids[d]
                                                      : hospital_ids[rng.Weighted(staff_weight)];
    int dept = kClinicDepartments[rng.Below(std::size(kClinicDepartments))];
    AddWorker(h, Profession::kDoctor, dept, false, rng);
  }
  int nurses = Scaled(rates.nurses_per_1000, residents, 1);
  for (int n = 0; n < nurses; ++n) {
    bool in_centre = n < static_cast<int>(centres.size()) || rng.Chance(0.15);
    int at = in_centre ? centres[n % centres.size()] : hospital_ids[rng.Weighted(staff_weight)];
    int dept = in_centre ? 0 : kWardDepartments[rng.Below(std::size(kWardDepartments))];
    AddWorker(at, Profession::kNurse, dept, false, rng);
  }
  for (int v : by_kind_[static_cast<int>(InstitutionKind::kVillageClinic)])
    AddWorker(v, Profession::kVillageDoctor, 0, false, rng);

  // Family-doctor teams: a GP and a nurse of the same centre.
  teams_by_institution_.resize(institutions_.size());
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (!workers_[i].gp) continue;
    FamilyDoctorTeam team;
    team.id = Format("team-%zu", teams_.size() + 1);
    team.institution = workers_[i].institution;
    team.gp = static_cast<int>(i);
    const auto& nurses_there = institutions_[team.institution].nurses;
    if (!nurses_there.empty()) team.nurse = nurses_there[teams_.size() % nurses_there.size()];
    teams_by_institution_[team.institution].push_back(static_cast<int>(teams_.size()));
    teams_.push_back(team);
  }
  for (Worker& w : workers_) {
    if (w.profession == Profession::kDoctor && !w.gp && rng.Chance(kMultiSitePracticeShare))
      w.second_institution = centres[rng.Below(centres.size())];
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    const Worker& w = workers_[i];
    bool outpatient = w.profession == Profession::kDoctor && !w.gp &&
                      IsHospital(institutions_[w.institution].kind);
    if (outpatient) slot_workers_.push_back(static_cast<int>(i));
  }
}

int City::AddInstitution(InstitutionKind kind, int district, Rng& rng) {
  const District& d = Districts()[district];
  Institution inst;
  inst.kind = kind;
  inst.district = district;
  int n = static_cast<int>(by_kind_[static_cast<int>(kind)].size()) + 1;
  const char* town = kTownNames[rng.Below(std::size(kTownNames))];
  const char* street = StreetNames()[rng.Below(StreetNames().size())];
  switch (kind) {
    case InstitutionKind::kTertiaryHospital:
      inst.name = Format("成都市第%d人民医院", n);
      break;
    case InstitutionKind::kSecondaryHospital:
      inst.name = n % 3 == 0 ? Format("%s中医医院", d.name) : Format("%s第%d人民医院", d.name, n);
      break;
    case InstitutionKind::kPrimaryHospital:
      inst.name = Format("%s%s医院", d.name, street);
      break;
    case InstitutionKind::kCommunityCentre:
      inst.name = Format("%s%s街道社区卫生服务中心", d.name, street);
      break;
    case InstitutionKind::kCommunityStation:
      inst.name = Format("%s%s社区卫生服务站", d.name, street);
      break;
    case InstitutionKind::kTownshipCentre:
      inst.name = Format("%s%s镇卫生院", d.name, town);
      break;
    case InstitutionKind::kVillageClinic:
      inst.name =
          Format("%s镇%s村卫生室", town, kVillageNames[rng.Below(std::size(kVillageNames))]);
      break;
    case InstitutionKind::kElderCare:
      inst.name = Format("%s第%d养老院", d.name, n);
      break;
    case InstitutionKind::kPharmacy:
      inst.name = Format("%s大药房（%s%d店）",
                         kPharmacyBrands[rng.Below(std::size(kPharmacyBrands))], d.name, n);
      break;
    case InstitutionKind::kInsurer:
      inst.name = "成都市医疗保障局";
      break;
    case InstitutionKind::kHealthCommission:
      inst.name = "成都市卫生健康委员会";
      break;
  }
  int index = static_cast<int>(institutions_.size());
  inst.id = Format("org-%d", index + 1);
  inst.site_id = Format("site-%d", index + 1);
  by_kind_[static_cast<int>(kind)].push_back(index);
  if (IsPrimaryCareCentre(kind)) centres_by_district_[district].push_back(index);
  if (kind == InstitutionKind::kCommunityStation || kind == InstitutionKind::kVillageClinic)
    clinics_by_district_[district].push_back(index);
  institutions_.push_back(std::move(inst));
  return index;
}

int City::AddWorker(int institution, Profession profession, int department, bool gp, Rng& rng) {
  Worker w;
  w.male = profession == Profession::kNurse ? rng.Chance(0.03) : rng.Chance(0.5);
  w.name = DrawName(rng, w.male);
  w.institution = institution;
  w.department = department;
  w.profession = profession;
  w.gp = gp;
  int index = static_cast<int>(workers_.size());
  w.practitioner_id = Format("prac-%d", index + 1);
  w.role_id = Format("role-%d", index + 1);
  Institution& inst = institutions_[institution];
  (profession == Profession::kNurse ? inst.nurses : inst.doctors).push_back(index);
  if (gp) inst.gps.push_back(index);
  workers_.push_back(std::move(w));
  return index;
}

int City::PrimaryCareCentre(int district, Rng& rng) const {
  const auto& here = centres_by_district_[district];
  if (!here.empty()) return here[rng.Below(here.size())];
  bool urban = Districts()[district].urban;
  const auto& any = by_kind_[static_cast<int>(urban ? InstitutionKind::kCommunityCentre
                                                    : InstitutionKind::kTownshipCentre)];
  return any[rng.Below(any.size())];
}

int City::NearbyClinic(int district, Rng& rng) const {
  const auto& here = clinics_by_district_[district];
  if (!here.empty()) return here[rng.Below(here.size())];
  return PrimaryCareCentre(district, rng);
}

int City::Hospital(Rng& rng) const {
  double r = rng.Real();
  InstitutionKind kind = r < kTertiaryAdmissionShare ? InstitutionKind::kTertiaryHospital
                         : r < kTertiaryAdmissionShare + kSecondaryAdmissionShare
                             ? InstitutionKind::kSecondaryHospital
                             : InstitutionKind::kPrimaryHospital;
  const auto& list = by_kind_[static_cast<int>(kind)];
  return list[rng.Below(list.size())];
}

int City::OutpatientHospital(Rng& rng) const {
  double r = rng.Real();
  InstitutionKind kind = r < kTertiaryVisitShare ? InstitutionKind::kTertiaryHospital
                         : r < kTertiaryVisitShare + kSecondaryVisitShare
                             ? InstitutionKind::kSecondaryHospital
                             : InstitutionKind::kPrimaryHospital;
  const auto& list = by_kind_[static_cast<int>(kind)];
  return list[rng.Below(list.size())];
}

int City::ElderCare(Rng& rng) const {
  const auto& list = by_kind_[static_cast<int>(InstitutionKind::kElderCare)];
  return list[rng.Below(list.size())];
}

int City::Team(int institution, Rng& rng) const {
  const auto& list = teams_by_institution_[institution];
  if (list.empty()) return -1;
  return list[rng.Below(list.size())];
}

int City::DoctorAt(int institution, Rng& rng) const {
  const auto& list = institutions_[institution].doctors;
  if (list.empty()) return -1;
  return list[rng.Below(list.size())];
}

SlotTime City::Slot(int64_t index) const {
  SlotTime s;
  int64_t schedule = index / kSlotsPerSchedule;
  int within = static_cast<int>(index % kSlotsPerSchedule);
  s.worker = slot_workers_[schedule];
  s.schedule_id = Format("schedule-%lld", static_cast<long long>(schedule + 1));
  s.slot_id = Format("slot-%lld", static_cast<long long>(index + 1));
  // Mornings, 08:00 to 12:00 in half hours, from the day after the city's date.
  s.day = as_of_ + 1 + within / kSlotsPerDay;
  s.minute = 8 * 60 + 30 * (within % kSlotsPerDay);
  return s;
}

void City::Write(CityFiles& files) const {
  for (const Institution& inst : institutions_) WriteInstitution(files, inst);
  for (size_t i = 0; i < workers_.size(); ++i) WriteWorker(files, workers_[i], static_cast<int>(i));
  std::string out;
  for (const FamilyDoctorTeam& team : teams_) {
    out.clear();
    JsonWriter w(&out);
    const Worker& gp = workers_[team.gp];
    w.BeginObject().Field("resourceType", "CareTeam").Field("id", team.id);
    w.Field("status", "active");
    WriteConceptList(w, "category", "http://loinc.org", "LA28865-6",
                     "Longitudinal care-coordination focused care team", "家庭医生团队");
    w.Field("name", "家庭医生团队（" + gp.name.text() + "）");
    w.BeginArray("participant");
    w.BeginObject();
    WriteConceptList(w, "role", cn::kServiceTypeSystem, "family-doctor", "家庭医生 Family doctor");
    WriteReference(w, "member", "Practitioner/" + gp.practitioner_id);
    w.EndObject();
    if (team.nurse >= 0) {
      w.BeginObject();
      WriteConceptList(w, "role", cn::kServiceTypeSystem, "community-nurse",
                       "社区护士 Community nurse");
      WriteReference(w, "member", "Practitioner/" + workers_[team.nurse].practitioner_id);
      w.EndObject();
    }
    w.EndArray();
    w.BeginArray("managingOrganization");
    WriteReferenceItem(w, "Organization/" + institutions_[team.institution].id);
    w.EndArray().EndObject();
    files.Write("CareTeam", team.id, out);
  }
  // One outpatient schedule per hospital doctor, for the week after the city's date.
  for (size_t s = 0; s < slot_workers_.size(); ++s) {
    const Worker& doc = workers_[slot_workers_[s]];
    const Department& dept = Departments()[doc.department];
    out.clear();
    JsonWriter w(&out);
    std::string id = Format("schedule-%zu", s + 1);
    w.BeginObject().Field("resourceType", "Schedule").Field("id", id).Field("active", true);
    WriteConceptList(w, "serviceType", cn::kServiceTypeSystem, "outpatient", "门诊 Outpatient");
    WriteConceptList(w, "specialty", cn::kDepartmentSystem, dept.code,
                     std::string(dept.name) + " " + dept.name_en);
    w.BeginArray("actor");
    WriteReferenceItem(w, "PractitionerRole/" + doc.role_id);
    WriteReferenceItem(w, "Location/" + institutions_[doc.institution].site_id);
    w.EndArray();
    WritePeriod(w, "planningHorizon", FormatDateTime(as_of_ + 1, 0),
                FormatDateTime(as_of_ + 1 + kScheduleDays, 0));
    w.EndObject();
    files.Write("Schedule", id, out);
  }
}

void City::WriteSlots(CityFiles& files, int64_t booked) const {
  std::string out;
  for (int64_t i = 0; i < slot_count(); ++i) {
    SlotTime s = Slot(i);
    out.clear();
    JsonWriter w(&out);
    w.BeginObject().Field("resourceType", "Slot").Field("id", s.slot_id);
    WriteConceptList(w, "serviceType", cn::kServiceTypeSystem, "outpatient", "门诊 Outpatient");
    WriteReference(w, "schedule", "Schedule/" + s.schedule_id);
    w.Field("status", i < booked ? "busy" : "free");
    w.Field("start", FormatDateTime(s.day, s.minute));
    w.Field("end", FormatDateTime(s.day, s.minute + 30));
    w.EndObject();
    files.Write("Slot", s.slot_id, out);
  }
}

void City::WriteInstitution(CityFiles& files, const Institution& inst) const {
  Rng rng(seed_ ^ kCityStream, static_cast<uint64_t>(&inst - institutions_.data()));
  const District& d = Districts()[inst.district];
  KindInfo info = Info(inst.kind);
  std::string line = Format("%s%d号", StreetNames()[rng.Below(StreetNames().size())],
                            static_cast<int>(rng.Between(1, 999)));
  double lat = 30.66 + (rng.Real() - 0.5) * 0.6, lon = 104.06 + (rng.Real() - 0.5) * 0.8;
  std::string out;
  {
    JsonWriter w(&out);
    w.BeginObject().Field("resourceType", "Organization").Field("id", inst.id);
    w.BeginArray("identifier");
    WriteIdentifier(w, cn::kInstitutionCodeSystem,
                    Format("%s%05d", d.code, std::stoi(inst.id.substr(4))));
    w.EndArray();
    w.Field("active", true);
    w.BeginArray("type");
    WriteConceptItem(w, cn::kInstitutionTypeSystem, info.code, info.display);
    WriteConceptItem(w, "http://terminology.hl7.org/CodeSystem/organization-type", info.hl7_type,
                     "");
    if (IsHospital(inst.kind)) {
      bool tertiary = inst.kind == InstitutionKind::kTertiaryHospital;
      bool secondary = inst.kind == InstitutionKind::kSecondaryHospital;
      bool first_grade = rng.Chance(0.5);
      const char* code = tertiary    ? (first_grade ? "3A" : "3B")
                         : secondary ? (first_grade ? "2A" : "2B")
                                     : "1";
      const char* display =
          tertiary ? (first_grade ? "三级甲等 Tertiary grade A" : "三级乙等 Tertiary grade B")
          : secondary ? (first_grade ? "二级甲等 Secondary grade A" : "二级乙等 Secondary grade B")
                      : "一级 Primary";
      WriteConceptItem(w, cn::kHospitalLevelSystem, code, display);
    }
    w.EndArray();
    w.Field("name", inst.name);
    w.BeginArray("telecom").BeginObject().Field("system", "phone").Field("value", Phone(rng));
    w.Field("use", "work").EndObject().EndArray();
    WriteAddress(w, d, line, true);
    if (inst.parent >= 0)
      WriteReference(w, "partOf", "Organization/" + institutions_[inst.parent].id);
    w.EndObject();
    files.Write("Organization", inst.id, out);
  }
  // The site, its wards and beds.
  out.clear();
  {
    JsonWriter w(&out);
    w.BeginObject().Field("resourceType", "Location").Field("id", inst.site_id);
    w.Field("status", "active").Field("name", inst.name).Field("mode", "instance");
    WriteConcept(w, "physicalType", "http://terminology.hl7.org/CodeSystem/location-physical-type",
                 "si", "Site");
    WriteAddress(w, d, line, false);
    w.BeginObject("position").Key("longitude").Decimal(lon, 5).Key("latitude").Decimal(lat, 5);
    w.EndObject();
    WriteReference(w, "managingOrganization", "Organization/" + inst.id);
    w.EndObject();
    files.Write("Location", inst.site_id, out);
  }
  int wards = IsHospital(inst.kind) ? static_cast<int>(std::size(kWardDepartments)) : 1;
  for (int ward = 0; ward < wards && !inst.bed_ids.empty(); ++ward) {
    const Department& dept = Departments()[IsHospital(inst.kind) ? kWardDepartments[ward] : 0];
    std::string ward_id = inst.site_id + "-ward-" + std::to_string(ward + 1);
    out.clear();
    {
      JsonWriter w(&out);
      w.BeginObject().Field("resourceType", "Location").Field("id", ward_id);
      w.Field("status", "active").Field("name", inst.name + " " + dept.name + "病区");
      w.Field("mode", "instance");
      WriteConceptList(w, "type", cn::kDepartmentSystem, dept.code,
                       std::string(dept.name) + " " + dept.name_en);
      WriteConcept(w, "physicalType",
                   "http://terminology.hl7.org/CodeSystem/location-physical-type", "wa", "Ward");
      WriteReference(w, "managingOrganization", "Organization/" + inst.id);
      WriteReference(w, "partOf", "Location/" + inst.site_id);
      w.EndObject();
      files.Write("Location", ward_id, out);
    }
    for (size_t b = ward; b < inst.bed_ids.size(); b += wards) {
      out.clear();
      JsonWriter w(&out);
      w.BeginObject().Field("resourceType", "Location").Field("id", inst.bed_ids[b]);
      w.Field("status", "active").Field("name", Format("%s %zu床", dept.name, b / wards + 1));
      w.Field("mode", "instance");
      WriteConcept(w, "physicalType",
                   "http://terminology.hl7.org/CodeSystem/location-physical-type", "bd", "Bed");
      WriteReference(w, "managingOrganization", "Organization/" + inst.id);
      WriteReference(w, "partOf", "Location/" + ward_id);
      w.EndObject();
      files.Write("Location", inst.bed_ids[b], out);
    }
  }
  // The services it offers (IHE mCSD HealthcareService).
  std::vector<std::pair<const char*, const char*>> services;
  if (IsHospital(inst.kind))
    services = {{"outpatient", "门诊 Outpatient"},
                {"inpatient", "住院 Inpatient"},
                {"emergency", "急诊 Emergency"}};
  else if (IsPrimaryCareCentre(inst.kind))
    services = {{"outpatient", "门诊 Outpatient"},
                {"family-doctor", "家庭医生签约 Family-doctor contracting"},
                {"immunization", "预防接种 Immunisation"},
                {"chronic-disease", "慢病管理 Chronic-disease management"}};
  else if (inst.kind == InstitutionKind::kElderCare)
    services = {{"elder-care", "养老照护 Elder care"}};
  else if (inst.kind == InstitutionKind::kPharmacy)
    services = {{"dispensing", "药品调剂 Dispensing"}};
  else if (inst.kind == InstitutionKind::kCommunityStation ||
           inst.kind == InstitutionKind::kVillageClinic)
    services = {{"outpatient", "门诊 Outpatient"}};
  for (size_t i = 0; i < services.size(); ++i) {
    std::string id = inst.id + "-service-" + std::to_string(i + 1);
    out.clear();
    JsonWriter w(&out);
    w.BeginObject().Field("resourceType", "HealthcareService").Field("id", id);
    w.Field("active", true);
    WriteReference(w, "providedBy", "Organization/" + inst.id);
    WriteConceptList(w, "type", cn::kServiceTypeSystem, services[i].first, services[i].second);
    w.BeginArray("location");
    WriteReferenceItem(w, "Location/" + inst.site_id);
    w.EndArray();
    w.Field(
        "name",
        inst.name + " " +
            std::string(services[i].second).substr(0, std::string(services[i].second).find(' ')));
    w.EndObject();
    files.Write("HealthcareService", id, out);
  }
}

void City::WriteWorker(CityFiles& files, const Worker& worker, int index) const {
  Rng rng(seed_ ^ (kCityStream + 1), static_cast<uint64_t>(index));
  const Department& dept = Departments()[worker.department];
  bool nurse = worker.profession == Profession::kNurse;
  bool village = worker.profession == Profession::kVillageDoctor;
  int64_t birth = as_of_ - static_cast<int64_t>(rng.Between(25, 60) * 365.25) - rng.Below(365);
  std::string out;
  {
    JsonWriter w(&out);
    w.BeginObject().Field("resourceType", "Practitioner").Field("id", worker.practitioner_id);
    w.BeginArray("identifier");
    WriteIdentifier(w, cn::kPractitionerLicenceSystem,
                    Format("%s%09d", nurse ? "N" : "D", index + 1));
    w.EndArray();
    w.Field("active", true);
    w.BeginArray("name");
    w.BeginObject().Field("use", "official").Field("text", worker.name.text());
    w.Field("family", worker.name.family).BeginArray("given").String(worker.name.given).EndArray();
    w.EndObject();
    w.EndArray();
    w.Field("gender", worker.male ? "male" : "female");
    w.Field("birthDate", FormatDate(birth));
    w.BeginArray("qualification").BeginObject();
    const char* qual_code = nurse ? "RN" : village ? "VD" : "MD";
    const char* qual_text = nurse     ? "注册护士 Registered nurse"
                            : village ? "乡村医生 Village doctor"
                            : worker.gp ? "执业医师（全科） Licensed physician, general practice"
                                        : "执业医师 Licensed physician";
    if (village)
      WriteConcept(w, "code", cn::kServiceTypeSystem, qual_code, qual_text, qual_text);
    else
      WriteConcept(w, "code", "http://terminology.hl7.org/CodeSystem/v2-0360", qual_code, "",
                   qual_text);
    WriteReference(w, "issuer", "Organization/" + institutions_.back().id);
    w.EndObject().EndArray();
    w.EndObject();
    files.Write("Practitioner", worker.practitioner_id, out);
  }
  auto write_role = [&](const std::string& role_id, int institution) {
    out.clear();
    JsonWriter w(&out);
    w.BeginObject().Field("resourceType", "PractitionerRole").Field("id", role_id);
    w.Field("active", true);
    WriteReference(w, "practitioner", "Practitioner/" + worker.practitioner_id);
    WriteReference(w, "organization", "Organization/" + institutions_[institution].id);
    WriteConceptList(w, "code", "http://terminology.hl7.org/CodeSystem/practitioner-role",
                     nurse ? "nurse" : "doctor", nurse ? "Nurse" : "Doctor");
    WriteConceptList(w, "specialty", cn::kDepartmentSystem, dept.code,
                     std::string(dept.name) + " " + dept.name_en);
    w.BeginArray("location");
    WriteReferenceItem(w, "Location/" + institutions_[institution].site_id);
    w.EndArray();
    w.EndObject();
    files.Write("PractitionerRole", role_id, out);
  };
  write_role(worker.role_id, worker.institution);
  if (worker.second_institution >= 0) write_role(worker.role_id + "-2", worker.second_institution);
}

}  // namespace kangyun::synth
