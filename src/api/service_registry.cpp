#include <algorithm>

#include "api/service.h"
#include "base/log.h"

namespace kangyun::api {

void ServiceRegistry::AddOperation(OperationSpec op) {
  // Two services claiming one operation where it is invoked is a programming error: the
  // second would never run.
  for (unsigned level : {kSystemLevel, kTypeLevel, kInstanceLevel}) {
    if (!(op.levels & level)) continue;
    std::vector<std::string> types =
        level == kSystemLevel ? std::vector<std::string>{""} : op.types;
    for (const std::string& type : types)
      if (FindOperation(op.name, static_cast<OperationLevel>(level), type))
        Log(LogLevel::kError, "$" + op.name + " is registered twice on '" + type + "'");
  }
  operations_.push_back(std::move(op));
}

void ServiceRegistry::AddWriteHook(WriteHook hook) { hooks_.push_back(std::move(hook)); }

void ServiceRegistry::AddResources(std::vector<json::Value> resources) {
  for (json::Value& r : resources) resources_.push_back(std::move(r));
}

void ServiceRegistry::AddStartup(std::string name, std::function<Status(Engine&)> step) {
  startup_.emplace_back(std::move(name), std::move(step));
}

const OperationSpec* ServiceRegistry::FindOperation(std::string_view name, OperationLevel level,
                                                    std::string_view type) const {
  for (const OperationSpec& op : operations_) {
    if (op.name != name || !(op.levels & level)) continue;
    if (level == kSystemLevel ||
        std::find(op.types.begin(), op.types.end(), type) != op.types.end())
      return &op;
  }
  return nullptr;
}

const OperationSpec* ServiceRegistry::AnyOperationNamed(std::string_view name) const {
  for (const OperationSpec& op : operations_)
    if (op.name == name) return &op;
  return nullptr;
}

std::vector<const WriteHook*> ServiceRegistry::HooksFor(std::string_view type) const {
  std::vector<const WriteHook*> out;
  for (const WriteHook& h : hooks_)
    if (h.types.empty() || std::find(h.types.begin(), h.types.end(), type) != h.types.end())
      out.push_back(&h);
  return out;
}

}  // namespace kangyun::api
