// The JSON document model. Numbers keep the exact text they were sent with (FHIR decimals must
// round-trip: 1.50 stays 1.50), objects keep member order, and a Raw value holds JSON text that
// is written out unchanged, so stored resources go into response Bundles without re-parsing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kangyun::json {

enum class Type { kNull, kBool, kNumber, kString, kArray, kObject, kRaw };

struct Member;

class Value {
 public:
  Value() = default;
  static Value Bool(bool b);
  // REQUIRES: text is a valid JSON number.
  static Value Number(std::string text);
  static Value Integer(long long n);
  static Value String(std::string s);
  static Value Array();
  static Value Object();
  // REQUIRES: text is one complete, valid JSON value.
  static Value Raw(std::string text);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  bool as_bool() const { return bool_; }
  // The string's content, a number's exact text, or a Raw value's JSON text.
  const std::string& str() const { return text_; }

  std::vector<Value>& items() { return items_; }
  const std::vector<Value>& items() const { return items_; }
  std::vector<Member>& members() { return members_; }
  const std::vector<Member>& members() const { return members_; }

  // Object access. Find returns nullptr when absent or when this is not an object.
  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);
  // Replaces the member's value, or appends the member. REQUIRES: is_object().
  Value& Set(std::string_view key, Value v);
  bool Erase(std::string_view key);
  // Appends to an array. REQUIRES: is_array().
  Value& Push(Value v);

  // String content of member `key`, or "" when absent or not a string.
  std::string_view GetString(std::string_view key) const;

  bool operator==(const Value& other) const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<Value> items_;
  std::vector<Member> members_;
};

struct Member {
  std::string key;
  Value value;
};

// A string value: the shorthand of code that builds resources.
inline Value Str(std::string_view s) { return Value::String(std::string(s)); }

}  // namespace kangyun::json
