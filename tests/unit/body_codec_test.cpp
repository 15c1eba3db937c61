// Resource bodies compressed with a dictionary per type: trained once enough bodies were seen,
// used only once adopted, decoded to the exact bytes written, and found by id when another
// process trained it.
#include "store/body_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace kangyun::store {
namespace {

std::string Observation(int n) {
  return R"({"resourceType":"Observation","id":"obs-)" + std::to_string(n) +
         R"(","meta":{"versionId":"1","lastUpdated":"2026-03-0)" + std::to_string(n % 9 + 1) +
         R"(T08:00:00Z"},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/p-)" +
         std::to_string(n * 7919 % 1000) + R"("},"valueQuantity":{"value":)" +
         std::to_string(50 + n % 60) +
         R"(,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}})";
}

const BodyCodec::Fetch kNoFetch = [](uint32_t) -> Result<std::optional<BodyDictionary>> {
  return std::optional<BodyDictionary>();
};

// Encodes bodies of `type` until one trains a dictionary; returns it.
std::optional<BodyDictionary> TrainOne(BodyCodec& codec, int first = 0) {
  std::optional<BodyDictionary> trained;
  for (int n = first; n < first + static_cast<int>(BodyCodec::kSamplesToTrain) && !trained; ++n) {
    std::string body = Observation(n);
    EXPECT_EQ(codec.Encode("Observation", body, &trained), body) << "no dictionary yet";
  }
  return trained;
}

TEST(BodyCodec, BodiesStayAsWrittenUntilADictionaryIsAdopted) {
  BodyCodec codec;
  std::optional<BodyDictionary> trained = TrainOne(codec);
  ASSERT_TRUE(trained.has_value());
  EXPECT_EQ(trained->type, "Observation");
  EXPECT_NE(trained->id, 0u);
  // Handed out, not adopted: its transaction has not committed, so nothing uses it yet, and
  // no second one is trained meanwhile.
  std::optional<BodyDictionary> again;
  for (int n = 0; n < 2 * static_cast<int>(BodyCodec::kSamplesToTrain); ++n)
    EXPECT_EQ(codec.Encode("Observation", Observation(n), &again), Observation(n));
  EXPECT_FALSE(again.has_value());
  ASSERT_TRUE(codec.Adopt(*trained).ok());
  std::string body = Observation(5000);
  std::string stored = codec.Encode("Observation", body, &again);
  EXPECT_LT(stored.size() * 4, body.size()) << stored.size() << " of " << body.size();
  auto decoded = codec.Decode(stored, kNoFetch);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, body);
  // Bodies written before stay readable as they are; other types are untouched.
  EXPECT_EQ(*codec.Decode(Observation(1), kNoFetch), Observation(1));
  EXPECT_EQ(codec.Encode("Patient", R"({"resourceType":"Patient"})", &again),
            R"({"resourceType":"Patient"})");
}

TEST(BodyCodec, AnotherProcesssDictionaryIsFetchedByTheIdItsFramesName) {
  BodyCodec writer, reader;
  std::optional<BodyDictionary> trained = TrainOne(writer);
  ASSERT_TRUE(trained.has_value());
  ASSERT_TRUE(writer.Adopt(*trained).ok());
  std::optional<BodyDictionary> none;
  std::string stored = writer.Encode("Observation", Observation(7), &none);
  // Stored as a record, as the stores do, and read back from it.
  std::string record = DictionaryRecordValue(*trained);
  int fetched = 0;
  auto fetch = [&](uint32_t id) -> Result<std::optional<BodyDictionary>> {
    ++fetched;
    EXPECT_EQ(id, trained->id);
    KY_ASSIGN_OR_RETURN(BodyDictionary d, DictionaryFromRecord(std::to_string(id), record));
    return std::optional<BodyDictionary>(std::move(d));
  };
  EXPECT_EQ(*reader.Decode(stored, fetch), Observation(7));
  EXPECT_EQ(*reader.Decode(stored, fetch), Observation(7));
  EXPECT_EQ(fetched, 1) << "fetched once, then kept";
  // A frame naming a dictionary the store does not hold is an error, not a garbled body.
  BodyCodec stranger;
  auto lost = stranger.Decode(stored, kNoFetch);
  EXPECT_FALSE(lost.ok());
  EXPECT_NE(lost.status().message().find(std::to_string(trained->id)), std::string::npos);
}

TEST(BodyCodec, AnAbandonedDictionaryIsTrainedAgainFromNewBodies) {
  BodyCodec codec;
  std::optional<BodyDictionary> first = TrainOne(codec);
  ASSERT_TRUE(first.has_value());
  codec.Abandon("Observation");
  std::optional<BodyDictionary> second = TrainOne(codec, 1000);
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->id, first->id);
}

TEST(BodyCodec, DictionariesInFlightAreAdoptedOnlyWhenTheirTransactionCommits) {
  BodyCodec codec;
  std::optional<BodyDictionary> none;
  {
    DictionariesInFlight in_flight(&codec);
    in_flight.Savepoint();
    in_flight.Add(*TrainOne(codec));
    in_flight.RollbackToSavepoint();  // the part that stored it was undone
    ASSERT_TRUE(in_flight.Committed().ok());
  }
  EXPECT_EQ(codec.Encode("Observation", Observation(1), &none), Observation(1));
  {
    DictionariesInFlight in_flight(&codec);
    in_flight.Add(*TrainOne(codec, 2000));
  }  // rolled back
  EXPECT_EQ(codec.Encode("Observation", Observation(1), &none), Observation(1));
  {
    DictionariesInFlight in_flight(&codec);
    in_flight.Add(*TrainOne(codec, 4000));
    ASSERT_TRUE(in_flight.Committed().ok());
  }
  EXPECT_LT(codec.Encode("Observation", Observation(1), &none).size(), Observation(1).size());
}

TEST(BodyCodec, ADamagedDictionaryRecordIsAnError) {
  EXPECT_FALSE(DictionaryFromRecord("12", "Observation:abc").ok());
  EXPECT_FALSE(DictionaryFromRecord("x", "Observation:abcd").ok());
  EXPECT_FALSE(DictionaryFromRecord("12", "no colon").ok());
  BodyCodec codec;
  BodyDictionary not_zstd{12, "Observation", "abcd"};
  EXPECT_FALSE(codec.Adopt(not_zstd).ok());
}

}  // namespace
}  // namespace kangyun::store
