// kangyun-baseline: the physical limits `make bench` compares Kangyun's bulk load with.
//   raw-sqlite DIR DB  every NDJSON line stored as a blob in SQLite (same journal, same
//                      synchronous=FULL and batch size as `kangyun load`), no parsing, no index
//   parse DIR          Kangyun's JSON parser alone over every line, already in memory
// Each prints one JSON line of figures.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "json/json.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::vector<fs::path> NdjsonFiles(const std::string& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".ndjson") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// The value of "key":"..." near the start of a line, without parsing it.
std::string Field(const std::string& line, const std::string& key) {
  std::string needle = "\"" + key + "\":\"";
  auto at = line.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  return line.substr(at, line.find('"', at) - at);
}

int RawSqlite(const std::string& dir, const std::string& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) return 1;
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE raw (type TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO raw VALUES (?, ?, ?)", -1, &insert, nullptr);
  long long count = 0;
  auto start = Clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  for (const fs::path& file : NdjsonFiles(dir)) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      std::string type = Field(line, "resourceType"), id = Field(line, "id");
      sqlite3_bind_text(insert, 1, type.data(), static_cast<int>(type.size()), SQLITE_TRANSIENT);
      sqlite3_bind_text(insert, 2, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
      sqlite3_bind_blob(insert, 3, line.data(), static_cast<int>(line.size()), SQLITE_TRANSIENT);
      sqlite3_step(insert);
      sqlite3_reset(insert);
      if (++count % 1000 == 0) {
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
        sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
      }
    }
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  sqlite3_finalize(insert);
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::printf("{\"resources\":%lld,\"seconds\":%.3f,\"perSecond\":%.1f,\"bytes\":%ju}\n", count,
              seconds, count / seconds, static_cast<uintmax_t>(fs::file_size(db_path)));
  return 0;
}

int Parse(const std::string& dir) {
  std::vector<std::string> lines;
  for (const fs::path& file : NdjsonFiles(dir)) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(std::move(line));
  }
  size_t bytes = 0, failed = 0;
  auto start = Clock::now();
  for (const std::string& line : lines) {
    auto v = kangyun::json::Parse(line);
    failed += !v.ok();
    bytes += line.size();
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "{\"resources\":%zu,\"seconds\":%.3f,\"perSecond\":%.1f,\"megabytesPerSecond\":%.1f,"
      "\"failed\":%zu}\n",
      lines.size(), seconds, lines.size() / seconds, bytes / seconds / 1e6, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "raw-sqlite" && argc == 4) return RawSqlite(argv[2], argv[3]);
  if (mode == "parse" && argc == 3) return Parse(argv[2]);
  std::fprintf(stderr, "usage: kangyun-baseline raw-sqlite DIR DB | parse DIR\n");
  return 2;
}
