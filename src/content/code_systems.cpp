// The code systems the platform uses, with their value sets and maps. Chinese national lists:
// sex (GB/T 2261.1-2003) and ethnicity (GB/T 3304-1991); the platform's own institution
// types, hospital levels, clinical departments and service types; and fragments of ICD-10 and
// LOINC with the codes the city uses (both may be redistributed with attribution: WHO's ICD-10
// codes and titles, LOINC under its licence, © Regenstrief Institute).
#include <iterator>
#include <string>
#include <tuple>

#include "cn/systems.h"
#include "content/platform_content.h"

namespace kangyun::content {
namespace {

using json::Value;

using json::Str;

struct Concept {
  const char* code;
  const char* zh;  // "" when none
  const char* en;
  const char* parent;  // "" for a top-level concept
};

// GB/T 2261.1-2003 人的性别代码.
constexpr Concept kSex[] = {
    {"0", "未知的性别", "Not known", ""},
    {"1", "男性", "Male", ""},
    {"2", "女性", "Female", ""},
    {"9", "未说明的性别", "Not stated", ""},
};

// GB/T 3304-1991 中国各民族名称的罗马字母拼写和代码 (numeric codes; docs/registries.md says
// how sure the list is).
constexpr Concept kEthnicity[] = {
    {"01", "汉族", "Han", ""},
    {"02", "蒙古族", "Mongol", ""},
    {"03", "回族", "Hui", ""},
    {"04", "藏族", "Tibetan", ""},
    {"05", "维吾尔族", "Uyghur", ""},
    {"06", "苗族", "Miao", ""},
    {"07", "彝族", "Yi", ""},
    {"08", "壮族", "Zhuang", ""},
    {"09", "布依族", "Buyei", ""},
    {"10", "朝鲜族", "Korean", ""},
    {"11", "满族", "Manchu", ""},
    {"12", "侗族", "Dong", ""},
    {"13", "瑶族", "Yao", ""},
    {"14", "白族", "Bai", ""},
    {"15", "土家族", "Tujia", ""},
    {"16", "哈尼族", "Hani", ""},
    {"17", "哈萨克族", "Kazak", ""},
    {"18", "傣族", "Dai", ""},
    {"19", "黎族", "Li", ""},
    {"20", "傈僳族", "Lisu", ""},
    {"21", "佤族", "Va", ""},
    {"22", "畲族", "She", ""},
    {"23", "高山族", "Gaoshan", ""},
    {"24", "拉祜族", "Lahu", ""},
    {"25", "水族", "Sui", ""},
    {"26", "东乡族", "Dongxiang", ""},
    {"27", "纳西族", "Naxi", ""},
    {"28", "景颇族", "Jingpo", ""},
    {"29", "柯尔克孜族", "Kirgiz", ""},
    {"30", "土族", "Tu", ""},
    {"31", "达斡尔族", "Daur", ""},
    {"32", "仫佬族", "Mulao", ""},
    {"33", "羌族", "Qiang", ""},
    {"34", "布朗族", "Blang", ""},
    {"35", "撒拉族", "Salar", ""},
    {"36", "毛南族", "Maonan", ""},
    {"37", "仡佬族", "Gelao", ""},
    {"38", "锡伯族", "Xibe", ""},
    {"39", "阿昌族", "Achang", ""},
    {"40", "普米族", "Pumi", ""},
    {"41", "塔吉克族", "Tajik", ""},
    {"42", "怒族", "Nu", ""},
    {"43", "乌孜别克族", "Uzbek", ""},
    {"44", "俄罗斯族", "Russian", ""},
    {"45", "鄂温克族", "Ewenki", ""},
    {"46", "德昂族", "Deang", ""},
    {"47", "保安族", "Bonan", ""},
    {"48", "裕固族", "Yugur", ""},
    {"49", "京族", "Gin", ""},
    {"50", "塔塔尔族", "Tatar", ""},
    {"51", "独龙族", "Derung", ""},
    {"52", "鄂伦春族", "Oroqen", ""},
    {"53", "赫哲族", "Hezhen", ""},
    {"54", "门巴族", "Monba", ""},
    {"55", "珞巴族", "Lhoba", ""},
    {"56", "基诺族", "Jino", ""},
    {"97", "其他", "Other", ""},
    {"98", "外国血统中国籍人士", "Naturalised citizen of foreign origin", ""},
};

constexpr Concept kInstitutionTypes[] = {
    {"hospital", "医院", "Hospital", ""},
    {"community-health-centre", "社区卫生服务中心", "Community health centre", ""},
    {"community-health-station", "社区卫生服务站", "Community health station", ""},
    {"township-health-centre", "乡镇卫生院", "Township health centre", ""},
    {"village-clinic", "村卫生室", "Village clinic", ""},
    {"elder-care", "养老机构", "Elder-care institution", ""},
    {"pharmacy", "药店", "Pharmacy", ""},
    {"insurer", "医疗保障局", "Health insurance bureau", ""},
    {"health-commission", "卫生健康委员会", "Health commission", ""},
};

// 医院评审等级: tiers, and grades within them (a grade is-a its tier, so :below=3 is tertiary).
constexpr Concept kHospitalLevels[] = {
    {"3", "三级", "Tertiary", ""},
    {"3A", "三级甲等", "Tertiary grade A", "3"},
    {"3B", "三级乙等", "Tertiary grade B", "3"},
    {"3C", "三级丙等", "Tertiary grade C", "3"},
    {"2", "二级", "Secondary", ""},
    {"2A", "二级甲等", "Secondary grade A", "2"},
    {"2B", "二级乙等", "Secondary grade B", "2"},
    {"2C", "二级丙等", "Secondary grade C", "2"},
    {"1", "一级", "Primary", ""},
};

// 医疗机构诊疗科目名录 (the codes the city uses; from memory of the catalogue).
constexpr Concept kDepartments[] = {
    {"02", "全科医疗科", "General practice", ""},
    {"03", "内科", "Internal medicine", ""},
    {"04", "外科", "Surgery", ""},
    {"05", "妇产科", "Obstetrics and gynaecology", ""},
    {"07", "儿科", "Paediatrics", ""},
    {"10", "眼科", "Ophthalmology", ""},
    {"12", "口腔科", "Stomatology", ""},
    {"20", "急诊医学科", "Emergency medicine", ""},
    {"30", "医学检验科", "Clinical laboratory", ""},
    {"32", "医学影像科", "Medical imaging", ""},
    {"50", "中医科", "Traditional Chinese medicine", ""},
};

constexpr Concept kServiceTypes[] = {
    {"outpatient", "门诊", "Outpatient", ""},
    {"inpatient", "住院", "Inpatient", ""},
    {"emergency", "急诊", "Emergency", ""},
    {"family-doctor", "家庭医生签约", "Family-doctor contracting", ""},
    {"immunization", "预防接种", "Immunisation", ""},
    {"chronic-disease", "慢病管理", "Chronic-disease management", ""},
    {"elder-care", "养老照护", "Elder care", ""},
    {"dispensing", "药品调剂", "Dispensing", ""},
};

// ICD-10 codes the city records, under their three-character categories.
constexpr Concept kIcd10[] = {
    {"B18", "慢性病毒性肝炎", "Chronic viral hepatitis", ""},
    {"B18.1", "慢性乙型病毒性肝炎", "Chronic viral hepatitis B without delta-agent", "B18"},
    {"B24", "人类免疫缺陷病毒病", "Unspecified human immunodeficiency virus [HIV] disease", ""},
    {"E11", "2型糖尿病", "Type 2 diabetes mellitus", ""},
    {"E11.9", "2型糖尿病，不伴有并发症", "Type 2 diabetes mellitus without complications", "E11"},
    {"E78", "脂蛋白代谢紊乱和其他脂血症",
     "Disorders of lipoprotein metabolism and other lipidaemias", ""},
    {"E78.5", "高脂血症", "Hyperlipidaemia, unspecified", "E78"},
    {"F32", "抑郁发作", "Depressive episode", ""},
    {"F32.9", "抑郁发作，未特指", "Depressive episode, unspecified", "F32"},
    {"H10", "结膜炎", "Conjunctivitis", ""},
    {"H10.9", "结膜炎，未特指", "Conjunctivitis, unspecified", "H10"},
    {"I10", "原发性高血压", "Essential (primary) hypertension", ""},
    {"I25", "慢性缺血性心脏病", "Chronic ischaemic heart disease", ""},
    {"I25.1", "动脉硬化性心脏病", "Atherosclerotic heart disease", "I25"},
    {"I63", "脑梗死", "Cerebral infarction", ""},
    {"I63.9", "脑梗死，未特指", "Cerebral infarction, unspecified", "I63"},
    {"J06", "多发和未特指部位的急性上呼吸道感染",
     "Acute upper respiratory infections of multiple and unspecified sites", ""},
    {"J06.9", "急性上呼吸道感染", "Acute upper respiratory infection, unspecified", "J06"},
    {"J18", "肺炎，病原体未特指", "Pneumonia, organism unspecified", ""},
    {"J18.9", "肺炎，未特指", "Pneumonia, unspecified", "J18"},
    {"J20", "急性支气管炎", "Acute bronchitis", ""},
    {"J20.9", "急性支气管炎，未特指", "Acute bronchitis, unspecified", "J20"},
    {"J44", "其他慢性阻塞性肺病", "Other chronic obstructive pulmonary disease", ""},
    {"J44.9", "慢性阻塞性肺病，未特指", "Chronic obstructive pulmonary disease, unspecified",
     "J44"},
    {"J45", "哮喘", "Asthma", ""},
    {"J45.9", "哮喘，未特指", "Asthma, unspecified", "J45"},
    {"K29", "胃炎和十二指肠炎", "Gastritis and duodenitis", ""},
    {"K29.7", "胃炎，未特指", "Gastritis, unspecified", "K29"},
    {"K35", "急性阑尾炎", "Acute appendicitis", ""},
    {"K35.8", "急性阑尾炎，其他和未特指", "Acute appendicitis, other and unspecified", "K35"},
    {"L30", "其他皮炎", "Other dermatitis", ""},
    {"L30.9", "皮炎，未特指", "Dermatitis, unspecified", "L30"},
    {"M54", "背痛", "Dorsalgia", ""},
    {"M54.5", "下背痛", "Low back pain", "M54"},
    {"N18", "慢性肾病", "Chronic kidney disease", ""},
    {"N18.9", "慢性肾病，未特指", "Chronic kidney disease, unspecified", "N18"},
    {"O80", "单胎顺产", "Single spontaneous delivery", ""},
    {"R07", "咽痛和胸痛", "Pain in throat and chest", ""},
    {"R07.4", "胸痛，未特指", "Chest pain, unspecified", "R07"},
    {"R50", "其他原因的发热", "Fever of other and unknown origin", ""},
    {"R50.9", "发热，未特指", "Fever, unspecified", "R50"},
    {"S72", "股骨骨折", "Fracture of femur", ""},
    {"S72.0", "股骨颈骨折", "Fracture of neck of femur", "S72"},
    {"T14", "身体未特指部位的损伤", "Injury of unspecified body region", ""},
    {"T14.9", "损伤，未特指", "Injury, unspecified", "T14"},
};

// LOINC codes the city's laboratories and vital signs use.
constexpr Concept kLoinc[] = {
    {"85354-9", "血压", "Blood pressure panel with all children optional", ""},
    {"8480-6", "收缩压", "Systolic blood pressure", ""},
    {"8462-4", "舒张压", "Diastolic blood pressure", ""},
    {"8867-4", "心率", "Heart rate", ""},
    {"8302-2", "身高", "Body height", ""},
    {"29463-7", "体重", "Body weight", ""},
    {"39156-5", "体重指数", "Body mass index (BMI) [Ratio]", ""},
    {"14771-0", "空腹血糖", "Fasting glucose [Moles/volume] in Serum or Plasma", ""},
    {"4548-4", "糖化血红蛋白", "Hemoglobin A1c/Hemoglobin.total in Blood", ""},
    {"14647-2", "总胆固醇", "Cholesterol [Moles/volume] in Serum or Plasma", ""},
    {"14927-8", "甘油三酯", "Triglyceride [Moles/volume] in Serum or Plasma", ""},
    {"14646-4", "高密度脂蛋白胆固醇", "Cholesterol in HDL [Moles/volume] in Serum or Plasma", ""},
    {"22748-8", "低密度脂蛋白胆固醇", "Cholesterol in LDL [Moles/volume] in Serum or Plasma", ""},
    {"14682-9", "肌酐", "Creatinine [Moles/volume] in Serum or Plasma", ""},
    {"1742-6", "丙氨酸氨基转移酶",
     "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", ""},
    {"718-7", "血红蛋白", "Hemoglobin [Mass/volume] in Blood", ""},
    {"6690-2", "白细胞计数", "Leukocytes [#/volume] in Blood by Automated count", ""},
    {"777-3", "血小板计数", "Platelets [#/volume] in Blood by Automated count", ""},
    {"58410-2", "血常规", "CBC panel - Blood by Automated count", ""},
    {"57698-3", "血脂四项", "Lipid panel with direct LDL - Serum or Plasma", ""},
    {"24362-6", "肾功能", "Renal function 2000 panel - Serum or Plasma", ""},
    {"24325-3", "肝功能", "Hepatic function panel - Serum or Plasma", ""},
};

struct System {
  const char* id;
  const char* url;
  const char* name;
  const char* title;
  const char* content;  // complete | fragment
  const Concept* concepts;
  size_t count;
  const char* copyright;
};

#define KY_SYSTEM(id, url, name, title, content, table, copyright) \
  System { id, url, name, title, content, table, std::size(table), copyright }

const System kSystems[] = {
    KY_SYSTEM("gb-t-2261-1", "https://kangyun.cn/fhir/CodeSystem/gb-t-2261-1", "GBT2261_1Sex",
              "GB/T 2261.1-2003 人的性别代码 Sex", "complete", kSex, ""),
    KY_SYSTEM("gb-t-3304", "https://kangyun.cn/fhir/CodeSystem/gb-t-3304", "GBT3304Ethnicity",
              "GB/T 3304-1991 中国各民族名称代码 Ethnic groups of China", "complete", kEthnicity,
              ""),
    KY_SYSTEM("institution-type", cn::kInstitutionTypeSystem, "InstitutionType",
              "医疗卫生机构类别 Institution type", "complete", kInstitutionTypes, ""),
    KY_SYSTEM("hospital-level", cn::kHospitalLevelSystem, "HospitalLevel",
              "医院等级 Hospital level", "complete", kHospitalLevels, ""),
    KY_SYSTEM("department", cn::kDepartmentSystem, "ClinicalDepartment",
              "诊疗科目 Clinical department", "fragment", kDepartments, ""),
    KY_SYSTEM("service-type", cn::kServiceTypeSystem, "ServiceType", "服务类型 Service type",
              "complete", kServiceTypes, ""),
    KY_SYSTEM("icd-10-city", cn::kIcd10System, "ICD10City",
              "ICD-10 codes used by the city 城市使用的ICD-10编码", "fragment", kIcd10,
              "ICD-10 codes and titles: World Health Organization."),
    KY_SYSTEM("loinc-city", cn::kLoincSystem, "LoincCity",
              "LOINC codes used by the city 城市使用的LOINC编码", "fragment", kLoinc,
              "This material contains content from LOINC (http://loinc.org). LOINC is copyright "
              "Regenstrief Institute, Inc. and the LOINC Committee, available at no cost under "
              "the license at http://loinc.org/license."),
};

#undef KY_SYSTEM

void Common(Value* r, const char* type, const std::string& id, const std::string& url,
            const std::string& name, const std::string& title) {
  r->Set("resourceType", Str(type));
  r->Set("id", Str(id));
  r->Set("url", Str(url));
  r->Set("name", Str(name));
  r->Set("title", Str(title));
  r->Set("status", Str("active"));
  r->Set("date", Str("2026-11-24"));
  r->Set("publisher", Str("康云 Kangyun"));
}

Value CodeSystem(const System& s) {
  Value cs = Value::Object();
  Common(&cs, "CodeSystem", s.id, s.url, s.name, s.title);
  if (*s.copyright) cs.Set("copyright", Str(s.copyright));
  cs.Set("caseSensitive", Value::Bool(true));
  bool hierarchical = false;
  for (size_t i = 0; i < s.count; ++i) hierarchical |= *s.concepts[i].parent != 0;
  if (hierarchical) cs.Set("hierarchyMeaning", Str("is-a"));
  cs.Set("content", Str(s.content));
  cs.Set("count", Value::Integer(static_cast<long long>(s.count)));
  Value concepts = Value::Array();
  for (size_t i = 0; i < s.count; ++i) {
    const Concept& c = s.concepts[i];
    if (*c.parent) continue;  // children go under their parent
    auto make = [&](const Concept& x) {
      Value item = Value::Object();
      item.Set("code", Str(x.code));
      item.Set("display", Str(*x.zh ? std::string(x.zh) + " " + x.en : std::string(x.en)));
      Value designations = Value::Array();
      for (auto [lang, text] : {std::pair{"zh", x.zh}, std::pair{"en", x.en}}) {
        if (!*text) continue;
        Value d = Value::Object();
        d.Set("language", Str(lang));
        d.Set("value", Str(text));
        designations.Push(std::move(d));
      }
      item.Set("designation", std::move(designations));
      return item;
    };
    Value item = make(c);
    Value children = Value::Array();
    for (size_t j = 0; j < s.count; ++j)
      if (std::string(s.concepts[j].parent) == c.code) children.Push(make(s.concepts[j]));
    if (!children.items().empty()) item.Set("concept", std::move(children));
    concepts.Push(std::move(item));
  }
  cs.Set("concept", std::move(concepts));
  return cs;
}

Value IncludeSystem(const std::string& system) {
  Value inc = Value::Object();
  inc.Set("system", Str(system));
  return inc;
}

Value ValueSet(const std::string& id, const std::string& name, const std::string& title,
               Value includes) {
  Value vs = Value::Object();
  Common(&vs, "ValueSet", id, "https://kangyun.cn/fhir/ValueSet/" + id, name, title);
  Value compose = Value::Object();
  compose.Set("include", std::move(includes));
  vs.Set("compose", std::move(compose));
  return vs;
}

}  // namespace

std::vector<json::Value> CodeSystems() {
  std::vector<json::Value> out;
  for (const System& s : kSystems) out.push_back(CodeSystem(s));
  return out;
}

std::vector<json::Value> ValueSets() {
  std::vector<json::Value> out;
  // Every platform code system as a whole.
  for (const System& s : kSystems) {
    Value includes = Value::Array();
    includes.Push(IncludeSystem(s.url));
    out.push_back(ValueSet(s.id, s.name, s.title, std::move(includes)));
  }
  // The chronic conditions of the national basic public-health follow-up (hypertension and
  // type 2 diabetes, by their ICD-10 categories): one include per category, since the filters
  // of one include must all hold.
  Value includes = Value::Array();
  for (const char* category : {"I10", "E11"}) {
    Value f = Value::Object();
    f.Set("property", Str("concept"));
    f.Set("op", Str("is-a"));
    f.Set("value", Str(category));
    Value one = Value::Array();
    one.Push(std::move(f));
    Value inc = IncludeSystem(cn::kIcd10System);
    inc.Set("filter", std::move(one));
    includes.Push(std::move(inc));
  }
  out.push_back(ValueSet("chronic-follow-up-conditions", "ChronicFollowUpConditions",
                         "慢病随访病种 Conditions of chronic-disease follow-up",
                         std::move(includes)));
  // Tertiary and secondary hospitals: levels by hierarchy.
  Value level_includes = Value::Array();
  Value level = IncludeSystem(cn::kHospitalLevelSystem);
  Value level_filters = Value::Array();
  Value lf = Value::Object();
  lf.Set("property", Str("concept"));
  lf.Set("op", Str("descendent-of"));
  lf.Set("value", Str("3"));
  level_filters.Push(std::move(lf));
  level.Set("filter", std::move(level_filters));
  level_includes.Push(std::move(level));
  out.push_back(ValueSet("tertiary-hospital-grades", "TertiaryHospitalGrades",
                         "三级医院等级 Grades of tertiary hospitals", std::move(level_includes)));
  return out;
}

std::vector<json::Value> ConceptMaps() {
  std::vector<json::Value> out;
  auto map = [](const std::string& id, const std::string& name, const std::string& title,
                const std::string& source_system, const std::string& target_system,
                const std::vector<std::tuple<std::string, std::string, std::string>>& pairs) {
    Value cm = Value::Object();
    Common(&cm, "ConceptMap", id, "https://kangyun.cn/fhir/ConceptMap/" + id, name, title);
    cm.Set("sourceUri", Str(source_system));
    cm.Set("targetUri", Str(target_system));
    Value group = Value::Object();
    group.Set("source", Str(source_system));
    group.Set("target", Str(target_system));
    Value elements = Value::Array();
    for (const auto& [code, target, equivalence] : pairs) {
      Value element = Value::Object();
      element.Set("code", Str(code));
      Value t = Value::Object();
      t.Set("code", Str(target));
      t.Set("equivalence", Str(equivalence));
      Value targets = Value::Array();
      targets.Push(std::move(t));
      element.Set("target", std::move(targets));
      elements.Push(std::move(element));
    }
    group.Set("element", std::move(elements));
    Value groups = Value::Array();
    groups.Push(std::move(group));
    cm.Set("group", std::move(groups));
    return cm;
  };
  out.push_back(map("gb-t-2261-1-to-administrative-gender", "SexToAdministrativeGender",
                    "GB/T 2261.1 性别 → FHIR administrative gender",
                    "https://kangyun.cn/fhir/CodeSystem/gb-t-2261-1",
                    "http://hl7.org/fhir/administrative-gender",
                    {{"0", "unknown", "equivalent"},
                     {"1", "male", "equivalent"},
                     {"2", "female", "equivalent"},
                     {"9", "unknown", "wider"}}));
  out.push_back(map("institution-type-to-organization-type", "InstitutionTypeToOrganizationType",
                    "机构类别 → HL7 organization type", cn::kInstitutionTypeSystem,
                    "http://terminology.hl7.org/CodeSystem/organization-type",
                    {{"hospital", "prov", "wider"},
                     {"community-health-centre", "prov", "wider"},
                     {"community-health-station", "prov", "wider"},
                     {"township-health-centre", "prov", "wider"},
                     {"village-clinic", "prov", "wider"},
                     {"elder-care", "prov", "wider"},
                     {"pharmacy", "prov", "wider"},
                     {"insurer", "pay", "wider"},
                     {"health-commission", "govt", "wider"}}));
  return out;
}

std::vector<json::Value> PlatformResources() {
  std::vector<json::Value> out = NamingSystems();
  for (auto* list : {&CodeSystems, &ValueSets, &ConceptMaps})
    for (json::Value& r : (*list)()) out.push_back(std::move(r));
  return out;
}

}  // namespace kangyun::content
