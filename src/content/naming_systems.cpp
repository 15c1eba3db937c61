// NamingSystems of the identifiers the platform uses (src/cn/systems.h names the URIs).
#include "cn/systems.h"
#include "content/platform_content.h"

namespace kangyun::content {
namespace {

using json::Value;

using json::Str;

struct Naming {
  const char* id;
  const char* name;
  const char* title;  // Chinese and English
  const char* kind;   // identifier | root
  const char* description;
  const char* uri;
  const char* oid;   // "" when none
  const char* type;  // v2-0203 code, "" when none
};

constexpr Naming kNamings[] = {
    {"citizen-id", "CitizenIdNumber", "居民身份证号码 Citizen ID number", "identifier",
     "公民身份号码 (GB 11643-1999): 18 characters, region code, birth date, sequence and a MOD "
     "11-2 check character; 15 digits in the legacy form. Checked on every write "
     "(docs/registries.md).",
     cn::kCitizenIdSystem, "2.16.156.10011.1.3", "NNCHN"},
    {"health-card", "HealthCardNumber", "居民电子健康卡 Electronic health card", "identifier",
     "The resident's electronic health card; its format is not public, so it is opaque here.",
     cn::kHealthCardSystem, "", ""},
    {"passport-chn", "PassportChina",
     "中华人民共和国护照 Passport of the People's Republic of China", "identifier",
     "Passport numbers issued by China.", "https://kangyun.cn/fhir/sid/passport/CHN", "", "PPN"},
    {"hk-macao-permit", "HongKongMacaoPermit",
     "港澳居民来往内地通行证 Mainland travel permit for Hong Kong and Macao residents",
     "identifier", "The travel permit of Hong Kong and Macao residents.",
     "https://kangyun.cn/fhir/sid/hk-macao-permit", "", ""},
    {"taiwan-permit", "TaiwanPermit",
     "台湾居民来往大陆通行证 Mainland travel permit for Taiwan residents", "identifier",
     "The travel permit of Taiwan residents.", "https://kangyun.cn/fhir/sid/taiwan-permit", "", ""},
    {"foreign-permanent-resident", "ForeignPermanentResidentId",
     "外国人永久居留身份证 Foreign permanent resident ID card", "identifier",
     "The identity card of foreigners with permanent residence in China.",
     "https://kangyun.cn/fhir/sid/foreign-permanent-resident", "", ""},
    {"institution", "InstitutionCode", "医疗卫生机构代码 Institution code", "identifier",
     "An institution's code on the platform.", cn::kInstitutionCodeSystem, "", ""},
    {"practitioner-licence", "PractitionerLicence", "执业证书编码 Practitioner licence number",
     "identifier", "The licence number of a physician, nurse or village doctor.",
     cn::kPractitionerLicenceSystem, "", "LN"},
    {"family-doctor-contract", "FamilyDoctorContract",
     "家庭医生签约编号 Family-doctor contract number", "identifier",
     "The number of a family-doctor contract.", cn::kFamilyDoctorContractSystem, "", ""},
};

Value UniqueId(const char* type, const std::string& value, bool preferred) {
  Value u = Value::Object();
  u.Set("type", Str(type));
  u.Set("value", Str(value));
  u.Set("preferred", Value::Bool(preferred));
  return u;
}

Value NamingSystem(const std::string& id, const std::string& name, const std::string& title,
                   const std::string& kind, const std::string& description, const std::string& uri,
                   const std::string& oid, const std::string& type) {
  Value ns = Value::Object();
  ns.Set("resourceType", Str("NamingSystem"));
  ns.Set("id", Str(id));
  ns.Set("name", Str(name));
  // R4 NamingSystem has no title; the Chinese and English names go in the description's start.
  ns.Set("status", Str("active"));
  ns.Set("kind", Str(kind));
  ns.Set("date", Str("2026-11-24"));
  ns.Set("publisher", Str("康云 Kangyun"));
  ns.Set("responsible", Str("康云 Kangyun regional health cloud"));
  if (!type.empty()) {
    Value coding = Value::Object();
    coding.Set("system", Str("http://terminology.hl7.org/CodeSystem/v2-0203"));
    coding.Set("code", Str(type));
    Value codings = Value::Array();
    codings.Push(std::move(coding));
    Value cc = Value::Object();
    cc.Set("coding", std::move(codings));
    ns.Set("type", std::move(cc));
  }
  ns.Set("description", Str(title + ". " + description));
  Value jurisdiction = Value::Object();
  Value jcoding = Value::Object();
  jcoding.Set("system", Str("urn:iso:std:iso:3166"));
  jcoding.Set("code", Str("CN"));
  Value jcodings = Value::Array();
  jcodings.Push(std::move(jcoding));
  jurisdiction.Set("coding", std::move(jcodings));
  Value jurisdictions = Value::Array();
  jurisdictions.Push(std::move(jurisdiction));
  ns.Set("jurisdiction", std::move(jurisdictions));
  Value ids = Value::Array();
  // The OID where there is one is how Chinese CDA and HL7 v2/v3 messages name the system.
  if (!oid.empty()) ids.Push(UniqueId("oid", oid, false));
  ids.Push(UniqueId("uri", uri, true));
  ns.Set("uniqueId", std::move(ids));
  return ns;
}

}  // namespace

std::vector<json::Value> NamingSystems() {
  std::vector<json::Value> out;
  for (const Naming& n : kNamings)
    out.push_back(NamingSystem(n.id, n.name, n.title, n.kind, n.description, n.uri, n.oid, n.type));
  return out;
}

json::Value MrnNamingSystem(const std::string& organization_id, const std::string& name) {
  json::Value ns = NamingSystem(
      "mrn-" + organization_id, "MedicalRecordNumber", "病案号 Medical record number of " + name,
      "identifier", "The medical record numbers Organization/" + organization_id + " assigns.",
      cn::kMrnSystemPrefix + organization_id, "", "MR");
  return ns;
}

}  // namespace kangyun::content
