// The person registry's model on the command line: `kangyun mpi-eval` scores a generated city
// against its ground truth, `kangyun mpi-estimate` estimates the same model from Patients alone
// (a registry's own records have no ground truth), and `kangyun serve --match-model` matches
// with the model it is given.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "json/json.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

CommandOutput Kangyun(const std::string& args) { return RunKangyun(KANGYUN_BINARY, args); }

const std::string& Scratch() {
  static const std::string dir = ScratchFolder("kangyun-match-model");
  return dir;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A city of 3,000 residents' Patients, with second registrations and twins.
const std::string& City() {
  static const std::string dir = [] {
    std::string d = Scratch() + "/city";
    CommandOutput o = Kangyun("generate --residents 3000 --seed 7 --types Patient --out " + d);
    EXPECT_EQ(o.exit_code, 0) << o.text;
    return d;
  }();
  return dir;
}

// The number after `label` in text, or -1.
double NumberAfter(const std::string& text, const std::string& label) {
  size_t at = text.find(label);
  return at == std::string::npos ? -1 : std::atof(text.c_str() + at + label.size());
}

TEST(MatchModelCli, MpiEvalScoresAGeneratedCityAgainstItsGroundTruth) {
  std::string model = Scratch() + "/eval.json";
  CommandOutput o = Kangyun("mpi-eval " + City() + " --model-out " + model);
  ASSERT_EQ(o.exit_code, 0) << o.text;
  EXPECT_NE(o.text.find("false merges 0"), std::string::npos) << o.text;
  size_t both = o.text.find("certain + probable:");
  ASSERT_NE(both, std::string::npos) << o.text;
  EXPECT_GE(NumberAfter(o.text.substr(both), "F1 "), 0.98) << o.text;
  auto parsed = json::Parse(ReadFile(model));
  ASSERT_TRUE(parsed.ok());
  ASSERT_NE(parsed->Find("fields"), nullptr);
  EXPECT_EQ(parsed->Find("fields")->items().size(), 6u);
}

TEST(MatchModelCli, MpiEstimateEstimatesTheSameModelFromThePatientsAlone) {
  std::string evaluated = Scratch() + "/evaluated.json", estimated = Scratch() + "/estimated.json";
  ASSERT_EQ(Kangyun("mpi-eval " + City() + " --model-out " + evaluated).exit_code, 0);
  CommandOutput o = Kangyun("mpi-estimate " + City() + "/Patient.ndjson --model-out " + estimated);
  ASSERT_EQ(o.exit_code, 0) << o.text;
  EXPECT_NE(o.text.find("phone       agree"), std::string::npos) << o.text;
  EXPECT_EQ(ReadFile(estimated), ReadFile(evaluated));
}

TEST(MatchModelCli, MpiEstimateRefusesTooFewPatientsAndUnreadableFiles) {
  std::string few = Scratch() + "/few.ndjson";
  {
    std::ifstream in(City() + "/Patient.ndjson");
    std::ofstream out(few);
    std::string line;
    for (int i = 0; i < 10 && std::getline(in, line); ++i) out << line << "\n";
  }
  CommandOutput o = Kangyun("mpi-estimate " + few + " --model-out " + Scratch() + "/m.json");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.text.find("too few"), std::string::npos) << o.text;
  o = Kangyun("mpi-estimate " + Scratch() + "/none.ndjson --model-out " + Scratch() + "/m.json");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.text.find("cannot read"), std::string::npos) << o.text;
  EXPECT_EQ(Kangyun("mpi-estimate " + few).exit_code, 2);  // no --model-out
}

// The grade $match gives a homophone (王铭) of a registered 王明 with his phone, birth date and
// home, from a server started with extra arguments.
std::string HomophoneGrade(const std::string& db, const std::vector<std::string>& extra) {
  ServerProcess server(KANGYUN_BINARY, db, extra);
  EXPECT_TRUE(server.ok());
  const char* person =
      R"("telecom":[{"system":"phone","value":"13800001234"}],"gender":"male",)"
      R"("birthDate":"1985-03-07","address":[{"use":"home","line":["人民南路1号"],)"
      R"("district":"武侯区"}])";
  HttpResult put = HttpCall("127.0.0.1", server.port(), "PUT", "/fhir/Patient/m1",
                            {{"Content-Type", "application/fhir+json"}},
                            std::string(R"({"resourceType":"Patient","id":"m1",)") +
                                R"("name":[{"family":"王","given":["明"]}],)" + person + "}");
  EXPECT_TRUE(put.status == 201 || put.status == 200) << put.body;
  HttpResult match = HttpCall(
      "127.0.0.1", server.port(), "POST", "/fhir/Patient/$match",
      {{"Content-Type", "application/fhir+json"}},
      std::string(R"({"resourceType":"Parameters","parameter":[{"name":"resource","resource":)") +
          R"({"resourceType":"Patient","name":[{"family":"王","given":["铭"]}],)" + person +
          "}}]}");
  EXPECT_EQ(match.status, 200) << match.body;
  auto bundle = json::Parse(match.body);
  if (!bundle.ok() || !bundle->Find("entry")) return "";
  const json::Value& entry = bundle->Find("entry")->items()[0];
  return std::string(entry.Find("search")->Find("extension")->items()[0].GetString("valueCode"));
}

// A model of round numbers: only the name's sound and the birth date weigh (10 bits each), and
// a person has one other record (matchesPerRecord 1). In a registry of 100,000 (the smallest
// the prior assumes) the homophone pair's log-odds are 20 - 16.6: probability 0.91, possible.
std::string PlainModel() {
  auto level = [](const char* name, double m, double u) {
    return std::string(R"({"level":")") + name + R"(","m":)" + std::to_string(m) + R"(,"u":)" +
           std::to_string(u) + "}";
  };
  auto field = [](const char* name, const std::vector<std::string>& levels) {
    std::string list;
    for (const std::string& l : levels) list += (list.empty() ? "" : ",") + l;
    return std::string(R"({"field":")") + name + R"(","levels":[)" + list + "]}";
  };
  return R"({"matchesPerRecord":1,"fields":[)" +
         field("citizen-id", {level("disagree", 0.5, 0.5), level("agree", 0.5, 0.5)}) + "," +
         field("name",
               {level("disagree", 0.25, 0.25), level("one-character-differs", 0.25, 0.25),
                level("same-pinyin", 0.5, 0.5 / 1024), level("same-characters", 0.25, 0.25)}) +
         "," +
         field("birth-date",
               {level("disagree", 0.25, 0.25), level("one-digit-differs", 0.25, 0.25),
                level("day-month-swapped", 0.25, 0.25), level("same", 0.5, 0.5 / 1024)}) +
         "," + field("sex", {level("disagree", 0.5, 0.5), level("agree", 0.5, 0.5)}) + "," +
         field("phone", {level("disagree", 0.5, 0.5), level("agree", 0.5, 0.5)}) + "," +
         field("address", {level("disagree", 0.3, 0.3), level("same-district", 0.3, 0.3),
                           level("same-address", 0.3, 0.3)}) +
         "]}";
}

TEST(MatchModelCli, ServeMatchesWithTheModelItIsGiven) {
  EXPECT_EQ(HomophoneGrade(Scratch() + "/built-in.db", {}), "probable");
  std::string plain = Scratch() + "/plain.json";
  std::ofstream(plain) << PlainModel();
  EXPECT_EQ(HomophoneGrade(Scratch() + "/plain.db", {"--match-model", plain}), "possible");
}

TEST(MatchModelCli, ServeRefusesAModelItCannotUse) {
  std::string bad = Scratch() + "/bad.json";
  std::ofstream(bad) << R"({"matchesPerRecord":0.1,"fields":[]})";
  CommandOutput o = Kangyun("serve --db sqlite:" + Scratch() + "/refused.db --port " +
                            std::to_string(FreePort()) + " --match-model " + bad);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.text.find(bad), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("fields"), std::string::npos) << o.text;
  o = Kangyun("serve --db sqlite:" + Scratch() + "/refused.db --port " +
              std::to_string(FreePort()) + " --match-model " + Scratch() + "/missing.json");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.text.find("cannot read the match model"), std::string::npos) << o.text;
}

}  // namespace
}  // namespace kangyun::testing
