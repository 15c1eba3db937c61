#include <string>
#include <vector>

#include "base/strings.h"
#include "json/json.h"

namespace kangyun::json {
namespace {

Result<std::vector<std::string>> ParsePointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/')
    return Invalid("JSON Pointer must start with '/': " + std::string(pointer));
  for (std::string& raw : Split(pointer.substr(1), '/')) {
    std::string t;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        t.push_back(raw[i + 1] == '0' ? '~' : '/');
        ++i;
      } else {
        t.push_back(raw[i]);
      }
    }
    tokens.push_back(std::move(t));
  }
  return tokens;
}

bool ParseIndex(const std::string& token, size_t limit, size_t* out) {
  if (token.empty() || token.size() > 9) return false;
  if (token.size() > 1 && token[0] == '0') return false;
  size_t v = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > limit) return false;
  *out = v;
  return true;
}

Value* Resolve(Value* doc, const std::vector<std::string>& tokens, size_t count) {
  Value* cur = doc;
  for (size_t i = 0; i < count; ++i) {
    if (cur->is_object()) {
      cur = cur->Find(tokens[i]);
    } else if (cur->is_array()) {
      size_t idx;
      if (!ParseIndex(tokens[i], cur->items().size() - 1, &idx) || cur->items().empty())
        return nullptr;
      cur = &cur->items()[idx];
    } else {
      return nullptr;
    }
    if (!cur) return nullptr;
  }
  return cur;
}

Result<Value> Remove(Value* doc, const std::vector<std::string>& tokens, const std::string& path) {
  if (tokens.empty()) return Invalid("cannot remove the whole document");
  Value* parent = Resolve(doc, tokens, tokens.size() - 1);
  if (!parent) return Invalid("path not found: " + path);
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    Value* v = parent->Find(last);
    if (!v) return Invalid("path not found: " + path);
    Value out = std::move(*v);
    parent->Erase(last);
    return out;
  }
  if (parent->is_array()) {
    size_t idx;
    if (parent->items().empty() || !ParseIndex(last, parent->items().size() - 1, &idx))
      return Invalid("array index out of range: " + path);
    Value out = std::move(parent->items()[idx]);
    parent->items().erase(parent->items().begin() + static_cast<long>(idx));
    return out;
  }
  return Invalid("path not found: " + path);
}

Status Add(Value* doc, const std::vector<std::string>& tokens, Value v, const std::string& path) {
  if (tokens.empty()) {
    *doc = std::move(v);
    return Status::Ok();
  }
  Value* parent = Resolve(doc, tokens, tokens.size() - 1);
  if (!parent) return Invalid("parent path not found: " + path);
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    parent->Set(last, std::move(v));
    return Status::Ok();
  }
  if (parent->is_array()) {
    auto& items = parent->items();
    size_t idx;
    if (last == "-") {
      idx = items.size();
    } else if (!ParseIndex(last, items.size(), &idx)) {
      return Invalid("array index out of range: " + path);
    }
    items.insert(items.begin() + static_cast<long>(idx), std::move(v));
    return Status::Ok();
  }
  return Invalid("parent is not a container: " + path);
}

}  // namespace

Status ApplyPatch(const Value& patch, Value* doc) {
  if (!patch.is_array()) return Invalid("JSON Patch must be an array of operations");
  for (size_t i = 0; i < patch.items().size(); ++i) {
    const Value& op = patch.items()[i];
    std::string where = "operation " + std::to_string(i) + ": ";
    if (!op.is_object()) return Invalid(where + "must be an object");
    std::string name(op.GetString("op"));
    std::string path(op.GetString("path"));
    if (!op.Find("path") || !op.Find("path")->is_string()) return Invalid(where + "needs a path");
    auto tokens = ParsePointer(path);
    if (!tokens.ok()) return Invalid(where + tokens.status().message());
    const Value* value = op.Find("value");
    if (name == "add" || name == "replace" || name == "test") {
      if (!value) return Invalid(where + "needs a value");
    }
    if (name == "add") {
      KY_RETURN_IF_ERROR(Add(doc, *tokens, *value, path));
    } else if (name == "remove") {
      auto removed = Remove(doc, *tokens, path);
      if (!removed.ok()) return Invalid(where + removed.status().message());
    } else if (name == "replace") {
      Value* target = Resolve(doc, *tokens, tokens->size());
      if (!target) return Invalid(where + "path not found: " + path);
      *target = *value;
    } else if (name == "move" || name == "copy") {
      std::string from(op.GetString("from"));
      auto from_tokens = ParsePointer(from);
      if (!from_tokens.ok()) return Invalid(where + from_tokens.status().message());
      Value v;
      if (name == "move") {
        if (StartsWith(path, from + "/")) return Invalid(where + "cannot move into a child");
        auto removed = Remove(doc, *from_tokens, from);
        if (!removed.ok()) return Invalid(where + removed.status().message());
        v = std::move(*removed);
      } else {
        Value* src = Resolve(doc, *from_tokens, from_tokens->size());
        if (!src) return Invalid(where + "path not found: " + from);
        v = *src;
      }
      KY_RETURN_IF_ERROR(Add(doc, *tokens, std::move(v), path));
    } else if (name == "test") {
      Value* target = Resolve(doc, *tokens, tokens->size());
      if (!target || !(*target == *value)) {
        return {StatusCode::kUnprocessable, where + "test failed at " + path};
      }
    } else {
      return Invalid(where + "unknown op \"" + name + "\"");
    }
  }
  return Status::Ok();
}

}  // namespace kangyun::json
