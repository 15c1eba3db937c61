#include "json/json.h"

#include <gtest/gtest.h>

#include "base/strings.h"

namespace kangyun::json {
namespace {

TEST(JsonParse, KeepsNumberTextAndMemberOrder) {
  auto v = Parse(R"({"b":1.50,"a":12345678901234567890.1,"c":-0.0e+3})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(Write(*v), R"({"b":1.50,"a":12345678901234567890.1,"c":-0.0e+3})");
}

TEST(JsonParse, DecodesEscapesAndSurrogatePairs) {
  auto v = Parse(R"(["\u4e2d\u6587","\ud83d\ude00","a\"b\\c\n"])");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->items()[0].str(), "中文");
  EXPECT_EQ(v->items()[1].str(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(v->items()[2].str(), "a\"b\\c\n");
  EXPECT_EQ(Write(*v), "[\"中文\",\"\xF0\x9F\x98\x80\",\"a\\\"b\\\\c\\n\"]");
}

TEST(JsonParse, RefusesMalformedInputWithPosition) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\":}", "01", "1.", "-", "\"abc", "[1 2]",
                          "{\"a\":1,}", "tru", "nul", "{\"a\" 1}", "[\"\\x\"]", "1 2"}) {
    auto v = Parse(bad);
    EXPECT_FALSE(v.ok()) << bad;
  }
  auto v = Parse("{\n  \"a\": ]\n}");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("line 2"), std::string::npos) << v.status().message();
}

TEST(JsonParse, RefusesInvalidUtf8AndLoneSurrogates) {
  EXPECT_FALSE(Parse("\"\xff\"").ok());
  EXPECT_FALSE(Parse("\"\xc0\xaf\"").ok());      // overlong
  EXPECT_FALSE(Parse("\"\xed\xa0\x80\"").ok());  // encoded surrogate
  EXPECT_FALSE(Parse(R"("\ud800")").ok());
  EXPECT_FALSE(Parse(R"("\udc00x")").ok());
  EXPECT_FALSE(Parse("\"a\tb\"").ok());  // raw control character
}

TEST(JsonParse, RefusesDuplicateMembers) {
  auto v = Parse(R"({"a":1,"a":2})");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("duplicate"), std::string::npos);
}

TEST(JsonParse, LimitsNesting) {
  std::string deep(100000, '[');
  EXPECT_FALSE(Parse(deep).ok());
  std::string ok_depth = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(Parse(ok_depth).ok());
}

TEST(JsonWrite, RawValuesAreCopied) {
  Value o = Value::Object();
  o.Set("resource", Value::Raw(R"({"x":1.10})"));
  EXPECT_EQ(Write(o), R"({"resource":{"x":1.10}})");
}

TEST(JsonPatch, AppliesRfc6902Operations) {
  auto doc = Parse(R"({"a":[1,2],"b":{"c":"d"}})");
  auto patch = Parse(R"([
    {"op":"add","path":"/a/1","value":9},
    {"op":"remove","path":"/b/c"},
    {"op":"add","path":"/a/-","value":3},
    {"op":"copy","from":"/a/0","path":"/e"},
    {"op":"move","from":"/e","path":"/f"},
    {"op":"replace","path":"/b","value":"x"},
    {"op":"test","path":"/f","value":1}
  ])");
  ASSERT_TRUE(doc.ok() && patch.ok());
  Value d = *doc;
  ASSERT_TRUE(ApplyPatch(*patch, &d).ok());
  EXPECT_EQ(Write(d), R"({"a":[1,9,2,3],"b":"x","f":1})");
}

TEST(JsonPatch, ReportsBadPathsAndFailedTests) {
  auto doc = Parse(R"({"a":1})");
  Value d = *doc;
  EXPECT_FALSE(ApplyPatch(*Parse(R"([{"op":"remove","path":"/zz"}])"), &d).ok());
  EXPECT_FALSE(ApplyPatch(*Parse(R"([{"op":"add","path":"/x/y","value":1}])"), &d).ok());
  Status st = ApplyPatch(*Parse(R"([{"op":"test","path":"/a","value":2}])"), &d);
  EXPECT_EQ(st.code(), StatusCode::kUnprocessable);
  EXPECT_FALSE(ApplyPatch(*Parse(R"([{"op":"frobnicate","path":"/a"}])"), &d).ok());
}

}  // namespace
}  // namespace kangyun::json

namespace kangyun {
namespace {

TEST(Base64, DecodesAndRefusesMalformed) {
  EXPECT_EQ(*Base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(*Base64Decode("aGVs\nbG8h"), "hello!");
  EXPECT_EQ(*Base64Decode(""), "");
  EXPECT_FALSE(Base64Decode("aGVsbG8=x").has_value());
  EXPECT_FALSE(Base64Decode("a$b=").has_value());
  EXPECT_FALSE(Base64Decode("a").has_value());
}

}  // namespace
}  // namespace kangyun
