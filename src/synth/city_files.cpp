#include "synth/city_files.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace kangyun::synth {

CityFiles::CityFiles(std::string dir, int bundle_size, std::vector<std::string> only_types)
    : dir_(std::move(dir)), bundle_size_(bundle_size), only_types_(std::move(only_types)) {}

CityFiles::~CityFiles() { (void)Close(); }

Status CityFiles::Open() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (bundle_size_ > 0) std::filesystem::create_directories(dir_ + "/bundles", ec);
  if (ec) return Internal("cannot create " + dir_ + ": " + ec.message());
  ground_truth_ = std::fopen((dir_ + "/ground-truth.csv").c_str(), "w");
  if (!ground_truth_) return Internal("cannot write " + dir_ + "/ground-truth.csv");
  Put(ground_truth_, "patient_id,person,errors\n");
  return Status::Ok();
}

FILE* CityFiles::FileFor(std::string_view type) {
  auto it = files_.find(type);
  if (it != files_.end()) return it->second;
  std::string path = dir_ + "/" + std::string(type) + ".ndjson";
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f && error_.ok()) error_ = Internal("cannot write " + path + ": " + std::strerror(errno));
  if (f) std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
  files_.emplace(std::string(type), f);
  return f;
}

void CityFiles::Put(FILE* f, std::string_view text) {
  if (!f) return;
  if (std::fwrite(text.data(), 1, text.size(), f) != text.size() && error_.ok())
    error_ = Internal("write failed in " + dir_ + ": " + std::strerror(errno));
}

void CityFiles::Write(std::string_view type, std::string_view id, std::string_view json) {
  if (!only_types_.empty() &&
      std::find(only_types_.begin(), only_types_.end(), type) == only_types_.end())
    return;
  FILE* f = FileFor(type);
  Put(f, json);
  Put(f, "\n");
  ++counts_[std::string(type)];
  if (bundle_size_ <= 0) return;
  bundle_.append(bundle_entries_ == 0 ? "" : ",");
  bundle_.append("{\"resource\":").append(json);
  bundle_.append(",\"request\":{\"method\":\"PUT\",\"url\":\"");
  bundle_.append(type).append("/").append(id).append("\"}}");
  if (++bundle_entries_ == bundle_size_) FlushBundle();
}

void CityFiles::WriteGroundTruth(std::string_view patient_id, std::string_view person,
                                 std::string_view errors) {
  std::string line(patient_id);
  line.append(",").append(person).append(",").append(errors).append("\n");
  Put(ground_truth_, line);
}

void CityFiles::FlushBundle() {
  if (bundle_entries_ == 0) return;
  char name[48];
  std::snprintf(name, sizeof name, "/bundles/%06lld.json",
                static_cast<long long>(++bundles_written_));
  std::string path = dir_ + name;
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    if (error_.ok()) error_ = Internal("cannot write " + path);
  } else {
    Put(f, "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[");
    Put(f, bundle_);
    Put(f, "]}\n");
    if (std::fclose(f) != 0 && error_.ok()) error_ = Internal("cannot write " + path);
  }
  bundle_.clear();
  bundle_entries_ = 0;
}

Status CityFiles::Close() {
  FlushBundle();
  for (auto& [type, f] : files_)
    if (f && std::fclose(f) != 0 && error_.ok()) error_ = Internal("cannot close " + type);
  files_.clear();
  if (ground_truth_ && std::fclose(ground_truth_) != 0 && error_.ok())
    error_ = Internal("cannot close ground-truth.csv");
  ground_truth_ = nullptr;
  return error_;
}

}  // namespace kangyun::synth
