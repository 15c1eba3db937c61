#include "api/operation_definition.h"

#include <cctype>

namespace kangyun::api {

json::Value OperationDefinitionFor(const OperationSpec& op, const std::string& title,
                                   const std::string& description,
                                   const std::vector<OperationParameter>& parameters) {
  using json::Value;
  Value d = Value::Object();
  d.Set("resourceType", Value::String("OperationDefinition"));
  std::string id = op.definition.substr(op.definition.rfind('/') + 1);
  // A name fit for code generators: "Patient-link" is PatientLink.
  std::string name;
  for (size_t i = 0; i < id.size(); ++i)
    if (id[i] != '-')
      name += i > 0 && id[i - 1] == '-' ? static_cast<char>(std::toupper(id[i])) : id[i];
  d.Set("id", Value::String(id));
  d.Set("url", Value::String(op.definition));
  d.Set("name", Value::String(name));
  d.Set("title", Value::String(title));
  d.Set("status", Value::String("active"));
  d.Set("kind", Value::String("operation"));
  d.Set("publisher", Value::String("Kangyun"));
  d.Set("description", Value::String(description));
  d.Set("affectsState", Value::Bool(op.transaction == OperationSpec::kWrite));
  d.Set("code", Value::String(op.name));
  if (!op.types.empty()) {
    Value types = Value::Array();
    for (const std::string& t : op.types) types.Push(Value::String(t));
    d.Set("resource", std::move(types));
  }
  d.Set("system", Value::Bool((op.levels & kSystemLevel) != 0));
  d.Set("type", Value::Bool((op.levels & kTypeLevel) != 0));
  d.Set("instance", Value::Bool((op.levels & kInstanceLevel) != 0));
  Value list = Value::Array();
  for (const OperationParameter& p : parameters) {
    Value param = Value::Object();
    param.Set("name", Value::String(p.name));
    param.Set("use", Value::String(p.out ? "out" : "in"));
    param.Set("min", Value::Number(std::to_string(p.min)));
    param.Set("max", Value::String(p.max));
    if (!p.documentation.empty()) param.Set("documentation", Value::String(p.documentation));
    param.Set("type", Value::String(p.type));
    list.Push(std::move(param));
  }
  d.Set("parameter", std::move(list));
  return d;
}

}  // namespace kangyun::api
