// The platform's own resources, stored at start-up: content/platform_content.h's, and those
// the services registered (their OperationDefinitions); and the terminology the search
// planner and the terminology operations answer from.
#include "content/platform_content.h"

#include "api/engine.h"
#include "base/files.h"
#include "json/json.h"

namespace kangyun::api {

using json::Value;

Status LoadTerminology(Engine& s) {
  if (!s.defs.dir().empty()) {
    if (std::optional<std::string> text = ReadFileBytes(s.defs.dir() + "/valuesets.json")) {
      KY_ASSIGN_OR_RETURN(Value bundle, json::Parse(*text));
      KY_RETURN_IF_ERROR(s.terminology.AddBundle(bundle));
    }
  }
  std::vector<Value> platform = content::CodeSystems();
  for (auto* list : {&content::ValueSets, &content::ConceptMaps})
    for (Value& r : (*list)()) platform.push_back(std::move(r));
  std::vector<const Value*> pointers;
  for (const Value& r : platform) pointers.push_back(&r);
  return s.terminology.Add(pointers);
}

Status AddStoredTerminology(Engine& s, store::ReadTransaction& txn) {
  store::Query q;
  q.types = {"CodeSystem", "ValueSet", "ConceptMap"};
  KY_ASSIGN_OR_RETURN(auto rids, txn.Search(q, 100000));
  KY_ASSIGN_OR_RETURN(auto rows, txn.ReadRows(rids));
  std::vector<Value> stored;
  for (const store::StoredResource& row : rows) {
    KY_ASSIGN_OR_RETURN(Value r, json::Parse(row.body));
    stored.push_back(std::move(r));
  }
  std::vector<const Value*> pointers;
  for (const Value& r : stored) pointers.push_back(&r);
  return s.terminology.Add(pointers);
}

Status InstallPlatformContent(Engine& s) {
  // Each platform resource is written once, and again only when its content changed (a new
  // release of Kangyun); other versions stay in the history.
  std::vector<Value> resources = content::PlatformResources();
  for (const Value& r : s.registry.resources()) resources.push_back(r);
  // The OperationDefinitions of the registered operations: the platform's own, and R4's for
  // those R4 defines.
  for (const OperationSpec& op : s.registry.operations()) {
    if (op.operation_definition) {
      resources.push_back(*op.operation_definition);
    } else if (const Value* r4 = s.defs.OperationDefinition(op.definition)) {
      resources.push_back(*r4);
      resources.back().Erase("meta");
    }
  }
  KY_ASSIGN_OR_RETURN(auto txn, BeginWrite(s));
  bool wrote = false;
  for (Value& r : resources) {
    std::string type(r.GetString("resourceType")), id(r.GetString("id"));
    KY_ASSIGN_OR_RETURN(auto current, txn->ReadCurrent(type, id));
    if (current && !current->deleted) {
      KY_ASSIGN_OR_RETURN(Value stored, json::Parse(current->body));
      stored.Erase("meta");
      if (stored == r) continue;
    }
    KY_RETURN_IF_ERROR(WriteVersion(s, *txn, std::move(r), id, current, current ? "PUT" : "POST",
                                    /*by_registry=*/true)
                           .status());
    wrote = true;
  }
  if (wrote) KY_RETURN_IF_ERROR(txn->Commit());
  // Ended either way: the start-up steps below write too, and the embedded store has one
  // writer.
  txn.reset();
  // Code systems, value sets and maps clients stored join the platform's.
  KY_ASSIGN_OR_RETURN(auto read, s.store.BeginRead());
  KY_RETURN_IF_ERROR(AddStoredTerminology(s, *read));
  for (const auto& [name, step] : s.registry.startup()) {
    Status done = step(s);
    if (!done.ok()) return Status(done.code(), name + ": " + done.message());
  }
  return Status::Ok();
}

}  // namespace kangyun::api
