// Streaming JSON text for generated resources: appends to a string without building a
// document, because the generator writes millions of resources. Commas are placed by the
// writer; strings are escaped by the core JSON library's WriteString.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"

namespace kangyun::synth {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject() {
    Separate();
    out_->push_back('{');
    first_.push_back(true);
    return *this;
  }
  JsonWriter& EndObject() {
    out_->push_back('}');
    first_.pop_back();
    return *this;
  }
  JsonWriter& BeginArray() {
    Separate();
    out_->push_back('[');
    first_.push_back(true);
    return *this;
  }
  JsonWriter& EndArray() {
    out_->push_back(']');
    first_.pop_back();
    return *this;
  }
  // The next value is the member `key` of the open object.
  JsonWriter& Key(std::string_view key) {
    Separate();
    json::WriteString(key, out_);
    out_->push_back(':');
    after_key_ = true;
    return *this;
  }
  JsonWriter& String(std::string_view s) {
    Separate();
    json::WriteString(s, out_);
    return *this;
  }
  JsonWriter& Int(long long n) {
    Separate();
    out_->append(std::to_string(n));
    return *this;
  }
  // A decimal with `places` digits after the point (FHIR keeps them as written).
  JsonWriter& Decimal(double v, int places) {
    Separate();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", places, v);
    out_->append(buf);
    return *this;
  }
  JsonWriter& Bool(bool b) {
    Separate();
    out_->append(b ? "true" : "false");
    return *this;
  }

  // Shorthands for members.
  JsonWriter& Field(std::string_view key, std::string_view s) { return Key(key).String(s); }
  JsonWriter& Field(std::string_view key, const char* s) { return Key(key).String(s); }
  JsonWriter& Field(std::string_view key, long long n) { return Key(key).Int(n); }
  JsonWriter& Field(std::string_view key, int n) { return Key(key).Int(n); }
  JsonWriter& Field(std::string_view key, bool b) { return Key(key).Bool(b); }
  JsonWriter& BeginObject(std::string_view key) { return Key(key).BeginObject(); }
  JsonWriter& BeginArray(std::string_view key) { return Key(key).BeginArray(); }

 private:
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_->push_back(',');
    first_.back() = false;
  }

  std::string* out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace kangyun::synth
