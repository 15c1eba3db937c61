#include "synth/generator.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "synth/calendar.h"
#include "synth/city.h"
#include "synth/city_files.h"
#include "synth/json_writer.h"
#include "synth/residents.h"

namespace kangyun::synth {

Result<CitySummary> GenerateCity(const CityOptions& options) {
  if (options.residents < 1) return Invalid("--residents must be at least 1");
  if (options.duplicate_share < 0 || options.duplicate_share > 1)
    return Invalid("--duplicates must be a share between 0 and 1");
  int64_t as_of = ParseDate(options.as_of);
  if (options.as_of.size() != 10 || FormatDate(as_of) != options.as_of)
    return Invalid("--as-of must be a date YYYY-MM-DD, not '" + options.as_of + "'");
  CityFiles files(options.out_dir, options.bundle_size, options.only_types);
  KY_RETURN_IF_ERROR(files.Open());
  City city(options.residents, options.seed, as_of);
  city.Write(files);

  ResidentWriter residents(city, {options.seed, as_of, options.duplicate_share});
  // Resources per resident, to name the median and the largest record (4 bytes a resident).
  std::vector<int32_t> sizes(static_cast<size_t>(options.residents));
  for (int64_t i = 0; i < options.residents; ++i) {
    sizes[static_cast<size_t>(i)] = static_cast<int32_t>(residents.Write(i, files));
    if (options.progress && i % 100 == 99) options.progress(i + 1);
  }
  city.WriteSlots(files, residents.booked_slots());

  CitySummary summary;
  for (const auto& [type, count] : files.counts()) {
    summary.resources[type] = count;
    summary.total += count;
  }
  auto largest = std::max_element(sizes.begin(), sizes.end()) - sizes.begin();
  std::vector<int32_t> sorted = sizes;
  auto mid = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
  std::nth_element(sorted.begin(), mid, sorted.end());
  auto median = std::find(sizes.begin(), sizes.end(), *mid) - sizes.begin();
  summary.largest_resident = ResidentWriter::PatientId(largest);
  summary.median_resident = ResidentWriter::PatientId(median);
  KY_RETURN_IF_ERROR(files.Close());

  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("residents", static_cast<long long>(options.residents));
  w.Field("seed", static_cast<long long>(options.seed)).Field("asOf", options.as_of);
  w.Key("duplicateShare").Decimal(options.duplicate_share, 4);
  w.Field("total", static_cast<long long>(summary.total));
  w.BeginObject("resources");
  for (const auto& [type, count] : summary.resources) w.Field(type, static_cast<long long>(count));
  w.EndObject();
  w.Field("medianResident", summary.median_resident);
  w.Field("largestResident", summary.largest_resident).EndObject();
  out.push_back('\n');
  std::string path = options.out_dir + "/summary.json";
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f || std::fwrite(out.data(), 1, out.size(), f) != out.size() || std::fclose(f) != 0)
    return Internal("cannot write " + path);
  return summary;
}

}  // namespace kangyun::synth
