// The resources the platform ships are valid R4 resources, each with its own id and url, and the
// terminology service reads them as their authors meant.
#include "content/platform_content.h"

#include <gtest/gtest.h>

#include <set>

#include "fhir/validator.h"
#include "json/json.h"
#include "terminology/terminology.h"
#include "tests/unit/test_definitions.h"

namespace kangyun::content {
namespace {

TEST(PlatformContent, EveryResourceIsValidR4WithItsOwnIdAndUrl) {
  fhir::Validator validator(testing::Defs());
  std::set<std::string> ids, urls;
  std::vector<json::Value> all = PlatformResources();
  ASSERT_GT(all.size(), 20u);
  for (const json::Value& r : all) {
    std::string type(r.GetString("resourceType")), id(r.GetString("id"));
    Status valid = validator.Validate(r);
    EXPECT_TRUE(valid.ok()) << type << "/" << id << ": " << valid.message() << " at "
                            << valid.expression();
    EXPECT_TRUE(ids.insert(type + "/" + id).second) << "id used twice: " << type << "/" << id;
    if (type != "NamingSystem") {
      EXPECT_TRUE(urls.insert(std::string(r.GetString("url"))).second) << type << "/" << id;
    }
  }
  EXPECT_TRUE(validator.Validate(MrnNamingSystem("org-1", "成都市第一人民医院")).ok());
}

TEST(PlatformContent, TheTerminologyServiceReadsIt) {
  terminology::Terminology terms;
  std::vector<json::Value> all = PlatformResources();
  std::vector<const json::Value*> pointers;
  for (const json::Value& r : all) pointers.push_back(&r);
  ASSERT_TRUE(terms.Add(pointers).ok());
  // GB/T 3304: 56 peoples, 其他 and naturalised citizens.
  auto ethnicity = terms.Expand("https://kangyun.cn/fhir/ValueSet/gb-t-3304");
  ASSERT_TRUE(ethnicity.ok()) << ethnicity.status().message();
  EXPECT_EQ(ethnicity->size(), 58u);
  auto han = terms.Lookup("https://kangyun.cn/fhir/CodeSystem/gb-t-3304", "01");
  ASSERT_TRUE(han.has_value());
  EXPECT_NE(han->display.find("汉族"), std::string::npos);
  // Hospital levels: a grade is-a its tier.
  auto tertiary = terms.Subsumed("https://kangyun.cn/fhir/CodeSystem/hospital-level", "3", true);
  ASSERT_TRUE(tertiary.has_value());
  EXPECT_EQ(tertiary->size(), 4u);  // 3, 3A, 3B, 3C
  auto above = terms.Subsumed("http://hl7.org/fhir/sid/icd-10", "E11.9", false);
  ASSERT_TRUE(above.has_value());
  EXPECT_EQ(*above, (std::vector<std::string>{"E11.9", "E11"}));
  // The follow-up conditions: hypertension and type 2 diabetes by category.
  auto chronic = terms.Expand("https://kangyun.cn/fhir/ValueSet/chronic-follow-up-conditions");
  ASSERT_TRUE(chronic.ok()) << chronic.status().message();
  std::set<std::string> codes;
  for (const auto& c : *chronic) codes.insert(c.code);
  EXPECT_EQ(codes, (std::set<std::string>{"I10", "E11", "E11.9"}));
  auto female = terms.Translate("", "https://kangyun.cn/fhir/CodeSystem/gb-t-2261-1", "2",
                                "http://hl7.org/fhir/administrative-gender");
  ASSERT_TRUE(female.ok());
  ASSERT_EQ(female->size(), 1u);
  EXPECT_EQ((*female)[0].target.code, "female");
}

TEST(Terminology, FiltersExcludesAndNestedValueSets) {
  terminology::Terminology terms;
  auto add = [&](const char* text) {
    auto r = json::Parse(text);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(terms.Add(*r).ok());
  };
  add(R"({"resourceType":"CodeSystem","url":"urn:x","content":"complete","concept":[
        {"code":"a","display":"A","concept":[{"code":"a1","display":"A one"},{"code":"a2"}]},
        {"code":"b","display":"B"}]})");
  add(R"({"resourceType":"ValueSet","url":"urn:vs:below-a","compose":{"include":[{"system":"urn:x",
        "filter":[{"property":"concept","op":"descendent-of","value":"a"}]}]}})");
  add(R"({"resourceType":"ValueSet","url":"urn:vs:all-but-a2","compose":{"include":[{"system":"urn:x"}],
        "exclude":[{"system":"urn:x","concept":[{"code":"a2"}]}]}})");
  add(R"({"resourceType":"ValueSet","url":"urn:vs:nested","compose":{"include":[
        {"valueSet":["urn:vs:below-a"]},{"system":"urn:x","concept":[{"code":"b"}]}]}})");
  add(R"({"resourceType":"ValueSet","url":"urn:vs:regex","compose":{"include":[{"system":"urn:x",
        "filter":[{"property":"display","op":"regex","value":"A.*"}]}]}})");
  auto codes = [&](const char* url) {
    std::set<std::string> out;
    auto e = terms.Expand(url);
    EXPECT_TRUE(e.ok()) << url << ": " << e.status().message();
    if (e.ok())
      for (const auto& c : *e) out.insert(c.code);
    return out;
  };
  EXPECT_EQ(codes("urn:vs:below-a"), (std::set<std::string>{"a1", "a2"}));
  EXPECT_EQ(codes("urn:vs:all-but-a2"), (std::set<std::string>{"a", "a1", "b"}));
  EXPECT_EQ(codes("urn:vs:nested|1.0"), (std::set<std::string>{"a1", "a2", "b"}));
  // What is not supported says so, and an unknown value set is not found.
  auto regex = terms.Expand("urn:vs:regex");
  ASSERT_FALSE(regex.ok());
  EXPECT_NE(regex.status().message().find("not supported"), std::string::npos);
  EXPECT_EQ(terms.Expand("urn:nothing").status().code(), StatusCode::kNotFound);
  // A CodeSystem without url cannot be used.
  auto bad = json::Parse(R"({"resourceType":"CodeSystem","content":"complete"})");
  EXPECT_EQ(terms.Add(*bad).code(), StatusCode::kUnprocessable);
}

}  // namespace
}  // namespace kangyun::content
