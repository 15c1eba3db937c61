// kangyun mpi-eval DIR [--model-out FILE] [--examples N] [--match-requests FILE]: links a
// generated city's Patients in memory, estimates the matching model from them and scores the
// links against the city's ground truth; optionally writes $match requests for kangyun-load.
// kangyun mpi-estimate FILE... --model-out FILE: the same estimation from a registry's own
// Patients, which have no ground truth, for `kangyun serve --match-model`.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unordered_map>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "json/json.h"
#include "mpi/evaluation.h"

namespace kangyun::cli {
namespace {

struct Truth {
  std::string person, errors;
};

bool ReadTruth(const std::string& path, std::unordered_map<std::string, Truth>* truth) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols = Split(line, ',');
    if (cols.size() < 2) continue;
    (*truth)[cols[0]] = {cols[1], cols.size() > 2 ? cols[2] : ""};
  }
  return true;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void PrintModel(const mpi::MatchModel& model, int iterations, double candidate_match_share) {
  std::printf(
      "model: EM converged in %d iterations; one person in %.6f of candidate pairs, %.5f other "
      "records of the same person per record\n",
      iterations, candidate_match_share, model.matches_per_record);
  std::printf("  %-11s %-22s %10s %10s %8s\n", "field", "level", "m", "u", "weight");
  for (int f = 0; f < mpi::kFieldCount; ++f)
    for (int l = 1; l < mpi::kLevelCount[f]; ++l)
      std::printf("  %-11s %-22s %10.6f %10.6f %8.2f\n", mpi::FieldName(f), mpi::LevelName(f, l),
                  model.m[f][l], model.u[f][l], model.Weight(f, l));
  std::printf("grades (thresholds: certain %.4f, probable %.4f, possible %.4f):\n", model.certain,
              model.probable, model.possible);
}

bool WriteModel(const char* command, const mpi::MatchModel& model, const std::string& path) {
  std::ofstream out(path);
  out << json::Write(model.ToJson()) << "\n";
  if (out) return true;
  std::fprintf(stderr, "kangyun %s: cannot write %s\n", command, path.c_str());
  return false;
}

void PrintReport(const mpi::EvaluationReport& r, double load_s, double link_s) {
  std::printf("records %lld, people %lld, pairs of one person %lld\n",
              static_cast<long long>(r.records), static_cast<long long>(r.people),
              static_cast<long long>(r.true_pairs));
  std::printf("blocking: %lld candidate pairs, %lld of the %lld true pairs among them (%.4f)\n",
              static_cast<long long>(r.candidate_pairs),
              static_cast<long long>(r.true_pairs_blocked), static_cast<long long>(r.true_pairs),
              r.true_pairs ? double(r.true_pairs_blocked) / double(r.true_pairs) : 1.0);
  PrintModel(r.model, r.em_iterations, r.candidate_match_share);
  for (const auto& [grade, counts] : r.grades)
    std::printf("  %-14s %9lld pairs, %9lld one person, %9lld two people\n", mpi::GradeCode(grade),
                static_cast<long long>(counts.pairs), static_cast<long long>(counts.same_person),
                static_cast<long long>(counts.pairs - counts.same_person));
  std::printf("certain:            precision %.5f  recall %.5f  F1 %.5f  false merges %lld\n",
              r.Precision(false), r.Recall(false), r.F1(false),
              static_cast<long long>(r.FalseMerges()));
  std::printf("certain + probable: precision %.5f  recall %.5f  F1 %.5f\n", r.Precision(true),
              r.Recall(true), r.F1(true));
  std::printf("recall (certain + probable) by the second record's errors:\n");
  for (const auto& [errors, counts] : r.recall_by_errors)
    std::printf("  %-40s %6lld of %6lld  %.4f\n", errors.empty() ? "(none)" : errors.c_str(),
                static_cast<long long>(counts.first), static_cast<long long>(counts.second),
                counts.second ? double(counts.first) / double(counts.second) : 1.0);
  std::printf("time: reading %.1f s, blocking, comparing, estimating and grading %.1f s\n", load_s,
              link_s);
}

std::string Describe(const mpi::Person& p) {
  std::string phones;
  for (const std::string& ph : p.phones) phones += ph + " ";
  return p.id + " " + p.name_han + " " + p.name_pinyin + " " + p.birth_date + " " +
         std::string(1, p.sex ? p.sex : '-') + " " + (p.citizen_id.empty() ? "-" : p.citizen_id) +
         " " + phones + p.district + p.address;
}

void PrintExamples(const char* what, const std::vector<mpi::CandidatePair>& pairs,
                   const mpi::MatchModel& model, const std::vector<mpi::Person>& people) {
  for (const mpi::CandidatePair& pair : pairs) {
    const mpi::Comparison& c = pair.comparison;
    double p = model.Probability(c, static_cast<int64_t>(people.size()));
    std::printf("%s (%s, %.6f):\n  %s\n  %s\n ", what, mpi::GradeCode(mpi::GradeOf(model, c, p)), p,
                Describe(people[pair.a]).c_str(), Describe(people[pair.b]).c_str());
    for (int f = 0; f < mpi::kFieldCount; ++f)
      std::printf(" %s=%s", mpi::FieldName(f), mpi::LevelName(f, c.levels[f]));
    std::printf("\n");
  }
}

}  // namespace

int MpiEvalCommand(const Args& args) {
  std::string dir, model_out, requests_out;
  size_t examples = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--model-out")
      model_out = OptionValue("mpi-eval", args, &i);
    else if (args[i] == "--match-requests")
      requests_out = OptionValue("mpi-eval", args, &i);
    else if (args[i] == "--examples")
      examples = std::strtoul(OptionValue("mpi-eval", args, &i).c_str(), nullptr, 10);
    else if (!args[i].empty() && args[i][0] != '-' && dir.empty())
      dir = args[i];
    else {
      std::fprintf(stderr, "kangyun mpi-eval: unknown option '%s'\n", args[i].c_str());
      return 2;
    }
  }
  if (dir.empty()) {
    std::fprintf(stderr,
                 "usage: kangyun mpi-eval CITY_DIR [--model-out FILE] [--examples N] "
                 "[--match-requests FILE]\n");
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  std::unordered_map<std::string, Truth> truth;
  if (!ReadTruth(dir + "/ground-truth.csv", &truth)) {
    std::fprintf(stderr, "kangyun mpi-eval: cannot read %s/ground-truth.csv\n", dir.c_str());
    return 1;
  }
  std::ifstream in(dir + "/Patient.ndjson");
  if (!in) {
    std::fprintf(stderr, "kangyun mpi-eval: cannot read %s/Patient.ndjson\n", dir.c_str());
    return 1;
  }
  std::ofstream requests;
  if (!requests_out.empty()) {
    requests.open(requests_out);
    if (!requests) {
      std::fprintf(stderr, "kangyun mpi-eval: cannot write %s\n", requests_out.c_str());
      return 1;
    }
  }
  std::vector<mpi::Person> people;
  std::vector<std::string> person_of, errors_of;
  std::string line;
  int64_t line_no = 0, read_bytes = 0;
  std::error_code size_error;
  auto total_bytes =
      static_cast<double>(std::filesystem::file_size(dir + "/Patient.ndjson", size_error));
  Progress reading("reading", "Patients");
  while (std::getline(in, line)) {
    ++line_no;
    read_bytes += static_cast<int64_t>(line.size()) + 1;
    reading.Update(line_no, total_bytes > 0 ? read_bytes / total_bytes : -1);
    if (line.empty()) continue;
    auto patient = json::Parse(line);
    if (!patient.ok()) {
      std::fprintf(stderr, "kangyun mpi-eval: Patient.ndjson line %lld: %s\n",
                   static_cast<long long>(line_no), patient.status().message().c_str());
      return 1;
    }
    mpi::Person p = mpi::PersonFromPatient(*patient);
    if (requests && (p.id.ends_with("-d") || line_no % 20 == 0)) {
      // A $match for each second registration and for one record in twenty: what a
      // registering hospital asks (kangyun-load's format: method, target, tab, body).
      patient->Erase("id");
      json::Value param = json::Value::Object();
      param.Set("name", json::Value::String("resource"));
      param.Set("resource", std::move(*patient));
      json::Value list = json::Value::Array();
      list.Push(std::move(param));
      json::Value body = json::Value::Object();
      body.Set("resourceType", json::Value::String("Parameters"));
      body.Set("parameter", std::move(list));
      requests << "POST /fhir/Patient/$match\t" << json::Write(body) << "\n";
    }
    auto t = truth.find(p.id);
    if (t == truth.end()) {
      std::fprintf(stderr, "kangyun mpi-eval: Patient/%s is not in the ground truth\n",
                   p.id.c_str());
      return 1;
    }
    person_of.push_back(t->second.person);
    errors_of.push_back(t->second.errors);
    people.push_back(std::move(p));
  }
  reading.Finish();
  double load_s = Seconds(start);
  std::fprintf(stderr, "linking %zu Patients and estimating the matching model from them\n",
               people.size());
  start = std::chrono::steady_clock::now();
  mpi::EvaluationReport report =
      mpi::Evaluate(people, person_of, errors_of, mpi::MatchModel(), 1000, examples);
  PrintReport(report, load_s, Seconds(start));
  PrintExamples("two people linked", report.wrong_links, report.model, people);
  PrintExamples("one person missed", report.missed_links, report.model, people);
  if (!model_out.empty() && !WriteModel("mpi-eval", report.model, model_out)) return 1;
  return 0;
}

int MpiEstimateCommand(const Args& args) {
  std::vector<std::string> files;
  std::string model_out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--model-out") {
      model_out = OptionValue("mpi-estimate", args, &i);
    } else if (!args[i].empty() && args[i][0] != '-') {
      files.push_back(args[i]);
    } else {
      std::fprintf(stderr, "kangyun mpi-estimate: unknown option '%s'\n", args[i].c_str());
      return 2;
    }
  }
  if (files.empty() || model_out.empty()) {
    std::fprintf(stderr, "usage: kangyun mpi-estimate PATIENTS.ndjson... --model-out FILE\n");
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  std::vector<mpi::Person> people;
  for (const std::string& file : files) {
    std::ifstream in(file);
    if (!in) {
      std::fprintf(stderr, "kangyun mpi-estimate: cannot read %s\n", file.c_str());
      return 1;
    }
    int64_t line_no = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_no;
      if (line.empty()) continue;
      auto resource = json::Parse(line);
      if (!resource.ok()) {
        std::fprintf(stderr, "kangyun mpi-estimate: %s line %lld: %s\n", file.c_str(),
                     static_cast<long long>(line_no), resource.status().message().c_str());
        return 1;
      }
      if (resource->GetString("resourceType") == "Patient")
        people.push_back(mpi::PersonFromPatient(*resource));
    }
  }
  // Fewer records than this say little about how often a registry's clerks err.
  constexpr size_t kFewest = 1000;
  if (people.size() < kFewest) {
    std::fprintf(stderr,
                 "kangyun mpi-estimate: %zu Patients are too few to estimate a model from (at "
                 "least %zu)\n",
                 people.size(), kFewest);
    return 1;
  }
  double load_s = Seconds(start);
  start = std::chrono::steady_clock::now();
  auto [pairs, e] = mpi::EstimateFromPopulation(people);
  auto records = static_cast<int64_t>(people.size());
  std::map<mpi::Grade, int64_t> grades;
  for (const mpi::CandidatePair& p : pairs)
    ++grades[mpi::GradeOf(e.model, p.comparison, e.model.Probability(p.comparison, records))];
  std::printf("records %lld; blocking: %lld candidate pairs\n", static_cast<long long>(records),
              static_cast<long long>(pairs.size()));
  PrintModel(e.model, e.iterations, e.candidate_match_share);
  for (const auto& [grade, count] : grades)
    std::printf("  %-14s %9lld pairs\n", mpi::GradeCode(grade), static_cast<long long>(count));
  std::printf("time: reading %.1f s, blocking, comparing and estimating %.1f s\n", load_s,
              Seconds(start));
  return WriteModel("mpi-estimate", e.model, model_out) ? 0 : 1;
}

}  // namespace kangyun::cli
