#include "fhir/datetime.h"

#include <gtest/gtest.h>

#include "base/utf8.h"
#include "fhir/fhirpath/quantity.h"
#include "fhir/normalize.h"

namespace kangyun::fhir {
namespace {

TEST(DateTime, PartialPrecisionRanges) {
  auto y = ParseDateTime("2020");
  ASSERT_TRUE(y);
  EXPECT_EQ(y->precision, DatePrecision::kYear);
  EXPECT_EQ(y->LowMicros(), ParseDateTime("2020-01-01T00:00:00Z")->LowMicros());
  EXPECT_EQ(y->HighMicros(), ParseDateTime("2020-12-31T23:59:59.999Z")->LowMicros() + 999);
  auto feb = ParseDateTime("2024-02");
  EXPECT_EQ(feb->HighMicros() + 1, ParseDateTime("2024-03-01T00:00:00Z")->LowMicros());
}

TEST(DateTime, TimeZonesShiftTheInstant) {
  auto a = ParseDateTime("2024-05-01T08:00:00+08:00");
  auto b = ParseDateTime("2024-05-01T00:00:00Z");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->LowMicros(), b->LowMicros());
}

TEST(DateTime, RefusesImpossibleDates) {
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-00", "20240101", "2024-1-01",
                          "2024-01-01T25:00:00Z", "2024-01-01T10:00", "banana", ""}) {
    EXPECT_FALSE(ParseDateTime(bad)) << bad;
  }
  EXPECT_TRUE(ParseDateTime("2024-02-29"));
  EXPECT_TRUE(ParseDateTime("2024-01-01T10:00:00"));  // dateTime without zone parses
  EXPECT_TRUE(ParseDateTime("2024-01-01T10", /*allow_partial_time=*/true));
}

TEST(DateTime, RoundTripsText) {
  EXPECT_EQ(ParseDateTime("2024-05-01T08:30:00.250+08:00")->ToString(),
            "2024-05-01T08:30:00.250+08:00");
  EXPECT_EQ(ParseDateTime("2024-05")->ToString(), "2024-05");
}

TEST(DateTime, FromMicrosIsTheInverseOfLowMicros) {
  for (const char* text : {"1970-01-01T00:00:00.000Z", "2024-02-29T23:59:59.999Z",
                           "1899-12-31T12:00:00.000Z", "2000-03-01T00:00:00.000Z"}) {
    auto v = ParseDateTime(text);
    ASSERT_TRUE(v);
    EXPECT_EQ(DateTimeFromMicros(v->LowMicros()).ToString(), text);
  }
}

TEST(Ucum, ConvertsWithinADimension) {
  auto mg = ParseUcum("mg");
  auto g = ParseUcum("g");
  ASSERT_TRUE(mg && g);
  EXPECT_EQ(mg->dims, g->dims);
  EXPECT_DOUBLE_EQ(mg->factor / g->factor, 0.001);
  auto mmhg = ParseUcum("mm[Hg]");
  auto kpa = ParseUcum("kPa");
  ASSERT_TRUE(mmhg && kpa);
  EXPECT_EQ(mmhg->Code(), kpa->Code());
  EXPECT_NEAR(120 * mmhg->factor / kpa->factor, 15.9987, 1e-3);
  auto mgdl = ParseUcum("mg/dL");
  auto gl = ParseUcum("g/L");
  EXPECT_NEAR(mgdl->factor / gl->factor, 0.01, 1e-12);
  auto per_min = ParseUcum("/min");
  auto hz = ParseUcum("Hz");
  EXPECT_EQ(per_min->Code(), hz->Code());
  EXPECT_TRUE(ParseUcum("10*9/L"));
  EXPECT_TRUE(ParseUcum("{beats}/min"));
  EXPECT_TRUE(ParseUcum("kg/m2"));
  EXPECT_FALSE(ParseUcum("furlongs"));
  EXPECT_EQ(ParseUcum("days")->Code(), ParseUcum("h")->Code());
}

TEST(Normalize, FoldsCaseAccentsAndFullWidth) {
  EXPECT_EQ(NormalizeForSearch("  Ärger  Émile "), "arger emile");
  EXPECT_EQ(NormalizeForSearch("ＷＡＮＧ　Xiao"), "wang xiao");
  EXPECT_EQ(NormalizeForSearch("张伟"), "张伟");
  EXPECT_EQ(NormalizeForSearch("Xiǎomíng Lǚ"), "xiaoming lu");
  EXPECT_EQ(NormalizeForSearch("Jose\xCC\x81"), "jose");  // combining acute accent
}

}  // namespace
}  // namespace kangyun::fhir

namespace kangyun {
namespace {

TEST(Utf8, DecodesStrictlyAndRoundTrips) {
  std::string s;
  for (uint32_t cp : {0x41u, 0x4E2Du, 0x1F600u, 0x7FFu}) AppendUtf8(cp, &s);
  size_t pos = 0;
  uint32_t cp;
  std::vector<uint32_t> back;
  while (pos < s.size()) {
    ASSERT_TRUE(DecodeUtf8(s, &pos, &cp));
    back.push_back(cp);
  }
  EXPECT_EQ(back, (std::vector<uint32_t>{0x41, 0x4E2D, 0x1F600, 0x7FF}));
  for (std::string bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE4\xB8", "\x80"}) {
    pos = 0;
    EXPECT_FALSE(DecodeUtf8(bad, &pos, &cp));
    EXPECT_EQ(pos, 0u);
  }
}

}  // namespace
}  // namespace kangyun
