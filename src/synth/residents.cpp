#include "synth/residents.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "cn/citizen_id.h"
#include "cn/systems.h"
#include "synth/calendar.h"
#include "synth/fhir_json.h"
#include "synth/format.h"
#include "synth/statistics.h"

namespace kangyun::synth {
namespace {

constexpr const char* kActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
constexpr const char* kObservationCategory =
    "http://terminology.hl7.org/CodeSystem/observation-category";
constexpr const char* kConditionClinical =
    "http://terminology.hl7.org/CodeSystem/condition-clinical";
constexpr const char* kConditionVerification =
    "http://terminology.hl7.org/CodeSystem/condition-ver-status";
constexpr const char* kConditionCategory =
    "http://terminology.hl7.org/CodeSystem/condition-category";

// Relative visit and admission rates by age, normalised over the age pyramid below.
double VisitFactor(int age) {
  return age < 5 ? 2.0 : age < 15 ? 0.6 : age < 45 ? 0.55 : age < 65 ? 1.0 : 1.9;
}
double AdmissionFactor(int age) { return age < 5 ? 1.3 : age < 45 ? 0.6 : age < 65 ? 1.0 : 2.5; }

struct AcuteReason {
  const char* icd10;
  const char* display;
  const char* atc;  // what is prescribed for it, or ""
  const char* drug;
  double weight;
};
constexpr AcuteReason kAcuteReasons[] = {
    {"J06.9", "急性上呼吸道感染 Acute upper respiratory infection", "N02BE01",
     "对乙酰氨基酚片 Paracetamol tablets", 40},
    {"K29.7", "胃炎 Gastritis, unspecified", "A02BC01", "奥美拉唑肠溶胶囊 Omeprazole capsules", 15},
    {"M54.5", "腰痛 Low back pain", "M01AE01", "布洛芬缓释胶囊 Ibuprofen capsules", 15},
    {"J20.9", "急性支气管炎 Acute bronchitis", "J01CA04", "阿莫西林胶囊 Amoxicillin capsules", 10},
    {"L30.9", "皮炎 Dermatitis, unspecified", "D07AA02", "氢化可的松乳膏 Hydrocortisone cream", 10},
    {"H10.9", "结膜炎 Conjunctivitis, unspecified", "S01AE05",
     "左氧氟沙星滴眼液 Levofloxacin eye drops", 10},
};
constexpr AcuteReason kEmergencyReasons[] = {
    {"R07.4", "胸痛 Chest pain, unspecified", "", "", 30},
    {"R50.9", "发热 Fever, unspecified", "N02BE01", "对乙酰氨基酚片 Paracetamol tablets", 40},
    {"T14.9", "损伤 Injury, unspecified", "", "", 30},
};
constexpr AcuteReason kAdmissionReasons[] = {
    {"J18.9", "肺炎 Pneumonia, unspecified", "J01DD04", "头孢曲松钠注射液 Ceftriaxone injection",
     40},
    {"K35.8", "急性阑尾炎 Acute appendicitis", "J01DD04", "头孢曲松钠注射液 Ceftriaxone injection",
     15},
    {"S72.0", "股骨颈骨折 Fracture of neck of femur", "", "", 10},
    {"O80", "单胎顺产 Single spontaneous delivery", "", "", 0},
};

// What a chronic condition is treated with (ATC), in the order of ChronicConditions().
struct ChronicDrug {
  const char* atc;
  const char* name;
  const char* dosage;
};
constexpr ChronicDrug kChronicDrugs[] = {
    {"C08CA01", "苯磺酸氨氯地平片 Amlodipine tablets", "每日一次，每次5mg 5 mg once daily"},
    {"A10BA02", "盐酸二甲双胍片 Metformin tablets", "每日两次，每次0.5g 0.5 g twice daily"},
    {"C10AA05", "阿托伐他汀钙片 Atorvastatin tablets", "每晚一次，每次20mg 20 mg every night"},
    {"R03BB04", "噻托溴铵吸入粉雾剂 Tiotropium inhalation powder",
     "每日一次，每次1吸 One inhalation once daily"},
    {"", "", ""},
    {"B01AC06", "阿司匹林肠溶片 Aspirin tablets", "每日一次，每次100mg 100 mg once daily"},
    {"B01AC04", "硫酸氢氯吡格雷片 Clopidogrel tablets", "每日一次，每次75mg 75 mg once daily"},
    {"R03AK07", "布地奈德福莫特罗吸入粉雾剂 Budesonide/formoterol inhaler",
     "每日两次，每次1吸 One inhalation twice daily"},
    {"N06AB06", "盐酸舍曲林片 Sertraline tablets", "每日一次，每次50mg 50 mg once daily"},
    {"J05AF10", "恩替卡韦片 Entecavir tablets", "每日一次，每次0.5mg 0.5 mg once daily"},
    {"J05AR11", "替诺福韦/拉米夫定/依非韦伦 Tenofovir/lamivudine/efavirenz",
     "每日一次，每次1片 One tablet once daily"},
};
constexpr size_t kHypertension = 0, kDiabetes = 1, kDyslipidaemia = 2, kCkd = 4, kCoronary = 5,
                 kStroke = 6;

struct Allergen {
  const char* atc;
  const char* display;
  double weight;
};
constexpr Allergen kAllergens[] = {
    {"J01C", "青霉素类 Penicillins", 60},
    {"J01D", "头孢菌素类 Cephalosporins", 20},
    {"J01E", "磺胺类 Sulfonamides", 20},
};

enum class VisitKind { kOutpatient, kFollowUp, kElderCheck, kInpatient, kEmergency };

struct Visit {
  VisitKind kind;
  int institution = 0;
  int doctor = -1;  // worker
  int64_t day = 0;
  int minute = 0;
  int stay_days = 0;
  bool home = false;
  const AcuteReason* reason = nullptr;
  size_t chronic = SIZE_MAX;  // the chronic condition a visit is about
};

template <size_t N>
const AcuteReason& Pick(const AcuteReason (&reasons)[N], Rng& rng) {
  double weights[N];
  for (size_t i = 0; i < N; ++i) weights[i] = reasons[i].weight;
  return reasons[rng.Weighted(weights)];
}

double Clamp(double v, double lo, double hi) { return std::max(lo, std::min(hi, v)); }

}  // namespace

struct ResidentWriter::Resident {
  int64_t index = 0;
  std::string id;
  bool male = false;
  int64_t birth_day = 0;
  int age = 0;
  PersonName name;
  int district = 0;
  std::string address_line, phone, citizen_id, health_card;
  std::vector<bool> has;
  std::vector<int64_t> onset;
  std::vector<std::string> condition_ids;
  // Personal levels that every measurement of the year scatters around.
  double sbp = 0, dbp = 0, hr = 0, height = 0, weight = 0;
  double fpg = 0, hba1c = 0, tc = 0, tg = 0, hdl = 0, ldl = 0, creatinine = 0, alt = 0;
  double hgb = 0, wbc = 0, plt = 0;
  int centre = 0, team = -1;
  bool contracted = false;
  std::vector<int> seen;  // institutions, for their medical record numbers
};

// Writes the resources of one resident, numbering them within the resident.
class ResidentWriter::Record {
 public:
  // `tag` keeps the ids of a second registration apart from the first's.
  Record(const City& city, const Resident& r, Rng& rng, CityFiles& files, int64_t as_of,
         const char* tag = "")
      : city_(city), r_(r), rng_(rng), files_(files), as_of_(as_of), tag_(tag) {}

  int64_t written() const { return written_; }

  std::string NewId(const char* prefix) {
    return Format("%s-%lld%s-%d", prefix, static_cast<long long>(r_.index + 1), tag_, ++sequence_);
  }
  void Emit(const char* type, const std::string& id) {
    files_.Write(type, id, out_);
    ++written_;
  }
  std::string PatientRef() const { return "Patient/" + r_.id; }
  std::string InstitutionRef(int inst) const {
    return "Organization/" + city_.institutions()[inst].id;
  }

  // The start of a resource of type `type` with id `id`, or a new id when empty; the id.
  std::string Begin(const char* type, const char* prefix, JsonWriter& w, std::string id = {}) {
    out_.clear();
    if (id.empty()) id = NewId(prefix);
    w.BeginObject().Field("resourceType", type).Field("id", id);
    return id;
  }

  std::string Condition(const std::string& given_id, const char* icd10, const char* display,
                        int64_t onset, bool chronic, bool sensitive, const std::string& encounter,
                        int recorder) {
    JsonWriter w(&out_);
    std::string id = Begin("Condition", "cond", w, given_id);
    if (sensitive) {
      // A sensitive category (psychiatry, HIV) that consent rules can restrict.
      bool hiv = std::string_view(icd10) == "B24";
      w.BeginObject("meta").BeginArray("security");
      WriteCoding(w, "http://terminology.hl7.org/CodeSystem/v3-ActCode", hiv ? "HIV" : "PSY",
                  hiv ? "HIV/AIDS information sensitivity" : "psychiatry information sensitivity");
      w.EndArray().EndObject();
    }
    bool active = chronic || onset + 14 > as_of_;
    WriteConcept(w, "clinicalStatus", kConditionClinical, active ? "active" : "resolved", "");
    WriteConcept(w, "verificationStatus", kConditionVerification, "confirmed", "");
    WriteConceptList(w, "category", kConditionCategory,
                     chronic ? "problem-list-item" : "encounter-diagnosis", "");
    std::string_view d(display);
    size_t space = d.find(' ');
    std::string zh(space == std::string_view::npos ? d : d.substr(0, space));
    WriteConcept(w, "code", cn::kIcd10System, icd10,
                 space == std::string_view::npos ? d : d.substr(space + 1), zh);
    WriteReference(w, "subject", PatientRef());
    if (!encounter.empty()) WriteReference(w, "encounter", "Encounter/" + encounter);
    w.Field("onsetDateTime", FormatDate(onset));
    if (!active) w.Field("abatementDateTime", FormatDate(onset + 7 + rng_.Below(8)));
    w.Field("recordedDate", FormatDate(std::max(onset, as_of_ - 365)));
    if (recorder >= 0)
      WriteReference(w, "recorder", "Practitioner/" + city_.workers()[recorder].practitioner_id);
    w.EndObject();
    Emit("Condition", id);
    return id;
  }

  std::string Encounter(const Visit& v, const std::string& reason_condition) {
    JsonWriter w(&out_);
    std::string id = Begin("Encounter", "enc", w);
    w.Field("status", "finished");
    const char* cls = v.kind == VisitKind::kInpatient   ? "IMP"
                      : v.kind == VisitKind::kEmergency ? "EMER"
                      : v.home                          ? "HH"
                                                        : "AMB";
    const char* cls_display = v.kind == VisitKind::kInpatient   ? "inpatient encounter"
                              : v.kind == VisitKind::kEmergency ? "emergency"
                              : v.home                          ? "home health"
                                                                : "ambulatory";
    w.Key("class");
    WriteCoding(w, kActCode, cls, cls_display);
    if (v.kind == VisitKind::kFollowUp)
      WriteConceptList(w, "type", cn::kServiceTypeSystem, "chronic-disease-follow-up",
                       "慢病随访 Chronic-disease follow-up");
    else if (v.kind == VisitKind::kElderCheck)
      WriteConceptList(w, "type", cn::kServiceTypeSystem, "elderly-health-check",
                       "老年人健康体检 Annual health check of the elderly");
    else if (v.doctor >= 0) {
      const Department& dept = Departments()[city_.workers()[v.doctor].department];
      WriteConceptList(w, "type", cn::kDepartmentSystem, dept.code,
                       std::string(dept.name) + " " + dept.name_en);
    }
    WriteReference(w, "subject", PatientRef());
    if (v.doctor >= 0) {
      w.BeginArray("participant").BeginObject();
      WriteReference(w, "individual", "Practitioner/" + city_.workers()[v.doctor].practitioner_id);
      w.EndObject().EndArray();
    }
    int duration = v.kind == VisitKind::kInpatient ? 0 : v.home ? 40 : 20;
    WritePeriod(w, "period", FormatDateTime(v.day, v.minute),
                v.kind == VisitKind::kInpatient ? FormatDateTime(v.day + v.stay_days, 10 * 60)
                                                : FormatDateTime(v.day, v.minute + duration));
    if (!reason_condition.empty()) {
      w.BeginArray("reasonReference");
      WriteReferenceItem(w, "Condition/" + reason_condition);
      w.EndArray();
    }
    const Institution& inst = city_.institutions()[v.institution];
    if (v.kind == VisitKind::kInpatient) {
      if (!reason_condition.empty()) {
        w.BeginArray("diagnosis").BeginObject();
        WriteReference(w, "condition", "Condition/" + reason_condition);
        WriteConcept(w, "use", "http://terminology.hl7.org/CodeSystem/diagnosis-role", "DD",
                     "Discharge diagnosis");
        w.Field("rank", 1).EndObject().EndArray();
      }
      w.BeginObject("hospitalization");
      WriteConcept(w, "dischargeDisposition",
                   "http://terminology.hl7.org/CodeSystem/discharge-disposition", "home", "Home");
      w.EndObject();
    }
    std::string location = inst.site_id;
    if (v.kind == VisitKind::kInpatient && !inst.bed_ids.empty())
      location = inst.bed_ids[rng_.Below(static_cast<int64_t>(inst.bed_ids.size()))];
    if (!v.home) {
      w.BeginArray("location").BeginObject();
      WriteReference(w, "location", "Location/" + location);
      w.EndObject().EndArray();
    }
    WriteReference(w, "serviceProvider", InstitutionRef(v.institution));
    w.EndObject();
    Emit("Encounter", id);
    return id;
  }

  // One measurement (or a blood-pressure panel when `diastolic` > 0).
  std::string Observation(const char* category, const char* loinc, const char* display,
                          double value, int places, const char* unit, const Visit& v,
                          const std::string& encounter, double diastolic = 0) {
    JsonWriter w(&out_);
    std::string id = Begin("Observation", "obs", w);
    w.Field("status", "final");
    WriteConceptList(w, "category", kObservationCategory, category,
                     std::string_view(category) == "vital-signs" ? "Vital Signs" : "Laboratory");
    WriteConcept(w, "code", cn::kLoincSystem, loinc, display);
    WriteReference(w, "subject", PatientRef());
    WriteReference(w, "encounter", "Encounter/" + encounter);
    w.Field("effectiveDateTime", FormatDateTime(v.day, v.minute + 5));
    if (v.doctor >= 0) {
      w.BeginArray("performer");
      WriteReferenceItem(w, "Practitioner/" + city_.workers()[v.doctor].practitioner_id);
      w.EndArray();
    }
    if (diastolic > 0) {
      w.BeginArray("component");
      w.BeginObject();
      WriteConcept(w, "code", cn::kLoincSystem, "8480-6", "Systolic blood pressure");
      WriteQuantity(w, "valueQuantity", value, 0, "mm[Hg]");
      w.EndObject().BeginObject();
      WriteConcept(w, "code", cn::kLoincSystem, "8462-4", "Diastolic blood pressure");
      WriteQuantity(w, "valueQuantity", diastolic, 0, "mm[Hg]");
      w.EndObject().EndArray();
    } else {
      WriteQuantity(w, "valueQuantity", value, places, unit);
    }
    w.EndObject();
    Emit("Observation", id);
    return id;
  }

  void Vitals(const Visit& v, const std::string& encounter) {
    double sbp = std::round(Clamp(rng_.Normal(r_.sbp, 8), 85, 220));
    double dbp = std::round(Clamp(rng_.Normal(r_.dbp, 6), 45, 130));
    Observation("vital-signs", "85354-9", "Blood pressure panel with all children optional", sbp, 0,
                "mm[Hg]", v, encounter, dbp);
    Observation("vital-signs", "8867-4", "Heart rate",
                std::round(Clamp(rng_.Normal(r_.hr, 6), 45, 160)), 0, "/min", v, encounter);
  }

  void BodyMeasures(const Visit& v, const std::string& encounter) {
    double weight = Clamp(rng_.Normal(r_.weight, 1.0), 3, 180);
    Observation("vital-signs", "8302-2", "Body height", r_.height, 1, "cm", v, encounter);
    Observation("vital-signs", "29463-7", "Body weight", weight, 1, "kg", v, encounter);
    Observation("vital-signs", "39156-5", "Body mass index (BMI) [Ratio]",
                weight / (r_.height / 100) / (r_.height / 100), 1, "kg/m2", v, encounter);
  }

  struct Test {
    const char* loinc;
    const char* display;
    double value;
    int places;
    const char* unit;
  };

  void Report(const char* panel_loinc, const char* panel_display, std::vector<Test> tests,
              const Visit& v, const std::string& encounter) {
    std::vector<std::string> results;
    for (const Test& t : tests)
      results.push_back(
          Observation("laboratory", t.loinc, t.display, t.value, t.places, t.unit, v, encounter));
    JsonWriter w(&out_);
    std::string id = Begin("DiagnosticReport", "rpt", w);
    w.Field("status", "final");
    WriteConceptList(w, "category", "http://terminology.hl7.org/CodeSystem/v2-0074", "LAB",
                     "Laboratory");
    WriteConcept(w, "code", cn::kLoincSystem, panel_loinc, panel_display);
    WriteReference(w, "subject", PatientRef());
    WriteReference(w, "encounter", "Encounter/" + encounter);
    w.Field("effectiveDateTime", FormatDateTime(v.day, v.minute + 5));
    w.Field("issued", FormatDateTime(v.day, std::min(v.minute + 180, 23 * 60)));
    w.BeginArray("performer");
    WriteReferenceItem(w, InstitutionRef(v.institution));
    w.EndArray();
    w.BeginArray("result");
    for (const std::string& r : results) WriteReferenceItem(w, "Observation/" + r);
    w.EndArray().EndObject();
    Emit("DiagnosticReport", id);
  }

  double Scatter(double level, double relative_sd, double lo, double hi) {
    return Clamp(rng_.Normal(level, level * relative_sd), lo, hi);
  }

  void LabPanel(int which, const Visit& v, const std::string& encounter) {
    switch (which) {
      case 0:
        Report("58410-2", "CBC panel - Blood by Automated count",
               {{"718-7", "Hemoglobin [Mass/volume] in Blood", Scatter(r_.hgb, 0.04, 60, 200), 0,
                 "g/L"},
                {"6690-2", "Leukocytes [#/volume] in Blood by Automated count",
                 Scatter(r_.wbc, 0.12, 1, 30), 1, "10*9/L"},
                {"777-3", "Platelets [#/volume] in Blood by Automated count",
                 Scatter(r_.plt, 0.08, 20, 800), 0, "10*9/L"}},
               v, encounter);
        break;
      case 1:
        Report("57698-3", "Lipid panel with direct LDL - Serum or Plasma",
               {{"14647-2", "Cholesterol [Moles/volume] in Serum or Plasma",
                 Scatter(r_.tc, 0.06, 1.5, 15), 2, "mmol/L"},
                {"14927-8", "Triglyceride [Moles/volume] in Serum or Plasma",
                 Scatter(r_.tg, 0.15, 0.2, 20), 2, "mmol/L"},
                {"14646-4", "Cholesterol in HDL [Moles/volume] in Serum or Plasma",
                 Scatter(r_.hdl, 0.06, 0.3, 4), 2, "mmol/L"},
                {"22748-8", "Cholesterol in LDL [Moles/volume] in Serum or Plasma",
                 Scatter(r_.ldl, 0.08, 0.3, 10), 2, "mmol/L"}},
               v, encounter);
        break;
      case 2:
        Report("24362-6", "Renal function 2000 panel - Serum or Plasma",
               {{"14682-9", "Creatinine [Moles/volume] in Serum or Plasma",
                 Scatter(r_.creatinine, 0.07, 20, 1500), 0, "umol/L"}},
               v, encounter);
        break;
      case 3:
        Report(
            "24325-3", "Hepatic function panel - Serum or Plasma",
            {{"1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
              Scatter(r_.alt, 0.15, 3, 800), 0, "U/L"}},
            v, encounter);
        break;
      default:
        Glucose(v, encounter, true);
        break;
    }
  }

  void Glucose(const Visit& v, const std::string& encounter, bool with_hba1c) {
    Observation("laboratory", "14771-0", "Fasting glucose [Moles/volume] in Serum or Plasma",
                Scatter(r_.fpg, 0.08, 2.5, 30), 1, "mmol/L", v, encounter);
    if (with_hba1c)
      Observation("laboratory", "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood",
                  Scatter(r_.hba1c, 0.04, 3.5, 16), 1, "%", v, encounter);
  }

  void Imaging(const Visit& v, const std::string& encounter) {
    JsonWriter w(&out_);
    std::string id = Begin("ImagingStudy", "img", w);
    bool ct = rng_.Chance(0.35);
    std::string uid = Format("2.25.%llu%llu", static_cast<unsigned long long>(r_.index + 1),
                             static_cast<unsigned long long>(rng_.Next() % 1000000000000ULL));
    w.BeginArray("identifier");
    WriteIdentifier(w, "urn:dicom:uid", "urn:oid:" + uid);
    w.EndArray();
    w.Field("status", "available");
    w.BeginArray("modality");
    WriteCoding(w, cn::kDicomSystem, ct ? "CT" : "DX",
                ct ? "Computed Tomography" : "Digital Radiography");
    w.EndArray();
    WriteReference(w, "subject", PatientRef());
    WriteReference(w, "encounter", "Encounter/" + encounter);
    w.Field("started", FormatDateTime(v.day, v.minute + 30));
    int instances = ct ? static_cast<int>(rng_.Between(120, 400)) : 2;
    w.Field("numberOfSeries", 1).Field("numberOfInstances", instances);
    w.Field("description", ct ? "头颅CT平扫 CT head without contrast" : "胸部正侧位片 Chest X-ray");
    w.BeginArray("series").BeginObject().Field("uid", uid + ".1").Field("number", 1);
    w.Key("modality");
    WriteCoding(w, cn::kDicomSystem, ct ? "CT" : "DX",
                ct ? "Computed Tomography" : "Digital Radiography");
    w.Field("numberOfInstances", instances).EndObject().EndArray();
    w.EndObject();
    Emit("ImagingStudy", id);
  }

  void Medication(const char* atc, const char* name, const char* dosage, const Visit& v,
                  const std::string& encounter, bool chronic) {
    JsonWriter w(&out_);
    std::string id = Begin("MedicationRequest", "med", w);
    bool still = chronic || v.day + 14 > as_of_;
    w.Field("status", still ? "active" : "completed").Field("intent", "order");
    std::string_view n(name);
    size_t space = n.find(' ');
    WriteConcept(w, "medicationCodeableConcept", cn::kAtcSystem, atc, n.substr(space + 1), name);
    WriteReference(w, "subject", PatientRef());
    if (!encounter.empty()) WriteReference(w, "encounter", "Encounter/" + encounter);
    w.Field("authoredOn", FormatDateTime(v.day, v.minute + 15));
    if (v.doctor >= 0)
      WriteReference(w, "requester", "Practitioner/" + city_.workers()[v.doctor].practitioner_id);
    w.BeginArray("dosageInstruction").BeginObject();
    w.Field("text", *dosage ? dosage : "遵医嘱 As directed").EndObject().EndArray();
    w.EndObject();
    Emit("MedicationRequest", id);
  }

  void Immunization(const Vaccine& vaccine, int64_t day, int institution) {
    JsonWriter w(&out_);
    std::string id = Begin("Immunization", "imm", w);
    w.Field("status", "completed");
    WriteConcept(w, "vaccineCode", cn::kCvxSystem, vaccine.cvx, vaccine.display_en,
                 vaccine.display_zh);
    WriteReference(w, "patient", PatientRef());
    w.Field("occurrenceDateTime", FormatDateTime(day, 9 * 60 + static_cast<int>(rng_.Below(480))));
    w.Field("primarySource", true);
    WriteReference(w, "location", "Location/" + city_.institutions()[institution].site_id);
    w.Field("lotNumber", Format("%lld%04d", static_cast<long long>(CivilFromDays(day).year),
                                static_cast<int>(rng_.Below(10000))));
    w.EndObject();
    Emit("Immunization", id);
  }

  void Allergy(const Allergen& allergen, int recorder) {
    JsonWriter w(&out_);
    std::string id = Begin("AllergyIntolerance", "alg", w);
    WriteConcept(w, "clinicalStatus",
                 "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "");
    WriteConcept(w, "verificationStatus",
                 "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                 "confirmed", "");
    w.Field("type", "allergy").BeginArray("category").String("medication").EndArray();
    w.Field("criticality", rng_.Chance(0.2) ? "high" : "low");
    std::string_view d(allergen.display);
    size_t space = d.find(' ');
    WriteConcept(w, "code", cn::kAtcSystem, allergen.atc, d.substr(space + 1), d);
    WriteReference(w, "patient", PatientRef());
    w.Field("recordedDate", FormatDate(as_of_ - 30 - rng_.Below(3000)));
    if (recorder >= 0)
      WriteReference(w, "recorder", "Practitioner/" + city_.workers()[recorder].practitioner_id);
    w.BeginArray("reaction").BeginObject().BeginArray("manifestation").BeginObject();
    w.Field("text", rng_.Chance(0.7) ? "皮疹 Rash" : "呼吸困难 Difficulty breathing");
    w.EndObject().EndArray().EndObject().EndArray();
    w.EndObject();
    Emit("AllergyIntolerance", id);
  }

  void Contract(int64_t start) {
    const FamilyDoctorTeam& team = city_.teams()[r_.team];
    JsonWriter w(&out_);
    std::string id = Begin("Contract", "fdc", w);
    w.BeginArray("identifier");
    WriteIdentifier(w, cn::kFamilyDoctorContractSystem,
                    Format("FDC%010lld", static_cast<long long>(r_.index + 1)));
    w.EndArray();
    w.Field("status", "executed");
    w.Field("issued", FormatDateTime(start, 10 * 60));
    WritePeriod(w, "applies", FormatDate(start), FormatDate(start + 365));
    w.BeginArray("subject");
    WriteReferenceItem(w, PatientRef());
    w.EndArray();
    w.BeginArray("authority");
    WriteReferenceItem(w, InstitutionRef(team.institution));
    w.EndArray();
    WriteConcept(w, "type", cn::kServiceTypeSystem, "family-doctor",
                 "家庭医生签约 Family-doctor contracting");
    bool personalised = rng_.Chance(0.2);
    WriteConceptList(
        w, "subType", cn::kServiceTypeSystem,
        personalised ? "personalised-package" : "basic-package",
        personalised ? "个性化签约服务包 Personalised package" : "基础性签约服务包 Basic package");
    w.BeginArray("supportingInfo");
    WriteReferenceItem(w, "CareTeam/" + team.id);
    w.EndArray().EndObject();
    Emit("Contract", id);
  }

  void Appointment(const SlotTime& slot) {
    const Worker& doc = city_.workers()[slot.worker];
    const Department& dept = Departments()[doc.department];
    JsonWriter w(&out_);
    std::string id = Begin("Appointment", "apt", w);
    w.Field("status", "booked");
    WriteConceptList(w, "serviceType", cn::kServiceTypeSystem, "outpatient", "门诊 Outpatient");
    WriteConceptList(w, "specialty", cn::kDepartmentSystem, dept.code,
                     std::string(dept.name) + " " + dept.name_en);
    w.Field("start", FormatDateTime(slot.day, slot.minute));
    w.Field("end", FormatDateTime(slot.day, slot.minute + 30));
    w.BeginArray("slot");
    WriteReferenceItem(w, "Slot/" + slot.slot_id);
    w.EndArray();
    w.Field("created", FormatDateTime(as_of_ - rng_.Below(7), 20 * 60));
    w.BeginArray("participant");
    for (const std::string& actor : {PatientRef(), "PractitionerRole/" + doc.role_id,
                                     "Location/" + city_.institutions()[doc.institution].site_id}) {
      w.BeginObject();
      WriteReference(w, "actor", actor);
      w.Field("required", "required").Field("status", "accepted").EndObject();
    }
    w.EndArray().EndObject();
    Emit("Appointment", id);
  }

  std::string& out() { return out_; }

 private:
  const City& city_;
  const Resident& r_;
  Rng& rng_;
  CityFiles& files_;
  int64_t as_of_;
  const char* tag_;
  std::string out_;
  int sequence_ = 0;
  int64_t written_ = 0;
};

std::string ResidentWriter::PatientId(int64_t index) {
  return Format("pat-%lld", static_cast<long long>(index + 1));
}

ResidentWriter::ResidentWriter(const City& city, ResidentOptions options)
    : city_(city), options_(options) {
  age_weights_.assign(100, 0);
  for (const AgeBand& band : AgePyramid())
    for (int a = band.from; a <= band.to; ++a)
      age_weights_[a] = band.percent / (band.to - band.from + 1);
  // Each condition's rate rises with age; its scale is set so that the share among residents
  // of min_age and over matches the published prevalence.
  for (const ChronicCondition& c : ChronicConditions()) {
    auto mean_rate = [&](double scale) {
      double num = 0, den = 0;
      for (int a = c.min_age; a < 100; ++a) {
        num += age_weights_[a] * std::min(0.95, scale * std::exp(c.age_slope * (a - 50)));
        den += age_weights_[a];
      }
      return num / den;
    };
    double lo = 0, hi = 10;
    for (int i = 0; i < 60; ++i) {
      double mid = (lo + hi) / 2;
      (mean_rate(mid) < c.rate ? lo : hi) = mid;
    }
    condition_scale_.push_back(lo);
  }
  for (const District& d : Districts()) district_weights_.push_back(d.population_percent);
  double visits = 0, admissions = 0, total = 0;
  for (int a = 0; a < 100; ++a) {
    visits += age_weights_[a] * VisitFactor(a);
    admissions += age_weights_[a] * AdmissionFactor(a);
    total += age_weights_[a];
  }
  mean_visit_factor_ = visits / total;
  mean_admission_factor_ = admissions / total;
}

double ResidentWriter::ConditionRate(size_t condition, int age) const {
  const ChronicCondition& c = ChronicConditions()[condition];
  if (age < c.min_age) return 0;
  return std::min(0.95, condition_scale_[condition] * std::exp(c.age_slope * (age - 50)));
}

namespace {

std::string NewAddressLine(Rng& rng) {
  return Format("%s%d号%d栋%d单元%d号", StreetNames()[rng.Below(StreetNames().size())],
                static_cast<int>(rng.Between(1, 500)), static_cast<int>(rng.Between(1, 30)),
                static_cast<int>(rng.Between(1, 6)), static_cast<int>(rng.Between(101, 3204)));
}

}  // namespace

std::string ResidentWriter::NewCitizenId(int birth_district, int64_t birth_day, bool male) {
  uint64_t key = static_cast<uint64_t>(birth_district) << 32 | static_cast<uint32_t>(birth_day);
  uint16_t nth = id_sequences_[key * 2 + (male ? 1 : 0)]++;
  // Sequence numbers of one region and day are handed out in turn from an arbitrary start.
  int start = static_cast<int>((key * 0x9E3779B97F4A7C15ULL) >> 55);  // 0..511
  int sequence = (start + nth) % 500 * 2 + (male ? 1 : 0);
  return cn::MakeCitizenId(Districts()[birth_district].code, FormatCompactDate(birth_day),
                           sequence);
}

int64_t ResidentWriter::Write(int64_t index, CityFiles& files) {
  Rng rng(options_.seed, static_cast<uint64_t>(index));
  const int64_t as_of = options_.as_of_day;
  Rates rates;
  auto districts = Districts();
  auto conditions = ChronicConditions();

  Resident r;
  r.index = index;
  r.id = PatientId(index);
  r.male = rng.Chance(rates.sex_ratio / (100 + rates.sex_ratio));
  r.age = static_cast<int>(rng.Weighted(age_weights_));
  r.birth_day = as_of - static_cast<int64_t>(r.age * 365.2425) - 1 - rng.Below(365);
  r.name = DrawName(rng, r.male);
  r.district = static_cast<int>(rng.Weighted(district_weights_));
  r.address_line = NewAddressLine(rng);
  r.phone = Format("%s%08lld", MobilePrefixes()[rng.Below(MobilePrefixes().size())],
                   static_cast<long long>(rng.Below(100000000)));
  // Born in the city: most in the district they live in.
  int birth_district =
      rng.Chance(0.8) ? r.district : static_cast<int>(rng.Weighted(district_weights_));
  r.citizen_id = NewCitizenId(birth_district, r.birth_day, r.male);
  r.health_card =
      Format("EHC%015lld", static_cast<long long>((index + 1) * 7919 % 1000000000000000LL));

  // Chronic conditions and the personal levels they bring.
  r.has.assign(conditions.size(), false);
  r.onset.assign(conditions.size(), 0);
  r.condition_ids.assign(conditions.size(), "");
  for (size_t c = 0; c < conditions.size(); ++c) {
    if (!rng.Chance(ConditionRate(c, r.age))) continue;
    r.has[c] = true;
    int64_t span = std::max<int64_t>(1, std::min(r.age - conditions[c].min_age, 20)) * 365;
    r.onset[c] = as_of - 30 - rng.Below(span);
  }
  bool adult = r.age >= 18;
  r.height =
      r.age < 18 ? 50 + r.age * 6.5 + rng.Normal(0, 4) : rng.Normal(r.male ? 169.7 : 158.0, 6);
  double bmi = r.age < 18 ? rng.Normal(17, 2) : rng.Normal(r.has[kDiabetes] ? 26.5 : 23.8, 3);
  r.weight = Clamp(bmi * (r.height / 100) * (r.height / 100), 3, 180);
  r.sbp =
      r.has[kHypertension] ? rng.Normal(148, 12) : rng.Normal(108 + 0.3 * std::min(r.age, 70), 9);
  r.dbp = r.has[kHypertension] ? rng.Normal(90, 8) : rng.Normal(70, 7);
  if (!adult) r.sbp -= 8, r.dbp -= 8;
  r.hr = rng.Normal(r.age < 5 ? 110 : 74, 8);
  r.fpg = r.has[kDiabetes] ? rng.Normal(8.4, 1.8) : rng.Normal(5.1, 0.45);
  r.hba1c = r.has[kDiabetes] ? rng.Normal(7.6, 1.0) : rng.Normal(5.4, 0.3);
  r.tc = r.has[kDyslipidaemia] ? rng.Normal(6.0, 0.7) : rng.Normal(4.5, 0.6);
  r.tg = r.has[kDyslipidaemia] ? rng.Normal(2.4, 0.8) : rng.Normal(1.2, 0.4);
  r.hdl = rng.Normal(r.male ? 1.15 : 1.4, 0.2);
  r.ldl = r.has[kDyslipidaemia] ? rng.Normal(3.9, 0.6) : rng.Normal(2.6, 0.5);
  r.creatinine = r.has[kCkd] ? rng.Normal(160, 50) : rng.Normal(r.male ? 80 : 62, 10);
  r.alt = rng.Normal(r.male ? 26 : 19, 6);
  r.hgb = rng.Normal(r.male ? 150 : 132, 10);
  r.wbc = rng.Normal(6.5, 1.4);
  r.plt = rng.Normal(230, 45);

  // Family doctor: key populations (65+, chronic patients, children under 7) sign far more.
  r.centre = city_.PrimaryCareCentre(r.district, rng);
  bool key_population = r.age >= 65 || r.age < 7 || r.has[kHypertension] || r.has[kDiabetes];
  r.contracted = rng.Chance(key_population ? 0.75 : 0.25);
  r.team = city_.Team(r.centre, rng);
  if (r.team < 0) r.contracted = false;
  int family_doctor = r.team >= 0 ? city_.teams()[r.team].gp : city_.DoctorAt(r.centre, rng);

  // The year of care.
  std::vector<Visit> visits;
  auto day_in_year = [&] { return as_of - 365 + rng.Below(365); };
  int outpatient = rng.Poisson(rates.visits_per_year * VisitFactor(r.age) / mean_visit_factor_);
  for (int i = 0; i < outpatient; ++i) {
    Visit v{VisitKind::kOutpatient};
    v.institution = rng.Chance(rates.hospital_visit_share) ? city_.OutpatientHospital(rng)
                    : rng.Chance(0.6)                      ? r.centre
                                                           : city_.NearbyClinic(r.district, rng);
    v.doctor = v.institution == r.centre && family_doctor >= 0 ? family_doctor
                                                               : city_.DoctorAt(v.institution, rng);
    v.day = day_in_year();
    v.minute = 8 * 60 + static_cast<int>(rng.Below(9 * 60));
    size_t chronic_count = static_cast<size_t>(std::count(r.has.begin(), r.has.end(), true));
    if (chronic_count > 0 && rng.Chance(0.4)) {
      size_t nth = static_cast<size_t>(rng.Below(static_cast<int64_t>(chronic_count)));
      for (size_t c = 0; c < r.has.size(); ++c)
        if (r.has[c] && nth-- == 0) v.chronic = c;
    } else {
      v.reason = &Pick(kAcuteReasons, rng);
    }
    visits.push_back(v);
  }
  int admissions =
      rng.Poisson(rates.admissions_per_year * AdmissionFactor(r.age) / mean_admission_factor_);
  for (int i = 0; i < admissions; ++i) {
    Visit v{VisitKind::kInpatient};
    v.institution = city_.Hospital(rng);
    v.doctor = city_.DoctorAt(v.institution, rng);
    v.stay_days = 1 + rng.Poisson(rates.mean_stay_days - 1);
    v.day = day_in_year() - v.stay_days;
    v.minute = 8 * 60 + static_cast<int>(rng.Below(14 * 60));
    bool childbearing = !r.male && r.age >= 20 && r.age <= 40;
    if (childbearing && rng.Chance(0.35))
      v.reason = &kAdmissionReasons[3];
    else if (r.has[kStroke] && rng.Chance(0.5))
      v.chronic = kStroke;
    else if (r.has[kCoronary] && rng.Chance(0.5))
      v.chronic = kCoronary;
    else if (r.age >= 65 && rng.Chance(0.15))
      v.reason = &kAdmissionReasons[2];
    else
      v.reason = &Pick(kAdmissionReasons, rng);
    visits.push_back(v);
  }
  int emergencies = rng.Poisson(0.12);
  for (int i = 0; i < emergencies; ++i) {
    Visit v{VisitKind::kEmergency};
    v.institution = city_.OutpatientHospital(rng);
    v.doctor = city_.DoctorAt(v.institution, rng);
    v.day = day_in_year();
    v.minute = static_cast<int>(rng.Below(24 * 60 - 30));
    v.reason = &Pick(kEmergencyReasons, rng);
    visits.push_back(v);
  }
  // Chronic-disease follow-up: quarterly, at least four a year (basic public-health service
  // specification), for hypertensive patients of 35 and over and for diabetic patients.
  bool followed = (r.has[kHypertension] && r.age >= 35) || r.has[kDiabetes];
  if (followed && rng.Chance(0.8)) {
    for (int q = 0; q < 4; ++q) {
      Visit v{VisitKind::kFollowUp};
      v.institution = r.centre;
      v.doctor = family_doctor;
      v.day = as_of - 365 + q * 91 + rng.Below(30);
      v.minute = 9 * 60 + static_cast<int>(rng.Below(7 * 60));
      v.home = rng.Chance(0.3);
      v.chronic = r.has[kHypertension] ? kHypertension : kDiabetes;
      visits.push_back(v);
    }
  }
  if (r.age >= 65 && rng.Chance(0.6)) {
    Visit v{VisitKind::kElderCheck};
    v.institution = r.centre;
    v.doctor = family_doctor;
    v.day = day_in_year();
    v.minute = 8 * 60 + static_cast<int>(rng.Below(3 * 60));
    visits.push_back(v);
  }
  std::sort(visits.begin(), visits.end(),
            [](const Visit& a, const Visit& b) { return a.day < b.day; });
  for (const Visit& v : visits)
    if (std::find(r.seen.begin(), r.seen.end(), v.institution) == r.seen.end())
      r.seen.push_back(v.institution);
  bool in_elder_care = r.age >= 75 && rng.Chance(0.03);
  int elder_home = in_elder_care ? city_.ElderCare(rng) : -1;

  Record record(city_, r, rng, files, as_of);
  auto write_patient = [&](const Resident& who, const std::vector<int>& seen, bool pinyin_only,
                           bool with_card, bool with_id) {
    std::string& out = record.out();
    out.clear();
    JsonWriter w(&out);
    w.BeginObject().Field("resourceType", "Patient").Field("id", who.id);
    w.BeginArray("identifier");
    if (with_id) {
      w.BeginObject().Field("use", "official");
      WriteConcept(w, "type", "http://terminology.hl7.org/CodeSystem/v2-0203", "NNCHN",
                   "National Person Identifier where the xxx is the ISO table 3166 3-character "
                   "(alphabetic) country code",
                   "居民身份证 Citizen ID number");
      w.Field("system", cn::kCitizenIdSystem).Field("value", who.citizen_id).EndObject();
    }
    if (with_card) WriteIdentifier(w, cn::kHealthCardSystem, who.health_card, "usual");
    for (int inst : seen) {
      w.BeginObject().Field("use", "secondary");
      WriteConcept(w, "type", "http://terminology.hl7.org/CodeSystem/v2-0203", "MR",
                   "Medical record number");
      w.Field("system", std::string(cn::kMrnSystemPrefix) + city_.institutions()[inst].id);
      // A second registration gets a number of its own at the hospital.
      int64_t mrn = (who.index * 7 + inst * 13) % 50000000 + (&who == &r ? 0 : 50000000);
      w.Field("value", Format("%08lld", static_cast<long long>(mrn)));
      WriteReference(w, "assigner", record.InstitutionRef(inst));
      w.EndObject();
    }
    w.EndArray();
    w.Field("active", true);
    w.BeginArray("name");
    if (!pinyin_only) {
      w.BeginObject().Field("use", "official").Field("text", who.name.text());
      w.Field("family", who.name.family).BeginArray("given").String(who.name.given).EndArray();
      w.EndObject();
    }
    // The pinyin spelling, marked as the alphabetic representation (ISO 21090).
    w.BeginObject();
    w.BeginArray("extension").BeginObject();
    w.Field("url", "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation");
    w.Field("valueCode", "ABC").EndObject().EndArray();
    w.Field("use", pinyin_only ? "official" : "usual").Field("text", who.name.pinyin_text());
    w.Field("family", who.name.family_pinyin);
    w.BeginArray("given").String(who.name.given_pinyin).EndArray().EndObject();
    w.EndArray();
    if (!who.phone.empty()) {
      w.BeginArray("telecom").BeginObject().Field("system", "phone").Field("value", who.phone);
      w.Field("use", "mobile").EndObject().EndArray();
    }
    w.Field("gender", who.male ? "male" : "female");
    w.Field("birthDate", FormatDate(who.birth_day));
    const District& d = districts[who.district];
    w.BeginArray("address").BeginObject().Field("use", "home");
    w.Field("text", std::string("四川省成都市") + d.name + who.address_line);
    w.BeginArray("line").String(who.address_line).EndArray();
    w.Field("city", "成都市").Field("district", d.name).Field("state", "四川省");
    w.Field("country", "CN").EndObject().EndArray();
    if (who.age >= 22) {
      bool married = who.age >= 28 ? rng.Chance(0.85) : rng.Chance(0.4);
      WriteConcept(w, "maritalStatus", "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
                   married ? "M" : "S", married ? "Married" : "Never Married");
    }
    if (&who == &r && who.team >= 0 && who.contracted) {
      w.BeginArray("generalPractitioner");
      WriteReferenceItem(w,
                         "PractitionerRole/" + city_.workers()[city_.teams()[who.team].gp].role_id);
      w.EndArray();
    }
    if (elder_home >= 0 && &who == &r)
      WriteReference(w, "managingOrganization", record.InstitutionRef(elder_home));
    w.EndObject();
    files.Write("Patient", who.id, out);
  };
  write_patient(r, r.seen, false, true, true);
  files.WriteGroundTruth(r.id, std::to_string(index), "");

  for (size_t c = 0; c < conditions.size(); ++c) {
    if (!r.has[c]) continue;
    std::string display = std::string(conditions[c].display_zh) + " " + conditions[c].display_en;
    r.condition_ids[c] = record.Condition({}, conditions[c].icd10, display.c_str(), r.onset[c],
                                          true, conditions[c].sensitive, "", family_doctor);
    if (!*kChronicDrugs[c].atc) continue;
    Visit prescribing{VisitKind::kOutpatient};
    prescribing.institution = r.centre;
    prescribing.doctor = family_doctor;
    prescribing.day = std::max(r.onset[c], as_of - 90 - rng.Below(200));
    prescribing.minute = 10 * 60;
    record.Medication(kChronicDrugs[c].atc, kChronicDrugs[c].name, kChronicDrugs[c].dosage,
                      prescribing, "", true);
  }

  for (const Visit& v : visits) {
    // A visit's own diagnosis and the Encounter refer to each other, so its id comes first.
    std::string diagnosis = v.reason ? record.NewId("cond") : "";
    std::string encounter =
        record.Encounter(v, v.chronic != SIZE_MAX ? r.condition_ids[v.chronic] : diagnosis);
    if (v.reason)
      record.Condition(diagnosis, v.reason->icd10, v.reason->display, v.day, false, false,
                       encounter, v.doctor);
    bool at_hospital = IsHospital(city_.institutions()[v.institution].kind);
    switch (v.kind) {
      case VisitKind::kOutpatient:
        if (r.age >= 14 && rng.Chance(0.6)) record.Vitals(v, encounter);
        if (at_hospital && adult && rng.Chance(0.25))
          record.LabPanel(static_cast<int>(rng.Below(5)), v, encounter);
        if (at_hospital && rng.Chance(0.04)) record.Imaging(v, encounter);
        if (v.chronic == kDiabetes) record.Glucose(v, encounter, false);
        break;
      case VisitKind::kInpatient:
        record.Vitals(v, encounter);
        record.LabPanel(0, v, encounter);
        if (r.has[kDiabetes]) record.Glucose(v, encounter, true);
        if (v.chronic == kStroke || rng.Chance(0.3)) record.Imaging(v, encounter);
        break;
      case VisitKind::kEmergency:
        record.Vitals(v, encounter);
        if (rng.Chance(0.5)) record.LabPanel(0, v, encounter);
        if (rng.Chance(0.2)) record.Imaging(v, encounter);
        break;
      case VisitKind::kFollowUp:
        record.Vitals(v, encounter);
        if (r.has[kDiabetes]) record.Glucose(v, encounter, false);
        if (bmi >= 24) record.BodyMeasures(v, encounter);  // the overweight are weighed each time
        break;
      case VisitKind::kElderCheck:
        record.BodyMeasures(v, encounter);
        record.Vitals(v, encounter);
        for (int panel = 0; panel < 5; ++panel) record.LabPanel(panel, v, encounter);
        break;
    }
    if (v.reason && *v.reason->atc && rng.Chance(0.6))
      record.Medication(v.reason->atc, v.reason->drug, "", v, encounter, false);
  }

  // Immunisations: the national programme's doses for children under seven, and influenza
  // vaccination of some of the elderly.
  if (r.age < 7) {
    for (const Vaccine& vaccine : ChildVaccines()) {
      int64_t day = r.birth_day + static_cast<int64_t>(vaccine.age_months * 30.44) + rng.Below(10);
      if (day < as_of) record.Immunization(vaccine, day, r.centre);
    }
  }
  if (r.age >= 65 && rng.Chance(0.2)) {
    static constexpr Vaccine kInfluenza{"88", "influenza, unspecified formulation", "流感疫苗", 0};
    record.Immunization(kInfluenza, as_of - 240 + rng.Below(90), r.centre);
  }
  if (rng.Chance(0.06)) {
    double weights[std::size(kAllergens)];
    for (size_t i = 0; i < std::size(kAllergens); ++i) weights[i] = kAllergens[i].weight;
    record.Allergy(kAllergens[rng.Weighted(weights)], family_doctor);
  }
  if (r.contracted) record.Contract(as_of - rng.Below(365));
  if (rng.Chance(0.08) && booked_slots_ < city_.slot_count())
    record.Appointment(city_.Slot(booked_slots_++));
  int64_t written = 1 + record.written();

  // A second registration at a hospital, with the errors clerks make.
  if (rng.Chance(options_.duplicate_share)) {
    Resident dup = r;
    dup.id = r.id + "-d";
    int hospital = city_.OutpatientHospital(rng);
    std::vector<std::string> errors;
    bool pinyin_only = false, with_id = true;
    int count = static_cast<int>(rng.Weighted(std::vector<double>{20, 50, 30}));
    for (int e = 0; e < count; ++e) {
      static constexpr const char* kKinds[] = {
          "homophone",  "typo",          "pinyin", "swapped-day-month",
          "missing-id", "changed-phone", "moved",  "birth-digit"};
      static constexpr double kWeights[] = {25, 10, 10, 15, 25, 25, 15, 5};
      std::string kind = kKinds[rng.Weighted(kWeights)];
      if (std::find(errors.begin(), errors.end(), kind) != errors.end()) continue;
      if (kind == "homophone" && !HomophoneVariant(r.name, rng, &dup.name)) kind = "typo";
      if (kind == "typo") dup.name = TypoVariant(r.name, rng);
      if (kind == "pinyin") pinyin_only = true;
      CivilDate d = CivilFromDays(r.birth_day);
      if (kind == "swapped-day-month") {
        if (d.day > 12 || d.day == d.month) continue;
        dup.birth_day = DaysFromCivil(d.year, d.day, d.month);
      }
      if (kind == "birth-digit") {
        // The day's last digit mistyped, staying a real date.
        int day = d.day / 10 * 10 + static_cast<int>(rng.Below(10));
        if (day == d.day || day < 1 || day > 28) continue;
        dup.birth_day = DaysFromCivil(d.year, d.month, day);
      }
      if (kind == "missing-id") with_id = false;
      if (kind == "changed-phone")
        dup.phone = Format("%s%08lld", MobilePrefixes()[rng.Below(MobilePrefixes().size())],
                           static_cast<long long>(rng.Below(100000000)));
      if (kind == "moved") {
        if (rng.Chance(0.5)) dup.district = static_cast<int>(rng.Weighted(district_weights_));
        dup.address_line = NewAddressLine(rng);
      }
      errors.push_back(kind);
    }
    // A registry checks a birth date against the ID number, so a wrong birth date is only ever
    // registered without the number.
    bool wrong_birth = dup.birth_day != r.birth_day;
    if (wrong_birth && with_id) {
      with_id = false;
      errors.push_back("missing-id");
    }
    std::string joined;
    for (const std::string& e : errors) joined += (joined.empty() ? "" : ";") + e;
    write_patient(dup, {hospital}, pinyin_only, false, with_id);
    files.WriteGroundTruth(dup.id, std::to_string(index), joined);
    Record dup_record(city_, dup, rng, files, as_of, "d");
    Visit v{VisitKind::kOutpatient};
    v.institution = hospital;
    v.doctor = city_.DoctorAt(hospital, rng);
    v.day = as_of - 1 - rng.Below(60);
    v.minute = 8 * 60 + static_cast<int>(rng.Below(9 * 60));
    dup_record.Encounter(v, "");
    written += 2;
  }

  // A twin: another person with the same surname, birth date and home, often the same phone (a
  // parent's), and a given name that may differ from the sibling's by one character: the pair a
  // registry must never merge. About 1.2% of births in China are twin births.
  if (rng.Chance(0.012)) {
    Resident twin = r;
    twin.id = r.id + "-t";
    twin.male = rng.Chance(0.35) ? !r.male : r.male;
    twin.name = TypoVariant(r.name, rng);
    twin.citizen_id = NewCitizenId(birth_district, r.birth_day, twin.male);
    twin.health_card =
        Format("EHC%015lld",
               static_cast<long long>((index + 1) * 7919 % 500000000000000LL + 500000000000000LL));
    if (r.age >= 18 && !rng.Chance(0.3))
      twin.phone = Format("%s%08lld", MobilePrefixes()[rng.Below(MobilePrefixes().size())],
                          static_cast<long long>(rng.Below(100000000)));
    write_patient(twin, {}, false, true, true);
    files.WriteGroundTruth(twin.id, twin.id, "");
    written += 1;
  }
  return written;
}

}  // namespace kangyun::synth
