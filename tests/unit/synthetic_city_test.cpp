// The synthetic city: deterministic, valid, with real identifiers, published rates and a
// consistent ground truth.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cn/citizen_id.h"
#include "cn/systems.h"
#include "fhir/validator.h"
#include "json/json.h"
#include "synth/generator.h"
#include "tests/unit/test_definitions.h"

namespace kangyun::synth {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  fs::path dir =
      fs::temp_directory_path() / ("kangyun-city-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir.string();
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

std::vector<json::Value> Resources(const std::string& dir, const std::string& type) {
  std::vector<json::Value> out;
  for (const std::string& line : Lines(fs::path(dir) / (type + ".ndjson"))) {
    auto v = json::Parse(line);
    EXPECT_TRUE(v.ok()) << v.status().message();
    if (v.ok()) out.push_back(std::move(v).value());
  }
  return out;
}

// A city generated once for the tests that only read it, removed when the process ends (each
// test runs in a process of its own under ctest: without this, every run left hundreds of
// megabytes in the temp directory).
const std::string& City(int64_t residents) {
  struct Cities {
    std::map<int64_t, std::string> dirs;
    ~Cities() {
      for (const auto& [n, dir] : dirs) fs::remove_all(dir);
    }
  };
  static Cities cities;
  auto& dirs = cities.dirs;
  auto it = dirs.find(residents);
  if (it != dirs.end()) return it->second;
  CityOptions options;
  options.residents = residents;
  options.seed = 42;
  options.out_dir = TempDir("shared-" + std::to_string(residents));
  options.bundle_size = 100;
  auto summary = GenerateCity(options);
  EXPECT_TRUE(summary.ok()) << summary.status().message();
  return dirs.emplace(residents, options.out_dir).first->second;
}

int AgeOn(const std::string& birth_date, const std::string& as_of) {
  int age = std::stoi(as_of.substr(0, 4)) - std::stoi(birth_date.substr(0, 4));
  if (as_of.substr(5) < birth_date.substr(5)) --age;
  return age;
}

TEST(SyntheticCity, SameSeedSameBytesOtherSeedOtherCity) {
  CityOptions options;
  options.residents = 300;
  options.seed = 11;
  options.bundle_size = 50;
  options.out_dir = TempDir("a");
  ASSERT_TRUE(GenerateCity(options).ok());
  std::string first = options.out_dir;
  options.out_dir = TempDir("b");
  ASSERT_TRUE(GenerateCity(options).ok());
  std::string second = options.out_dir;
  options.seed = 12;
  options.out_dir = TempDir("c");
  ASSERT_TRUE(GenerateCity(options).ok());
  std::string other = options.out_dir;

  int compared = 0;
  for (const auto& entry : fs::recursive_directory_iterator(first)) {
    if (!entry.is_regular_file()) continue;
    fs::path rel = fs::relative(entry.path(), first);
    ASSERT_TRUE(fs::exists(fs::path(second) / rel)) << rel;
    EXPECT_EQ(ReadFile(entry.path()), ReadFile(fs::path(second) / rel)) << rel;
    ++compared;
  }
  EXPECT_GT(compared, 20);  // every type file, the bundles, ground truth and summary
  EXPECT_NE(ReadFile(fs::path(first) / "Patient.ndjson"),
            ReadFile(fs::path(other) / "Patient.ndjson"));
  for (const auto& dir : {first, second, other}) fs::remove_all(dir);
}

TEST(SyntheticCity, EveryResourceIsValidAndEveryReferenceResolves) {
  const std::string& dir = City(400);
  fhir::Validator validator(testing::Defs());
  std::set<std::string> ids;
  std::vector<std::string> references;
  std::function<void(const json::Value&)> collect = [&](const json::Value& v) {
    if (v.is_object()) {
      for (const auto& m : v.members()) {
        if (m.key == "reference" && m.value.is_string()) references.push_back(m.value.str());
        collect(m.value);
      }
    } else if (v.is_array()) {
      for (const auto& item : v.items()) collect(item);
    }
  };
  int64_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".ndjson") continue;
    std::string type = entry.path().stem().string();
    for (const json::Value& r : Resources(dir, type)) {
      ASSERT_EQ(r.GetString("resourceType"), type);
      Status s = validator.Validate(r);
      ASSERT_TRUE(s.ok()) << type << "/" << r.GetString("id") << ": " << s.message() << " at "
                          << s.expression();
      EXPECT_TRUE(ids.insert(type + "/" + std::string(r.GetString("id"))).second)
          << "duplicate id " << type << "/" << r.GetString("id");
      collect(r);
      ++count;
    }
  }
  EXPECT_GT(count, 400 * 10);
  for (const std::string& ref : references) EXPECT_TRUE(ids.count(ref)) << "dangling " << ref;
}

TEST(SyntheticCity, CitizenIdsAreValidUniqueAndAgreeWithTheRecord) {
  const std::string& dir = City(2000);
  std::map<std::string, std::string> errors_of;
  for (const std::string& line : Lines(fs::path(dir) / "ground-truth.csv")) {
    auto first = line.find(','), second = line.rfind(',');
    errors_of[line.substr(0, first)] = line.substr(second + 1);
  }
  std::set<std::string> originals;
  int checked = 0;
  for (const json::Value& p : Resources(dir, "Patient")) {
    std::string id(p.GetString("id"));
    for (const json::Value& ident : p.Find("identifier")->items()) {
      if (ident.GetString("system") != cn::kCitizenIdSystem) continue;
      std::string number(ident.GetString("value"));
      auto info = cn::ParseCitizenId(number, "2026-07-01");
      ASSERT_TRUE(info.ok()) << id << ": " << info.status().message();
      EXPECT_TRUE(number.starts_with("5101")) << number;  // a region of the city
      EXPECT_EQ(info->male, p.GetString("gender") == "male") << id;
      bool swapped = errors_of[id].find("swapped-day-month") != std::string::npos;
      EXPECT_EQ(info->birth_date == p.GetString("birthDate"), !swapped) << id;
      if (!id.ends_with("-d")) {
        EXPECT_TRUE(originals.insert(number).second) << "reused " << number;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 2000);
}

TEST(SyntheticCity, AgesAndPrevalencesFollowThePublishedRates) {
  const std::string& dir = City(6000);
  std::map<std::string, int> age_of;
  int adults = 0, elderly = 0, residents = 0;
  for (const json::Value& p : Resources(dir, "Patient")) {
    std::string id(p.GetString("id"));
    if (id.ends_with("-d") || id.ends_with("-t")) continue;  // second registrations, twins
    int age = AgeOn(std::string(p.GetString("birthDate")), "2026-07-01");
    age_of[id] = age;
    ++residents;
    adults += age >= 18;
    elderly += age >= 65;
  }
  ASSERT_EQ(residents, 6000);
  // 7th census: 13.50% aged 65 and over. Binomial sd at n=6000 is 0.44 points.
  EXPECT_NEAR(100.0 * elderly / residents, 13.5, 1.5);
  std::map<std::string, std::set<std::string>> with;  // ICD-10 code -> patients
  for (const json::Value& c : Resources(dir, "Condition")) {
    const json::Value* category = c.Find("category");
    std::string cat(category->items()[0].Find("coding")->items()[0].GetString("code"));
    if (cat != "problem-list-item") continue;
    std::string code(c.Find("code")->Find("coding")->items()[0].GetString("code"));
    std::string patient(c.Find("subject")->GetString("reference").substr(8));
    with[code].insert(patient);
  }
  auto adult_rate = [&](const std::string& code) {
    int n = 0;
    for (const std::string& p : with[code]) n += age_of[p] >= 18;
    return 100.0 * n / adults;
  };
  // Hypertension 27.5% and type 2 diabetes 11.9% of adults (2020 chronic-disease report);
  // the tolerance is about four binomial standard deviations.
  EXPECT_NEAR(adult_rate("I10"), 27.5, 2.5);
  EXPECT_NEAR(adult_rate("E11.9"), 11.9, 1.8);
  // Conditions never start before the age they are counted from.
  for (const std::string& p : with["J44.9"]) EXPECT_GE(age_of[p], 40) << p;
}

TEST(SyntheticCity, GroundTruthNamesEveryRecordAndOneOriginalPerPerson) {
  const std::string& dir = City(2000);
  std::set<std::string> patients;
  for (const json::Value& p : Resources(dir, "Patient"))
    patients.insert(std::string(p.GetString("id")));
  auto lines = Lines(fs::path(dir) / "ground-truth.csv");
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "patient_id,person,errors");
  std::map<std::string, int> originals_of;  // person -> records without errors listed
  std::set<std::string> listed;
  int duplicates = 0, twins = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto first = lines[i].find(','), second = lines[i].find(',', first + 1);
    ASSERT_NE(second, std::string::npos) << lines[i];
    std::string id = lines[i].substr(0, first),
                person = lines[i].substr(first + 1, second - first - 1);
    EXPECT_TRUE(patients.count(id)) << id;
    EXPECT_TRUE(listed.insert(id).second) << "listed twice: " << id;
    if (id.ends_with("-d")) {
      ++duplicates;
      EXPECT_EQ(id.substr(0, id.size() - 2), "pat-" + std::to_string(std::stoi(person) + 1));
    } else if (id.ends_with("-t")) {
      ++twins;
      EXPECT_EQ(person, id) << "a twin is a person of their own";
      ++originals_of[person];
    } else {
      EXPECT_TRUE(lines[i].ends_with(",")) << "an original with errors: " << lines[i];
      ++originals_of[person];
    }
  }
  EXPECT_EQ(listed.size(), patients.size());
  EXPECT_EQ(originals_of.size(), 2000u + twins);
  for (const auto& [person, n] : originals_of) EXPECT_EQ(n, 1) << person;
  // 5% registered twice by default.
  EXPECT_NEAR(duplicates, 100, 35);
  // 1.2% have a twin.
  EXPECT_NEAR(twins, 24, 15);
}

// Twins are what a person registry must never merge: the same surname, birth date and home,
// often a phone, but their own names and citizen ID numbers.
TEST(SyntheticCity, TwinsShareAHomeButNotAnIdentity) {
  const std::string& dir = City(2000);
  std::map<std::string, json::Value> by_id;
  for (json::Value& p : Resources(dir, "Patient")) by_id[std::string(p.GetString("id"))] = p;
  auto citizen_id = [](const json::Value& p) {
    for (const json::Value& ident : p.Find("identifier")->items())
      if (ident.GetString("system") == cn::kCitizenIdSystem)
        return std::string(ident.GetString("value"));
    return std::string();
  };
  auto official = [](const json::Value& p) { return &p.Find("name")->items()[0]; };
  int twins = 0;
  for (const auto& [id, twin] : by_id) {
    if (!id.ends_with("-t")) continue;
    ++twins;
    const json::Value& sibling = by_id.at(id.substr(0, id.size() - 2));
    EXPECT_EQ(twin.GetString("birthDate"), sibling.GetString("birthDate"));
    EXPECT_EQ(official(twin)->GetString("family"), official(sibling)->GetString("family"));
    EXPECT_NE(official(twin)->GetString("text"), official(sibling)->GetString("text"));
    EXPECT_EQ(json::Write(*twin.Find("address")), json::Write(*sibling.Find("address")));
    ASSERT_FALSE(citizen_id(twin).empty());
    EXPECT_NE(citizen_id(twin), citizen_id(sibling));
  }
  EXPECT_GT(twins, 5);
}

TEST(SyntheticCity, BundlesHoldEveryResourceOnceAsPutEntries) {
  const std::string& dir = City(400);
  int64_t ndjson = 0;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".ndjson") ndjson += Lines(entry.path()).size();
  int64_t entries = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "bundles")) {
    auto bundle = json::Parse(ReadFile(entry.path()));
    ASSERT_TRUE(bundle.ok()) << entry.path() << bundle.status().message();
    EXPECT_EQ(bundle->GetString("type"), "transaction");
    for (const json::Value& e : bundle->Find("entry")->items()) {
      const json::Value& resource = *e.Find("resource");
      EXPECT_EQ(e.Find("request")->GetString("method"), "PUT");
      EXPECT_EQ(e.Find("request")->GetString("url"),
                std::string(resource.GetString("resourceType")) + "/" +
                    std::string(resource.GetString("id")));
      ++entries;
    }
    EXPECT_LE(bundle->Find("entry")->items().size(), 100u);
  }
  EXPECT_EQ(entries, ndjson);
}

TEST(SyntheticCity, InstitutionsAndWorkersScaleWithTheCity) {
  const std::string& dir = City(6000);
  // 2023 bulletin: 7.23 beds, 3.40 doctors and 4.00 nurses per 1,000 residents.
  int beds = 0;
  for (const json::Value& l : Resources(dir, "Location"))
    if (l.Find("physicalType")->Find("coding")->items()[0].GetString("code") == "bd") ++beds;
  EXPECT_NEAR(beds, 7.23 * 6, 2);
  int doctors = 0, nurses = 0;
  for (const json::Value& r : Resources(dir, "PractitionerRole")) {
    if (std::string(r.GetString("id")).ends_with("-2")) continue;  // a second practice site
    auto code = r.Find("code")->items()[0].Find("coding")->items()[0].GetString("code");
    (code == "nurse" ? nurses : doctors)++;
  }
  // Village doctors come on top of licensed doctors, one per village clinic.
  EXPECT_GE(doctors, static_cast<int>(3.40 * 6));
  EXPECT_NEAR(nurses, 4.00 * 6, 1);
}

}  // namespace
}  // namespace kangyun::synth
