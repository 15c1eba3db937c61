#include "store/body_codec.h"

#include <zdict.h>
#include <zstd.h>

#include <cstdlib>
#include <mutex>

#include "base/strings.h"

namespace kangyun::store {
namespace {

constexpr size_t kDictionaryBytes = 16 * 1024;
// With a dictionary, level 1 makes bodies 5% larger than level 3 (Observations: 67 bytes
// against 63) for a sixth of the memory per dictionary (64 KB against 424 KB) and less time.
constexpr int kLevel = 1;

bool IsFrame(const std::string& stored) {
  return stored.size() >= 4 && static_cast<unsigned char>(stored[0]) == 0x28 &&
         static_cast<unsigned char>(stored[1]) == 0xB5 &&
         static_cast<unsigned char>(stored[2]) == 0x2F &&
         static_cast<unsigned char>(stored[3]) == 0xFD;
}

struct ContextDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* ThreadCompressor() {
  thread_local std::unique_ptr<ZSTD_CCtx, ContextDeleter> c(ZSTD_createCCtx());
  return c.get();
}

ZSTD_DCtx* ThreadDecompressor() {
  thread_local std::unique_ptr<ZSTD_DCtx, ContextDeleter> d(ZSTD_createDCtx());
  return d.get();
}

}  // namespace

struct BodyCodec::Dictionary {
  uint32_t id = 0;
  ZSTD_CDict* compress = nullptr;
  ZSTD_DDict* decompress = nullptr;
  ~Dictionary() {
    ZSTD_freeCDict(compress);
    ZSTD_freeDDict(decompress);
  }
};

std::string DictionaryRecordValue(const BodyDictionary& d) { return d.type + ":" + Hex(d.bytes); }

Result<BodyDictionary> DictionaryFromRecord(const std::string& key, const std::string& value) {
  size_t colon = value.find(':');
  auto bytes = colon == std::string::npos ? std::nullopt : HexDecode(value.substr(colon + 1));
  char* end = nullptr;
  unsigned long id = std::strtoul(key.c_str(), &end, 10);
  if (!bytes || key.empty() || *end != '\0')
    return Internal("the stored body dictionary " + key + " is damaged");
  BodyDictionary d;
  d.id = static_cast<uint32_t>(id);
  d.type = value.substr(0, colon);
  d.bytes = std::move(*bytes);
  return d;
}

BodyCodec::BodyCodec() = default;
BodyCodec::~BodyCodec() = default;

Status BodyCodec::Adopt(const BodyDictionary& d, bool replace) {
  auto dict = std::make_shared<Dictionary>();
  dict->id = d.id;
  dict->compress = ZSTD_createCDict(d.bytes.data(), d.bytes.size(), kLevel);
  dict->decompress = ZSTD_createDDict(d.bytes.data(), d.bytes.size());
  if (!dict->compress || !dict->decompress ||
      ZSTD_getDictID_fromDict(d.bytes.data(), d.bytes.size()) != d.id)
    return Internal("body dictionary " + std::to_string(d.id) + " is not a zstd dictionary");
  std::unique_lock lock(mu_);
  by_id_[d.id] = dict;
  if (replace || !by_type_.count(d.type)) {
    by_type_[d.type] = dict;
    samples_.erase(d.type);
  }
  return Status::Ok();
}

void BodyCodec::Abandon(const std::string& type) {
  std::unique_lock lock(mu_);
  samples_[type].training = false;
}

std::string BodyCodec::Encode(const std::string& type, const std::string& body,
                              std::optional<BodyDictionary>* trained) {
  if (body.empty()) return body;  // a deletion
  std::shared_ptr<const Dictionary> dict;
  {
    std::shared_lock lock(mu_);
    if (auto it = by_type_.find(type); it != by_type_.end()) dict = it->second;
  }
  std::vector<std::string> to_train;
  if (!dict) {
    std::unique_lock lock(mu_);
    if (auto it = by_type_.find(type); it != by_type_.end()) {
      dict = it->second;
    } else {
      Samples& s = samples_[type];
      if (!s.training) {
        s.bytes += body.size();
        s.bodies.push_back(body);
        if (s.bodies.size() >= kSamplesToTrain || s.bytes >= kSampleBytesToTrain) {
          to_train.swap(s.bodies);
          s.bytes = 0;
          s.training = true;
        }
      }
    }
  }
  if (!to_train.empty()) {
    BodyDictionary d = Train(type, to_train);
    if (d.bytes.empty())
      Abandon(type);  // too alike or too few to train on: more samples next time
    else
      *trained = std::move(d);
  }
  if (!dict) return body;
  std::string out(ZSTD_compressBound(body.size()), '\0');
  size_t n = ZSTD_compress_usingCDict(ThreadCompressor(), out.data(), out.size(), body.data(),
                                      body.size(), dict->compress);
  if (ZSTD_isError(n)) return body;  // stored as it is, which Decode reads as well
  out.resize(n);
  return out;
}

BodyDictionary BodyCodec::Train(const std::string& type, const std::vector<std::string>& bodies) {
  std::string joined;
  std::vector<size_t> sizes;
  for (const std::string& b : bodies) {
    joined += b;
    sizes.push_back(b.size());
  }
  BodyDictionary d;
  d.type = type;
  d.bytes.resize(kDictionaryBytes);
  size_t n = ZDICT_trainFromBuffer(d.bytes.data(), d.bytes.size(), joined.data(), sizes.data(),
                                   static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(n)) return BodyDictionary{};
  d.bytes.resize(n);
  // The id zstd gave it is random; another process's for the same type differs.
  d.id = ZDICT_getDictID(d.bytes.data(), d.bytes.size());
  {
    std::unique_lock lock(mu_);
    if (d.id == 0 || by_id_.count(d.id)) return BodyDictionary{};
  }
  return d;
}

std::shared_ptr<const BodyCodec::Dictionary> BodyCodec::ForDecoding(uint32_t id) {
  std::shared_lock lock(mu_);  // every read of a compressed body passes here
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

Result<std::string> BodyCodec::Decode(std::string stored, const Fetch& fetch) {
  if (!IsFrame(stored)) return stored;
  uint32_t id = ZSTD_getDictID_fromFrame(stored.data(), stored.size());
  auto dict = ForDecoding(id);
  if (!dict) {
    KY_ASSIGN_OR_RETURN(std::optional<BodyDictionary> found, fetch(id));
    if (!found)
      return Internal("a stored body names dictionary " + std::to_string(id) +
                      ", which the store does not hold");
    // The type keeps compressing with this process's own, if it has one.
    KY_RETURN_IF_ERROR(Adopt(*found, /*replace=*/false));
    dict = ForDecoding(id);
  }
  unsigned long long size = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
    return Internal("a stored body is not a whole zstd frame");
  std::string out(size, '\0');
  size_t n = ZSTD_decompress_usingDDict(ThreadDecompressor(), out.data(), out.size(), stored.data(),
                                        stored.size(), dict->decompress);
  if (ZSTD_isError(n) || n != size)
    return Internal(std::string("a stored body does not decompress: ") + ZSTD_getErrorName(n));
  return out;
}

Result<std::optional<BodyDictionary>> FetchDictionary(ReadTransaction& txn, uint32_t id) {
  std::string key = std::to_string(id);
  KY_ASSIGN_OR_RETURN(std::optional<std::string> value, txn.GetRecord(kBodyDictionaryRecord, key));
  if (!value) return std::optional<BodyDictionary>();
  KY_ASSIGN_OR_RETURN(BodyDictionary d, DictionaryFromRecord(key, *value));
  return std::optional<BodyDictionary>(std::move(d));
}

Status AdoptStoredDictionaries(BodyCodec& codec, ReadTransaction& txn) {
  KY_ASSIGN_OR_RETURN(auto stored, txn.ListRecords(kBodyDictionaryRecord));
  for (const auto& [key, value] : stored) {
    KY_ASSIGN_OR_RETURN(BodyDictionary d, DictionaryFromRecord(key, value));
    KY_RETURN_IF_ERROR(codec.Adopt(d, /*replace=*/false));
  }
  return Status::Ok();
}

Status DecodeBodies(BodyCodec& codec, std::vector<StoredResource>& rows,
                    const BodyCodec::Fetch& fetch) {
  for (StoredResource& r : rows) {
    KY_ASSIGN_OR_RETURN(r.body, codec.Decode(std::move(r.body), fetch));
  }
  return Status::Ok();
}

DictionariesInFlight::~DictionariesInFlight() {
  for (const BodyDictionary& d : pending_) codec_->Abandon(d.type);
}

void DictionariesInFlight::RollbackToSavepoint() {
  for (size_t i = at_savepoint_; i < pending_.size(); ++i) codec_->Abandon(pending_[i].type);
  pending_.resize(at_savepoint_);
}

Status DictionariesInFlight::Committed() {
  Status st;
  for (const BodyDictionary& d : pending_)
    if (Status adopted = codec_->Adopt(d); !adopted.ok() && st.ok()) st = adopted;
  pending_.clear();
  return st;
}

}  // namespace kangyun::store
