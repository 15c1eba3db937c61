// The identifier and code systems of the platform: one place for every URI, so that the
// generator, the registries and the documentation name the same systems.
#pragma once

namespace kangyun::cn {

// 居民身份证 (citizen ID number): the OID used for it in Chinese CDA and HL7 v3 messages.
inline constexpr const char* kCitizenIdSystem = "urn:oid:2.16.156.10011.1.3";
// 居民电子健康卡 (electronic health card): its technical spec is not public, so an opaque id
// under the platform's own system.
inline constexpr const char* kHealthCardSystem = "https://kangyun.cn/fhir/sid/health-card";
// An institution's medical record number: this prefix + the Organization id.
inline constexpr const char* kMrnSystemPrefix = "https://kangyun.cn/fhir/sid/mrn/";
// An institution's code on the platform, and a practitioner's licence (执业证书编码).
inline constexpr const char* kInstitutionCodeSystem = "https://kangyun.cn/fhir/sid/institution";
inline constexpr const char* kPractitionerLicenceSystem =
    "https://kangyun.cn/fhir/sid/practitioner-licence";
inline constexpr const char* kFamilyDoctorContractSystem =
    "https://kangyun.cn/fhir/sid/family-doctor-contract";

// Code systems of the platform.
inline constexpr const char* kInstitutionTypeSystem =
    "https://kangyun.cn/fhir/CodeSystem/institution-type";
inline constexpr const char* kHospitalLevelSystem =
    "https://kangyun.cn/fhir/CodeSystem/hospital-level";
inline constexpr const char* kDepartmentSystem = "https://kangyun.cn/fhir/CodeSystem/department";
inline constexpr const char* kServiceTypeSystem = "https://kangyun.cn/fhir/CodeSystem/service-type";
inline constexpr const char* kAdministrativeDivisionSystem =
    "https://kangyun.cn/fhir/CodeSystem/gb-t-2260";

// International code systems.
inline constexpr const char* kIcd10System = "http://hl7.org/fhir/sid/icd-10";
inline constexpr const char* kLoincSystem = "http://loinc.org";
inline constexpr const char* kUcumSystem = "http://unitsofmeasure.org";
inline constexpr const char* kAtcSystem = "http://www.whocc.no/atc";
inline constexpr const char* kCvxSystem = "http://hl7.org/fhir/sid/cvx";
inline constexpr const char* kDicomSystem = "http://dicom.nema.org/resources/ontology/DCM";

}  // namespace kangyun::cn
