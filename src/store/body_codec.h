// Resource bodies as the stores keep them: zstd frames compressed with a dictionary trained on
// the store's own bodies of the same resource type. One Observation's JSON repeats the keys,
// systems and codes of the thousand before it, so 730 bytes become about 60, where zstd alone
// makes 400. Internal to store/.
//
// A body written before its type had a dictionary stays as it was written (JSON, so it begins
// with '{'); a frame names its dictionary, so every dictionary ever used is kept for good.
// Each process trains its own dictionary for a type once it has written enough bodies of it,
// and compresses with a dictionary only once the transaction that stored it has committed:
// whoever can read a body can read its dictionary.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace kangyun::store {

struct BodyDictionary {
  uint32_t id = 0;  // the zstd dictionary id, named in every frame made with it
  std::string type;
  std::string bytes;
};

// The kind and key of the platform record (Store::GetRecord) that keeps a dictionary: its
// value is the dictionary in hex, since records hold text.
inline constexpr const char* kBodyDictionaryRecord = "body-dictionary";
std::string DictionaryRecordValue(const BodyDictionary& d);
Result<BodyDictionary> DictionaryFromRecord(const std::string& key, const std::string& value);

// Thread-safe; one per store, shared by its transactions.
class BodyCodec {
 public:
  // Enough bodies for a dictionary that fits the type (zstd advises about a hundred times the
  // dictionary's size in samples; trained on 300 Observations, it compresses 3% worse than on
  // 1,000), few enough that training takes a few milliseconds: whichever comes first.
  static constexpr size_t kSamplesToTrain = 300;
  static constexpr size_t kSampleBytesToTrain = 256 * 1024;

  BodyCodec();
  ~BodyCodec();
  BodyCodec(const BodyCodec&) = delete;
  BodyCodec& operator=(const BodyCodec&) = delete;

  // A stored dictionary: it decodes the frames that name it, and compresses its type's bodies
  // from now on; unless `replace` is false and the type has one already.
  Status Adopt(const BodyDictionary& d, bool replace = true);
  // A dictionary handed out by Encode whose transaction did not commit: the type trains again
  // after as many bodies more.
  void Abandon(const std::string& type);

  // The bytes to store for `body` of `type`: compressed when the type has a dictionary, else
  // the body itself. When the type has none and this body completes enough samples, a new
  // dictionary is trained from them and returned in *trained, for the caller to store in its
  // transaction and Adopt once that commits (or Abandon).
  std::string Encode(const std::string& type, const std::string& body,
                     std::optional<BodyDictionary>* trained);
  // The body of stored bytes. `fetch` reads a dictionary this process has not met yet (stored
  // by another process), in the reader's transaction.
  using Fetch = std::function<Result<std::optional<BodyDictionary>>(uint32_t id)>;
  Result<std::string> Decode(std::string stored, const Fetch& fetch);

 private:
  struct Dictionary;
  struct Samples {
    std::vector<std::string> bodies;
    size_t bytes = 0;
    bool training = false;  // a dictionary handed out, not yet adopted or abandoned
  };
  std::shared_ptr<const Dictionary> ForDecoding(uint32_t id);
  BodyDictionary Train(const std::string& type, const std::vector<std::string>& bodies);

  std::shared_mutex mu_;
  std::unordered_map<uint32_t, std::shared_ptr<const Dictionary>> by_id_;
  std::unordered_map<std::string, std::shared_ptr<const Dictionary>> by_type_;
  std::unordered_map<std::string, Samples> samples_;
};

// The dictionaries a write transaction trained and stored: adopted when it commits, given up
// when it does not, or when the savepoint they came after is undone.
class DictionariesInFlight {
 public:
  explicit DictionariesInFlight(BodyCodec* codec) : codec_(codec) {}
  ~DictionariesInFlight();
  void Add(BodyDictionary d) { pending_.push_back(std::move(d)); }
  void Savepoint() { at_savepoint_ = pending_.size(); }
  void RollbackToSavepoint();
  Status Committed();

 private:
  BodyCodec* codec_;
  std::vector<BodyDictionary> pending_;
  size_t at_savepoint_ = 0;
};

// A dictionary stored as a platform record, read through `txn` (the reader's transaction).
Result<std::optional<BodyDictionary>> FetchDictionary(ReadTransaction& txn, uint32_t id);
// Every dictionary stored decodes its bodies; a type compresses with one of them unless the
// codec has its own (a store opening).
Status AdoptStoredDictionaries(BodyCodec& codec, ReadTransaction& txn);
// The bodies of rows as written, from the bytes stored.
Status DecodeBodies(BodyCodec& codec, std::vector<StoredResource>& rows,
                    const BodyCodec::Fetch& fetch);

// BodyCodec::Encode in a write transaction: a dictionary trained on the way is stored in it
// (PutRecord) and waits in *in_flight, made on first use, for its commit.
template <class Transaction>
Result<std::string> EncodeInTransaction(BodyCodec& codec, const std::string& type,
                                        const std::string& body,
                                        std::optional<DictionariesInFlight>* in_flight,
                                        Transaction& txn) {
  std::optional<BodyDictionary> trained;
  std::string stored = codec.Encode(type, body, &trained);
  if (trained) {
    if (!*in_flight) in_flight->emplace(&codec);
    KY_RETURN_IF_ERROR(txn.PutRecord(kBodyDictionaryRecord, std::to_string(trained->id),
                                     DictionaryRecordValue(*trained)));
    (*in_flight)->Add(std::move(*trained));
  }
  return stored;
}

}  // namespace kangyun::store
