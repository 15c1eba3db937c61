#include "audit/audit_archive.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <unordered_map>

#include "audit/audit_codec.h"
#include "audit/audit_event.h"
#include "auth/crypto.h"
#include "json/json.h"

namespace kangyun::audit {
namespace {

using namespace std::chrono;

constexpr int64_t kChinaOffsetMicros = 8LL * 3600 * 1'000'000;
constexpr int64_t kRowsPerRead = 2000;
// Uncompressed text per zstd frame: about 6,000 records, decompressed in a few milliseconds
// when a resident's archived records are read.
constexpr size_t kFrameBytes = 1 << 20;

year_month MonthAt(int64_t micros) {
  auto days =
      floor<std::chrono::days>(sys_time<microseconds>(microseconds(micros + kChinaOffsetMicros)));
  year_month_day ymd{days};
  return ymd.year() / ymd.month();
}

std::string FileOf(const std::string& month) { return "audit-" + month + ".ndjson.zst"; }
// The frame index beside an archive file: where each frame starts and the first record in it.
std::string IndexOf(const std::string& file) {
  return file.substr(0, file.size() - std::string(".ndjson.zst").size()) + ".frames.json";
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) return Status(StatusCode::kUnavailable, "cannot write the audit archive");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Lines go out in zstd frames; the file's SHA-256 is taken as it is written.
class ArchiveWriter {
 public:
  Status Open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    return fd_ < 0 ? Status(StatusCode::kUnavailable, "cannot create " + path) : Status::Ok();
  }
  ~ArchiveWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  // `seq`: the record's sequence number, for a record's line.
  Status Line(const json::Value& v, int64_t seq = 0) {
    if (seq > 0 && frame_first_ == 0) frame_first_ = seq;
    text_ += json::Write(v);
    text_ += '\n';
    return text_.size() >= kFrameBytes ? Frame() : Status::Ok();
  }
  // [[first record, offset, bytes], ...] of the frames that hold records.
  const json::Value& frames() const { return frames_; }
  // Writes the last frame and makes the file durable; gives its SHA-256.
  Result<std::string> Close() {
    KY_RETURN_IF_ERROR(Frame());
    if (::fsync(fd_) != 0) return Status(StatusCode::kUnavailable, "cannot sync the archive");
    ::close(fd_);
    fd_ = -1;
    return sha_.HexDigest();
  }

 private:
  Status Frame() {
    if (text_.empty()) return Status::Ok();
    std::string frame(ZSTD_compressBound(text_.size()), '\0');
    size_t n = ZSTD_compress(frame.data(), frame.size(), text_.data(), text_.size(), 3);
    if (ZSTD_isError(n)) return Internal("cannot compress the audit archive");
    frame.resize(n);
    sha_.Update(frame);
    text_.clear();
    if (frame_first_ > 0) {
      json::Value f = json::Value::Array();
      f.Push(json::Value::Integer(frame_first_));
      f.Push(json::Value::Integer(offset_));
      f.Push(json::Value::Integer(static_cast<long long>(n)));
      frames_.Push(std::move(f));
    }
    frame_first_ = 0;
    offset_ += static_cast<int64_t>(n);
    return WriteAll(fd_, frame);
  }
  int fd_ = -1;
  std::string text_;
  int64_t frame_first_ = 0, offset_ = 0;
  json::Value frames_ = json::Value::Array();
  auth::Sha256Stream sha_;
};

json::Value Int(int64_t v) { return json::Value::Integer(v); }

// An integer member of a line, or -1.
int64_t Num(const json::Value& v, std::string_view key) {
  const json::Value* n = v.Find(key);
  return n && n->is_number() ? std::strtoll(n->str().c_str(), nullptr, 10) : -1;
}

// A record's line in an archive file, and back.
json::Value LineOf(const store::AuditRow& r) {
  json::Value line = json::Value::Object();
  line.Set("seq", Int(r.seq));
  line.Set("recorded", Int(r.recorded));
  line.Set("agent", Int(r.agent));
  line.Set("body", json::Value::String(r.body));
  return line;
}

store::AuditRow RowOf(const json::Value& line) {
  store::AuditRow r;
  r.seq = Num(line, "seq");
  r.recorded = Num(line, "recorded");
  r.agent = Num(line, "agent");
  r.body = line.GetString("body");
  return r;
}

// One month: [first, last], its seals and rows, read from `txn`.
Result<store::AuditArchive> WriteMonth(store::ReadTransaction& txn, const std::string& dir,
                                       const std::string& month,
                                       const std::vector<store::AuditSeal>& seals,
                                       const std::string& previous_hash) {
  store::AuditArchive a;
  a.month = month;
  a.file = FileOf(month);
  a.first = seals.front().first;
  a.last = seals.back().last;
  a.previous_hash = previous_hash;
  a.last_hash = seals.back().hash;
  std::string path = dir + "/" + a.file, partial = dir + "/." + a.file + ".partial";
  ArchiveWriter out;
  KY_RETURN_IF_ERROR(out.Open(partial));
  json::Value header = json::Value::Object();
  header.Set("archive", json::Value::String(month));
  header.Set("first", Int(a.first));
  header.Set("last", Int(a.last));
  header.Set("previousHash", json::Value::String(previous_hash));
  KY_RETURN_IF_ERROR(out.Line(header));
  std::set<int64_t> agents_written;
  size_t next_seal = 0;
  for (int64_t after = a.first - 1; after < a.last;) {
    store::AuditQuery q;
    q.after = after;
    q.limit = std::min(kRowsPerRead, a.last - after);
    KY_ASSIGN_OR_RETURN(std::vector<store::AuditRow> rows, txn.AuditRows(q));
    if (rows.empty())
      return Internal("audit records after " + std::to_string(after) + " are missing");
    std::vector<int64_t> unknown;
    for (const auto& r : rows)
      if (agents_written.insert(r.agent).second) unknown.push_back(r.agent);
    if (!unknown.empty()) {
      KY_ASSIGN_OR_RETURN(auto agents, txn.AuditAgents(unknown));
      for (const store::AuditAgent& agent : agents) {
        json::Value line = json::Value::Object();
        line.Set("agent", Int(agent.id));
        line.Set("text", json::Value::String(agent.text));
        KY_RETURN_IF_ERROR(out.Line(line));
      }
    }
    for (const store::AuditRow& r : rows) {
      KY_RETURN_IF_ERROR(out.Line(LineOf(r), r.seq));
      for (; next_seal < seals.size() && seals[next_seal].last == r.seq; ++next_seal) {
        json::Value seal = json::Value::Object();
        seal.Set("sealFirst", Int(seals[next_seal].first));
        seal.Set("sealLast", Int(seals[next_seal].last));
        seal.Set("hash", json::Value::String(seals[next_seal].hash));
        KY_RETURN_IF_ERROR(out.Line(seal));
      }
    }
    after = rows.back().seq;
  }
  KY_ASSIGN_OR_RETURN(a.sha256, out.Close());
  // The index first: an archive file is never there without it.
  std::string index = dir + "/" + IndexOf(a.file), index_partial = index + ".partial";
  {
    int fd = ::open(index_partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) return Status(StatusCode::kUnavailable, "cannot create " + index_partial);
    Status written = WriteAll(fd, json::Write(out.frames()));
    if (written.ok() && ::fsync(fd) != 0)
      written = Status(StatusCode::kUnavailable, "cannot sync " + index_partial);
    ::close(fd);
    KY_RETURN_IF_ERROR(written);
  }
  if (std::rename(index_partial.c_str(), index.c_str()) != 0 ||
      std::rename(partial.c_str(), path.c_str()) != 0)
    return Status(StatusCode::kUnavailable, "cannot move the archive to " + path);
  int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d >= 0) {
    (void)::fsync(d);  // the new name is durable too
    ::close(d);
  }
  return a;
}

}  // namespace

std::string MonthOf(int64_t micros) {
  year_month ym = MonthAt(micros);
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u", static_cast<int>(ym.year()),
                static_cast<unsigned>(ym.month()));
  return out;
}

namespace {
int64_t FirstMicroOf(year_month month) {
  sys_days first{month / 1};
  return duration_cast<microseconds>(first.time_since_epoch()).count() - kChinaOffsetMicros;
}
}  // namespace

int64_t StartOfMonth(int64_t micros) { return FirstMicroOf(MonthAt(micros)); }
int64_t StartOfNextMonth(int64_t micros) { return FirstMicroOf(MonthAt(micros) + months(1)); }

Result<std::vector<store::AuditArchive>> ArchiveMonths(store::Store& store, const std::string& dir,
                                                       int64_t before) {
  std::vector<store::AuditArchive> done;
  for (;;) {
    KY_ASSIGN_OR_RETURN(auto txn, store.BeginRead());
    KY_ASSIGN_OR_RETURN(auto archives, txn->AuditArchives());
    int64_t archived = archives.empty() ? 0 : archives.back().last;
    std::string hash = archives.empty() ? kGenesisHash : archives.back().last_hash;
    store::AuditQuery first;
    first.after = archived;
    first.limit = 1;
    KY_ASSIGN_OR_RETURN(auto oldest, txn->AuditRows(first));
    if (oldest.empty()) break;
    int64_t end = StartOfNextMonth(oldest[0].recorded);
    if (end > before) break;  // the month has not ended by then
    // The first record of a later month: the month's batches are the ones sealed before it.
    store::AuditQuery later = first;
    later.from = end;
    KY_ASSIGN_OR_RETURN(auto after_month, txn->AuditRows(later));
    KY_ASSIGN_OR_RETURN(auto head, txn->AuditHead());
    int64_t bound = !after_month.empty() ? after_month[0].seq : (head ? head->last + 1 : 1);
    std::vector<store::AuditSeal> seals;
    for (int64_t last = archived;;) {
      KY_ASSIGN_OR_RETURN(auto some, txn->AuditSeals(last, 1000));
      bool past = some.empty();
      for (const store::AuditSeal& s : some) {
        if (s.last >= bound) {
          past = true;
          break;
        }
        if (s.first != last + 1)
          return Internal("the audit chain has a gap after record " + std::to_string(last) +
                          "; run `kangyun audit verify` before archiving");
        seals.push_back(s);
        last = s.last;
      }
      if (past) break;
    }
    // A batch that began in this month and ended in the next goes with the next.
    if (seals.empty()) break;
    KY_ASSIGN_OR_RETURN(store::AuditArchive a,
                        WriteMonth(*txn, dir, MonthOf(oldest[0].recorded), seals, hash));
    txn.reset();
    KY_ASSIGN_OR_RETURN(auto append, store.BeginAuditAppend(/*durable=*/true));
    KY_RETURN_IF_ERROR(append->Archive(a));
    KY_RETURN_IF_ERROR(append->Commit());
    done.push_back(std::move(a));
  }
  return done;
}

Result<std::vector<store::AuditRow>> ArchiveReader::Rows(const store::AuditArchive& archive,
                                                         const std::vector<int64_t>& seqs) {
  Frames& frames = frames_[archive.file];
  if (!frames.loaded) {
    std::ifstream in(dir_ + "/" + IndexOf(archive.file), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto index = json::Parse(text);
    if (!in.good() && text.empty())
      return Status(StatusCode::kUnavailable,
                    "the audit archive of " + archive.month + " is not in " + dir_);
    if (!index.ok() || !index->is_array())
      return Internal("the frame index of the audit archive of " + archive.month + " is damaged");
    for (const json::Value& f : index->items()) {
      if (!f.is_array() || f.items().size() != 3)
        return Internal("the frame index of the audit archive of " + archive.month + " is damaged");
      frames.starts.push_back({std::strtoll(f.items()[0].str().c_str(), nullptr, 10),
                               std::strtoll(f.items()[1].str().c_str(), nullptr, 10),
                               std::strtoll(f.items()[2].str().c_str(), nullptr, 10)});
    }
    frames.loaded = true;
  }
  std::vector<store::AuditRow> out;
  for (int64_t seq : seqs) {
    if (seq < archive.first || seq > archive.last) continue;
    // The last frame that starts at or before seq.
    auto it = std::upper_bound(frames.starts.begin(), frames.starts.end(), seq,
                               [](int64_t s, const Frame& f) { return s < f.first; });
    if (it == frames.starts.begin()) continue;
    --it;
    auto& rows = frames.decoded[it->first];
    if (rows.empty()) KY_RETURN_IF_ERROR(Decode(archive, *it, &rows));
    auto found = rows.find(seq);
    if (found != rows.end()) out.push_back(found->second);
  }
  return out;
}

Status ArchiveReader::Decode(const store::AuditArchive& archive, const Frame& frame,
                             std::unordered_map<int64_t, store::AuditRow>* rows) {
  std::ifstream in(dir_ + "/" + archive.file, std::ios::binary);
  std::string compressed(static_cast<size_t>(frame.bytes), '\0');
  in.seekg(frame.offset);
  in.read(compressed.data(), frame.bytes);
  if (in.gcount() != frame.bytes)
    return Status(StatusCode::kUnavailable,
                  "the audit archive of " + archive.month + " is missing or cut short");
  unsigned long long size = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
    return Internal("the audit archive of " + archive.month + " is damaged");
  std::string text(size, '\0');
  size_t n = ZSTD_decompress(text.data(), text.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(n)) return Internal("the audit archive of " + archive.month + " is damaged");
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    auto v = json::Parse(std::string_view(text).substr(start, nl - start));
    if (!v.ok() || !v->Find("seq")) continue;
    store::AuditRow r = RowOf(*v);
    rows->emplace(r.seq, std::move(r));
  }
  return Status::Ok();
}

Result<int64_t> VerifyArchive(const std::string& dir, const store::AuditArchive& archive,
                              std::vector<std::string>* problems) {
  std::string path = dir + "/" + archive.file;
  std::ifstream in(path, std::ios::binary);
  std::string name = "the archive of " + archive.month + " (" + archive.file + ")";
  if (!in) {
    problems->push_back(name + " is missing");
    return int64_t{0};
  }
  auto broken = [&](const std::string& what) {
    problems->push_back(name + ": " + what);
    return int64_t{0};
  };
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> d(ZSTD_createDCtx(), ZSTD_freeDCtx);
  auth::Sha256Stream sha;
  std::string chunk(1 << 16, '\0'), text, out(ZSTD_DStreamOutSize(), '\0');
  std::unordered_map<int64_t, std::string> agents;
  std::vector<store::AuditRow> rows;  // since the last seal
  std::string hash = archive.previous_hash;
  int64_t next = archive.first, records = 0;
  bool header = false;
  auto line = [&](std::string_view l) -> std::optional<std::string> {
    auto v = json::Parse(l);
    if (!v.ok() || !v->is_object()) return "a line is not JSON";
    if (!header) {
      header = true;
      if (v->GetString("archive") != archive.month || Num(*v, "first") != archive.first ||
          Num(*v, "last") != archive.last || v->GetString("previousHash") != archive.previous_hash)
        return "its first line does not match what the store recorded";
      return std::nullopt;
    }
    if (v->Find("agent") && v->Find("text")) {
      agents[Num(*v, "agent")] = v->GetString("text");
    } else if (v->Find("seq")) {
      store::AuditRow r = RowOf(*v);
      if (r.seq != next) return "record " + std::to_string(next) + " is missing";
      ++next;
      ++records;
      rows.push_back(std::move(r));
    } else if (v->Find("sealFirst")) {
      std::string span =
          std::to_string(Num(*v, "sealFirst")) + " to " + std::to_string(Num(*v, "sealLast"));
      if (rows.empty() || rows.front().seq != Num(*v, "sealFirst") ||
          rows.back().seq != Num(*v, "sealLast"))
        return "the batch " + span + " is not whole";
      if (SealHash(hash, rows, agents) != v->GetString("hash"))
        return "a record of the batch " + span + " (or its agent, or the batch before) was altered";
      hash = std::string(v->GetString("hash"));
      rows.clear();
    }
    return std::nullopt;
  };
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    std::string_view got(chunk.data(), static_cast<size_t>(in.gcount()));
    sha.Update(got);
    ZSTD_inBuffer input{got.data(), got.size(), 0};
    while (input.pos < input.size) {
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      size_t rc = ZSTD_decompressStream(d.get(), &output, &input);
      if (ZSTD_isError(rc)) return broken("it does not decompress");
      text.append(out.data(), output.pos);
    }
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
      if (auto problem = line(std::string_view(text).substr(start, nl - start)))
        return broken(*problem);
    text.erase(0, start);
  }
  if (sha.HexDigest() != archive.sha256) return broken("its SHA-256 is not the one recorded");
  if (next != archive.last + 1 || !rows.empty())
    return broken("it ends before record " + std::to_string(archive.last));
  if (hash != archive.last_hash) return broken("its last seal is not the one recorded");
  return records;
}

}  // namespace kangyun::audit
