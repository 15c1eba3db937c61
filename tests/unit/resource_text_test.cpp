// What _text and _content find a resource by (search/resource_text.h).
#include "search/resource_text.h"

#include <gtest/gtest.h>

#include "base/strings.h"
#include "json/json.h"

namespace kangyun::search {
namespace {

json::Value Parse(const char* text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::Value::Object();
}

TEST(ResourceText, TheNarrativeLosesItsMarkupButInlineTagsDoNotSplitWords) {
  json::Value r = Parse(R"({"resourceType":"Condition","text":{"status":"generated",
    "div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>主诉<b>头痛</b>三天</p><p>next</p></div>"}})");
  EXPECT_EQ(NarrativeText(r), "主诉头痛三天 next");
}

TEST(ResourceText, CharacterReferencesAreDecoded) {
  json::Value r = Parse(R"({"resourceType":"Condition","text":{"status":"generated",
    "div":"<div>&lt;急诊&gt; &amp; &#x4E2D;&#25991; &bogus; &#0; a&b</div>"}})");
  EXPECT_EQ(NarrativeText(r), "<急诊> & 中文 &bogus; &#0; a&b");
}

TEST(ResourceText, AResourceWithoutNarrativeHasNone) {
  EXPECT_EQ(NarrativeText(Parse(R"({"resourceType":"Patient"})")), "");
  EXPECT_EQ(NarrativeText(Parse(R"({"resourceType":"Patient","text":{"div":3}})")), "");
}

TEST(ResourceText, ContentIsWhatPeopleReadNotIdsLinksOrSystems) {
  json::Value r = Parse(R"({"resourceType":"Observation","id":"obs-secret-id",
    "meta":{"versionId":"7","source":"hidden-source"},
    "code":{"coding":[{"system":"http://loinc.org","version":"2.7","code":"8867-4",
                       "display":"Heart rate"}],"text":"心率"},
    "subject":{"reference":"Patient/p1","display":"王建国"},
    "note":[{"text":"静息"}],
    "extension":[{"url":"http://example.org/ext","valueString":"扩展文本"}],
    "valueAttachment":{"data":"QUJD","title":"报告"}})");
  std::string content = ContentText(r, NarrativeText(r));
  for (const char* expected :
       {"8867-4", "Heart rate", "心率", "王建国", "静息", "扩展文本", "报告"})
    EXPECT_NE(content.find(expected), std::string::npos) << expected << " in " << content;
  for (const char* absent : {"obs-secret-id", "hidden-source", "loinc.org", "2.7", "Patient/p1",
                             "example.org", "QUJD", "Observation"})
    EXPECT_EQ(content.find(absent), std::string::npos) << absent << " in " << content;
}

TEST(ResourceText, ContentHoldsTheNarrativeAndSeparatesItsPieces) {
  json::Value r = Parse(R"({"resourceType":"Condition","text":{"div":"<div>甲</div>"},
    "code":{"text":"乙"},"note":[{"text":"丙"}]})");
  EXPECT_EQ(ContentText(r, NarrativeText(r)), "甲\n乙\n丙");
}

TEST(ResourceText, TextIsCappedOnACharacterBoundary) {
  std::string long_text;
  while (long_text.size() < kMaxIndexedText + 100) long_text += "血";
  json::Value r = json::Value::Object();
  r.Set("resourceType", json::Value::String("Basic"));
  json::Value note = json::Value::Object();
  note.Set("text", json::Value::String("x" + long_text));  // one byte shifts the boundary
  json::Value notes = json::Value::Array();
  notes.Push(note);
  r.Set("note", notes);
  std::string content = ContentText(r, NarrativeText(r));
  EXPECT_LE(content.size(), kMaxIndexedText);
  EXPECT_GT(content.size(), kMaxIndexedText - 3);
  EXPECT_TRUE(IsValidUtf8(content));
}

}  // namespace
}  // namespace kangyun::search
