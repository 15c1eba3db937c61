#include "fhir/fhirpath/fhirpath.h"

#include <gtest/gtest.h>

#include "json/json.h"
#include "tests/unit/test_definitions.h"

namespace kangyun::fhir::fhirpath {
namespace {

const char* kPatient = R"({
  "resourceType": "Patient", "id": "p1",
  "extension": [{"url": "http://example.org/ethnicity", "valueCode": "01"}],
  "identifier": [{"system": "urn:id", "value": "110101199003074471"}, {"system": "urn:mrn", "value": "A7"}],
  "active": true,
  "name": [{"use": "official", "family": "Wang", "given": ["Xiao", "Ming"]},
           {"use": "nickname", "given": ["Ming"]}],
  "gender": "male", "birthDate": "1990-03-07",
  "multipleBirthInteger": 2,
  "contact": [{"name": {"family": "Li"}, "telecom": [{"system": "phone", "value": "138"}]}],
  "managingOrganization": {"reference": "Organization/o1"},
  "contained": [{"resourceType": "Practitioner", "id": "pr", "active": true}],
  "generalPractitioner": [{"reference": "#pr"}]
})";

const char* kObservation = R"({
  "resourceType": "Observation", "id": "o1", "status": "final",
  "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
  "subject": {"reference": "Patient/p1"},
  "effectiveDateTime": "2024-05-01T08:00:00+08:00",
  "valueQuantity": {"value": 120.5, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}
})";

class FhirPathTest : public ::testing::Test {
 protected:
  std::string Eval(const std::string& expr, const char* resource = kPatient,
                   bool with_defs = true) {
    auto compiled = Compile(expr);
    if (!compiled.ok()) return "COMPILE ERROR: " + compiled.status().message();
    auto r = json::Parse(resource);
    EvalOptions options;
    if (with_defs) options.definitions = &kangyun::testing::Defs();
    options.now_micros = 1700000000LL * 1000000;
    auto result = Evaluate(**compiled, *r, options);
    if (!result.ok()) return "ERROR: " + result.status().message();
    return json::Write(ToJson(*result));
  }
};

TEST_F(FhirPathTest, Paths) {
  EXPECT_EQ(Eval("Patient.name.given"), R"(["Xiao","Ming","Ming"])");
  EXPECT_EQ(Eval("name.family"), R"(["Wang"])");
  EXPECT_EQ(Eval("Observation.status"), "[]");  // type filter at the root
  EXPECT_EQ(Eval("Resource.id"), R"(["p1"])");
  EXPECT_EQ(Eval("Patient.contact.telecom.value"), R"(["138"])");
  EXPECT_EQ(Eval("name[1].given"), R"(["Ming"])");
  EXPECT_EQ(Eval("Patient.name.given[0]"), R"(["Xiao"])");
}

TEST_F(FhirPathTest, ChoiceTypesAndTypeOperators) {
  EXPECT_EQ(
      Eval("Observation.value", kObservation),
      R"([{"value":120.5,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}])");
  EXPECT_EQ(Eval("(Observation.value as Quantity).value", kObservation), "[120.5]");
  EXPECT_EQ(Eval("Observation.value.as(Quantity).unit", kObservation), R"(["mmHg"])");
  EXPECT_EQ(Eval("Observation.value is Quantity", kObservation), "[true]");
  EXPECT_EQ(Eval("Observation.value is string", kObservation), "[false]");
  EXPECT_EQ(Eval("Observation.value.ofType(Quantity).code", kObservation), R"(["mm[Hg]"])");
  EXPECT_EQ(Eval("Observation.effective.ofType(dateTime)", kObservation),
            R"(["2024-05-01T08:00:00+08:00"])");
  EXPECT_EQ(Eval("Patient.multipleBirth is integer"), "[true]");
  EXPECT_EQ(Eval("Patient.gender is code"), "[true]");
  EXPECT_EQ(Eval("Patient.gender is string"), "[true]");  // code derives from string
  // Without definitions the types come from the JSON member names.
  EXPECT_EQ(Eval("(Observation.value as Quantity).unit", kObservation, false), R"(["mmHg"])");
}

TEST_F(FhirPathTest, WhereExistsAllSelectRepeat) {
  EXPECT_EQ(Eval("name.where(use = 'official').family"), R"(["Wang"])");
  EXPECT_EQ(Eval("identifier.where(system = 'urn:mrn').value"), R"(["A7"])");
  EXPECT_EQ(Eval("name.exists(use = 'nickname')"), "[true]");
  EXPECT_EQ(Eval("name.all(given.exists())"), "[true]");
  EXPECT_EQ(Eval("name.all(family.exists())"), "[false]");
  EXPECT_EQ(Eval("name.select(given.first())"), R"(["Xiao","Ming"])");
  EXPECT_EQ(Eval("contact.repeat(name).family"), R"(["Li"])");
  EXPECT_EQ(Eval("name.given.distinct().count()"), "[2]");
  EXPECT_EQ(Eval("name.given.isDistinct()"), "[false]");
  EXPECT_EQ(Eval("name.given.where($index > 0)"), R"(["Ming","Ming"])");
  EXPECT_EQ(Eval("deceased.exists().not()"), "[true]");
  EXPECT_EQ(Eval("{}.empty()"), "[true]");
}

TEST_F(FhirPathTest, CollectionsAndUnion) {
  EXPECT_EQ(Eval("name.given | name.family"), R"(["Xiao","Ming","Wang"])");
  EXPECT_EQ(Eval("name.given.combine(name.family).count()"), "[4]");
  EXPECT_EQ(Eval("(1 | 2 | 3).tail()"), "[2,3]");
  EXPECT_EQ(Eval("(1 | 2 | 3).skip(1).take(1)"), "[2]");
  EXPECT_EQ(Eval("(1 | 2 | 3).intersect(2 | 3 | 4)"), "[2,3]");
  EXPECT_EQ(Eval("(1 | 2 | 3).exclude(2)"), "[1,3]");
  EXPECT_EQ(Eval("(1 | 2).subsetOf(1 | 2 | 3)"), "[true]");
  EXPECT_EQ(Eval("2 in (1 | 2)"), "[true]");
  EXPECT_EQ(Eval("(1 | 2) contains 3"), "[false]");
  EXPECT_EQ(Eval("name.given.single()").substr(0, 6), "ERROR:");
}

TEST_F(FhirPathTest, StringsAndMath) {
  EXPECT_EQ(Eval("'abc'.substring(1, 1)"), R"(["b"])");
  EXPECT_EQ(Eval("'Hello'.upper() + ' ' + 'World'.lower()"), R"(["HELLO world"])");
  EXPECT_EQ(Eval("'a-b-c'.replace('-', '+')"), R"(["a+b+c"])");
  EXPECT_EQ(Eval("'abc123'.matches('[0-9]+')"), "[true]");
  EXPECT_EQ(Eval("'abc123'.replaceMatches('[0-9]', 'x')"), R"(["abcxxx"])");
  EXPECT_EQ(Eval("'中文字'.length()"), "[3]");
  EXPECT_EQ(Eval("'a,b'.split(',').join('|')"), R"(["a|b"])");
  EXPECT_EQ(Eval("identifier.first().value.startsWith('1101')"), "[true]");
  EXPECT_EQ(Eval("7 div 2"), "[3]");
  EXPECT_EQ(Eval("7 mod 2"), "[1]");
  EXPECT_EQ(Eval("7 / 2"), "[3.5]");
  EXPECT_EQ(Eval("1 / 0"), "[]");
  EXPECT_EQ(Eval("(-5).abs() + 2.5.round()"), "[8]");
  EXPECT_EQ(Eval("2.power(10)"), "[1024]");
  EXPECT_EQ(Eval("16.sqrt()"), "[4]");
  EXPECT_EQ(Eval("'5'.toInteger() + 1"), "[6]");
  EXPECT_EQ(Eval("'x'.convertsToInteger()"), "[false]");
  EXPECT_EQ(Eval("1 + 'a'").substr(0, 6), "ERROR:");
  EXPECT_EQ(Eval("9223372036854775807 + 1").substr(0, 6), "ERROR:");
}

TEST_F(FhirPathTest, EqualityAndEquivalence) {
  EXPECT_EQ(Eval("1 = 1.0"), "[true]");
  EXPECT_EQ(Eval("'Abc' = 'abc'"), "[false]");
  EXPECT_EQ(Eval("'Abc  x' ~ 'abc x'"), "[true]");
  EXPECT_EQ(Eval("1.2 ~ 1.23"), "[true]");
  EXPECT_EQ(Eval("{} = 1"), "[]");
  EXPECT_EQ(Eval("(1 | 2) = (1 | 2)"), "[true]");
  EXPECT_EQ(Eval("(1 | 2) != (1 | 3)"), "[true]");
  EXPECT_EQ(Eval("name[0] = name[0]"), "[true]");
  EXPECT_EQ(Eval("name[0] = name[1]"), "[false]");
  EXPECT_EQ(Eval("true and {}"), "[]");
  EXPECT_EQ(Eval("false and {}"), "[false]");
  EXPECT_EQ(Eval("true or {}"), "[true]");
  EXPECT_EQ(Eval("{} implies false"), "[]");
  EXPECT_EQ(Eval("false implies {}"), "[true]");
  EXPECT_EQ(Eval("true xor false"), "[true]");
}

TEST_F(FhirPathTest, DatesWithPartialPrecision) {
  EXPECT_EQ(Eval("birthDate = @1990-03-07"), "[true]");
  EXPECT_EQ(Eval("birthDate > @1990-01"), "[true]");
  EXPECT_EQ(Eval("@2020 = @2020-01"), "[]");  // different precision: unknown
  EXPECT_EQ(Eval("@2020 ~ @2020-01"), "[false]");
  EXPECT_EQ(Eval("@2019 < @2020-01"), "[true]");
  EXPECT_EQ(Eval("@2024-05-01T08:00:00+08:00 = @2024-05-01T00:00:00Z"), "[true]");
  EXPECT_EQ(Eval("@T10:30 < @T11:00"), "[true]");
  EXPECT_EQ(Eval("birthDate + 1 year"), R"(["1991-03-07"])");
  EXPECT_EQ(Eval("@2024-01-31 + 1 month"), R"(["2024-02-29"])");
  EXPECT_EQ(Eval("@2024-03-01 - 1 day"), R"(["2024-02-29"])");
  EXPECT_EQ(Eval("today() > @2020-01-01"), "[true]");
  EXPECT_EQ(Eval("now() > @2020-01-01T00:00:00Z"), "[true]");
  EXPECT_EQ(Eval("Observation.effective > @2024-04-30", kObservation), "[true]");
}

TEST_F(FhirPathTest, QuantitiesWithUcumUnits) {
  EXPECT_EQ(Eval("1000 'mg' = 1 'g'"), "[true]");
  EXPECT_EQ(Eval("1 'kg' > 999 'g'"), "[true]");
  EXPECT_EQ(Eval("1 'm' = 1 'g'"), "[]");
  EXPECT_EQ(Eval("Observation.value > 15 'kPa'", kObservation), "[true]");
  EXPECT_EQ(Eval("Observation.value < 17 'kPa'", kObservation), "[true]");
  EXPECT_EQ(Eval("(5 'mg' + 1 'g') = 1005 'mg'"), "[true]");
  EXPECT_EQ(Eval("'5 mg'.toQuantity('g')"), "[{\"value\":0.005,\"unit\":\"g\"}]");
  EXPECT_EQ(Eval("7 days = 1 week"), "[true]");
}

TEST_F(FhirPathTest, ResolveAndExtension) {
  EXPECT_EQ(Eval("managingOrganization.resolve() is Organization"), "[true]");
  EXPECT_EQ(Eval("managingOrganization.where(resolve() is Patient).exists()"), "[false]");
  EXPECT_EQ(Eval("generalPractitioner.resolve().active"), "[true]");
  EXPECT_EQ(Eval("Observation.subject.where(resolve() is Patient)", kObservation),
            R"([{"reference":"Patient/p1"}])");
  EXPECT_EQ(Eval("extension('http://example.org/ethnicity').value"), R"(["01"])");
  EXPECT_EQ(Eval("Patient.extension.where(url = 'http://example.org/ethnicity').exists()"),
            "[true]");
  EXPECT_EQ(Eval("gender.memberOf('http://hl7.org/fhir/ValueSet/administrative-gender')"),
            "[true]");
  EXPECT_EQ(Eval("Observation.code.memberOf('http://hl7.org/fhir/ValueSet/administrative-gender')",
                 kObservation),
            "[false]");
  EXPECT_EQ(Eval("gender.memberOf('http://example.org/unknown')"), "[]");
  EXPECT_EQ(Eval("%resource.id"), R"(["p1"])");
  EXPECT_EQ(Eval("iif(active, 'yes', 'no')"), R"(["yes"])");
  EXPECT_EQ(Eval("active.hasValue()"), "[true]");
  EXPECT_EQ(Eval("name.children().count() > 3"), "[true]");
  EXPECT_EQ(Eval("descendants().where($this = 'A7').exists()"), "[true]");
}

TEST_F(FhirPathTest, SyntaxErrorsNameThePosition) {
  auto r = Compile("Patient.name.where(");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("position"), std::string::npos);
  EXPECT_FALSE(Compile("1 +").ok());
  EXPECT_FALSE(Compile("name.given[").ok());
  EXPECT_FALSE(Compile("'unterminated").ok());
  EXPECT_FALSE(Compile("a ! b").ok());
  auto e = Compile("name.frobnicate()");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Eval("name.frobnicate()").substr(0, 6), "ERROR:");
  std::string deep(5000, '(');
  EXPECT_FALSE(Compile(deep + "1" + std::string(5000, ')')).ok());
}

TEST_F(FhirPathTest, EveryR4SearchParameterExpressionCompiles) {
  auto registry = kangyun::testing::NewRegistry();
  auto snap = registry->snapshot();
  int with_expression = 0;
  for (const auto& [url, p] : snap->by_url) {
    if (p->expression.empty()) continue;
    ++with_expression;
    EXPECT_TRUE(p->compiled) << url;
  }
  EXPECT_GT(with_expression, 1300);
}

}  // namespace
}  // namespace kangyun::fhir::fhirpath
