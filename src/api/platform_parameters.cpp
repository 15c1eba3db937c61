// Search parameters Kangyun adds to R4's: what its registries and access rules search by and
// R4 does not define. Each is a SearchParameter resource with a FHIRPath expression, indexed
// like any other (the person registry's computed ones are in
// services/person_registry/matching.cpp).
#include "api/engine.h"
#include "json/json.h"

namespace kangyun::api {
namespace {

struct PlatformParameter {
  const char* name;
  const char* type;
  const char* bases;  // JSON array text
  const char* expression;
  const char* description;
};

constexpr PlatformParameter kParameters[] = {
    // Consent rules (api/access_policy.h) tell permits from denials, which R4 cannot search.
    {"Consent-provision-type", "token", R"(["Consent"])", "Consent.provision.type",
     "deny | permit: the consent's top-level provision"},
    // Chinese addresses are organised by district (区/县): GB/T 2260's third level.
    {"address-district", "string",
     R"(["Patient","Organization","Location","Practitioner","RelatedPerson"])",
     "Patient.address.district | Organization.address.district | Location.address.district | "
     "Practitioner.address.district | RelatedPerson.address.district",
     "The district (区/县) of an address"},
    // Sites, wards, rooms and beds (IHE mCSD): beds are Locations of physical type bd.
    {"Location-physical-type", "token", R"(["Location"])", "Location.physicalType",
     "The physical form of a location: site, ward, room, bed"},
    // A health worker's qualifications (licensed physician, nurse, village doctor).
    {"Practitioner-qualification", "token", R"(["Practitioner"])",
     "Practitioner.qualification.code", "A qualification of the health worker"},
    {"Practitioner-qualification-issuer", "reference", R"(["Practitioner"])",
     "Practitioner.qualification.issuer", "Who issued a qualification of the health worker"},
    // Who made a resource a principal keeps for itself (api/reach_model.h: IsOwnedType).
    {"Subscription-owner", "token", R"(["Subscription"])",
     "Subscription.extension('https://kangyun.cn/fhir/StructureDefinition/owner').value",
     "The principal (user/... or client/...) that made the subscription"},
};

std::string CodeOf(const std::string& name) {
  size_t dash = name.find('-');
  // "Location-physical-type" → "physical-type"; "address-district" stays.
  if (dash != std::string::npos && name[0] >= 'A' && name[0] <= 'Z') return name.substr(dash + 1);
  return name;
}

}  // namespace

void RegisterPlatformSearchParameters(fhir::SearchParameterRegistry& params) {
  for (const PlatformParameter& p : kParameters) {
    std::string code = CodeOf(p.name);
    std::string text = std::string(R"({"resourceType":"SearchParameter","url":)") +
                       R"("https://kangyun.cn/fhir/SearchParameter/)" + p.name + R"(","name":")" +
                       code + R"(","status":"active","code":")" + code + R"(","base":)" + p.bases +
                       R"(,"type":")" + p.type + R"(","expression":")" + p.expression +
                       R"(","description":")" + p.description + R"("})";
    auto resource = json::Parse(text);
    if (!resource.ok()) continue;
    auto param = params.Parse(*resource);
    if (param.ok()) params.Add(*param);
  }
}

}  // namespace kangyun::api
