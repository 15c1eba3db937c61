// kangyun generate --residents N --seed S --out DIR [--bundles] [--bundle-size N]
//                  [--duplicates SHARE] [--as-of YYYY-MM-DD] [--types T1,T2]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "synth/generator.h"

namespace kangyun::cli {

int GenerateCommand(const Args& args) {
  synth::CityOptions options;
  bool bundles = false;
  int bundle_size = 100;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "--residents" && has_value)
      options.residents = std::atoll(args[++i].c_str());
    else if (a == "--seed" && has_value)
      options.seed = std::strtoull(args[++i].c_str(), nullptr, 10);
    else if (a == "--out" && has_value)
      options.out_dir = args[++i];
    else if (a == "--bundles")
      bundles = true;
    else if (a == "--bundle-size" && has_value)
      bundle_size = std::atoi(args[++i].c_str());
    else if (a == "--duplicates" && has_value)
      options.duplicate_share = std::atof(args[++i].c_str());
    else if (a == "--types" && has_value)
      options.only_types = Split(args[++i], ',');
    else if (a == "--as-of" && has_value)
      options.as_of = args[++i];
    else {
      std::fprintf(stderr, "kangyun generate: unknown option '%s'\n", a.c_str());
      return 2;
    }
  }
  if (options.out_dir.empty()) {
    std::fprintf(stderr, "usage: kangyun generate --residents N --seed S --out DIR [--bundles]\n");
    return 2;
  }
  if (bundles) options.bundle_size = bundle_size > 0 ? bundle_size : 100;
  auto start = std::chrono::steady_clock::now();
  Progress progress("generating", "residents", options.residents);
  options.progress = [&](int64_t done) { progress.Update(done); };
  auto summary = synth::GenerateCity(options);
  progress.Finish();
  if (!summary.ok()) {
    std::fprintf(stderr, "kangyun generate: %s\n", summary.status().message().c_str());
    return 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr,
               "generated %lld residents, %lld resources in %.1f s (%.0f resources/s) in %s\n",
               static_cast<long long>(options.residents), static_cast<long long>(summary->total),
               seconds, summary->total / seconds, options.out_dir.c_str());
  for (const auto& [type, count] : summary->resources)
    std::fprintf(stderr, "  %-20s %lld\n", type.c_str(), static_cast<long long>(count));
  return 0;
}

}  // namespace kangyun::cli
