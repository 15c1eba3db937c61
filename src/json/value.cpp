#include "json/value.h"

namespace kangyun::json {

Value Value::Bool(bool b) {
  Value v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}
Value Value::Number(std::string text) {
  Value v;
  v.type_ = Type::kNumber;
  v.text_ = std::move(text);
  return v;
}
Value Value::Integer(long long n) { return Number(std::to_string(n)); }
Value Value::String(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.text_ = std::move(s);
  return v;
}
Value Value::Array() {
  Value v;
  v.type_ = Type::kArray;
  return v;
}
Value Value::Object() {
  Value v;
  v.type_ = Type::kObject;
  return v;
}
Value Value::Raw(std::string text) {
  Value v;
  v.type_ = Type::kRaw;
  v.text_ = std::move(text);
  return v;
}

const Value* Value::Find(std::string_view key) const {
  for (const Member& m : members_)
    if (m.key == key) return &m.value;
  return nullptr;
}

Value* Value::Find(std::string_view key) {
  for (Member& m : members_)
    if (m.key == key) return &m.value;
  return nullptr;
}

Value& Value::Set(std::string_view key, Value v) {
  if (Value* existing = Find(key)) {
    *existing = std::move(v);
    return *existing;
  }
  members_.push_back(Member{std::string(key), std::move(v)});
  return members_.back().value;
}

bool Value::Erase(std::string_view key) {
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    if (it->key == key) {
      members_.erase(it);
      return true;
    }
  }
  return false;
}

Value& Value::Push(Value v) {
  items_.push_back(std::move(v));
  return items_.back();
}

std::string_view Value::GetString(std::string_view key) const {
  const Value* v = Find(key);
  return v && v->is_string() ? std::string_view(v->str()) : std::string_view();
}

bool Value::operator==(const Value& other) const {
  if (type_ != other.type_) return false;
  switch (type_) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return bool_ == other.bool_;
    case Type::kNumber:
    case Type::kString:
    case Type::kRaw:
      return text_ == other.text_;
    case Type::kArray:
      return items_ == other.items_;
    case Type::kObject: {
      if (members_.size() != other.members_.size()) return false;
      for (const Member& m : members_) {
        const Value* o = other.Find(m.key);
        if (!o || !(*o == m.value)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace kangyun::json
