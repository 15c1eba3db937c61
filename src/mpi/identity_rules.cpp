#include "mpi/identity_rules.h"

#include "cn/citizen_id.h"
#include "cn/systems.h"

namespace kangyun::mpi {

Status CheckPersonIdentifiers(const json::Value& resource, std::string_view today) {
  std::string type(resource.GetString("resourceType"));
  if (type != "Patient" && type != "Person" && type != "Practitioner" && type != "RelatedPerson")
    return Status::Ok();
  const json::Value* ids = resource.Find("identifier");
  if (!ids) return Status::Ok();
  for (size_t i = 0; i < ids->items().size(); ++i) {
    const json::Value& ident = ids->items()[i];
    if (ident.GetString("system") != cn::kCitizenIdSystem) continue;
    std::string where = type + ".identifier[" + std::to_string(i) + "].value";
    std::string number(ident.GetString("value"));
    auto info = cn::ParseCitizenId(number, today);
    if (!info.ok())
      return Status(StatusCode::kUnprocessable,
                    "Invalid citizen ID number (居民身份证号码无效): " + info.status().message(),
                    where);
    std::string_view birth = resource.GetString("birthDate");
    // A partial birth date (1980, 1980-05) has to be the start of the number's.
    if (!birth.empty() && std::string_view(info->birth_date).substr(0, birth.size()) != birth)
      return Status(StatusCode::kUnprocessable,
                    "The birth date " + std::string(birth) + " differs from " + info->birth_date +
                        ", the one citizen ID number " + number +
                        " holds (出生日期与身份证号码不符)",
                    type + ".birthDate");
    std::string_view gender = resource.GetString("gender");
    if ((gender == "male" && !info->male) || (gender == "female" && info->male))
      return Status(StatusCode::kUnprocessable,
                    "The gender " + std::string(gender) +
                        " differs from the sex citizen ID number " + number +
                        " holds: " + (info->male ? "male" : "female") + " (性别与身份证号码不符)",
                    type + ".gender");
  }
  return Status::Ok();
}

}  // namespace kangyun::mpi
