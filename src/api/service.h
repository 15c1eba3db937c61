// The seam between the FHIR engine (src/api/) and the regional services (src/services/). A
// service is a folder of its own whose Service registers, once at start-up, what it adds to
// the platform: operations, hooks on the write path, search parameters, resources the platform
// ships (its OperationDefinitions), kinds of background jobs, and steps to run when the
// server starts. The engine routes,
// authorizes, audits, reviews and documents (CapabilityStatement, OperationDefinition) what is
// registered exactly as it does its own interactions. A service reaches the store only through
// the transactions the engine hands it, so the reach rules and the audit trail hold for it.
// How to add one: docs/architecture.md, "Adding a service".
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_transaction.h"
#include "api/fhir_request.h"
#include "api/job_runner.h"
#include "api/message_stream.h"
#include "base/status.h"
#include "json/value.h"
#include "store/store.h"

namespace kangyun::fhir {
class SearchParameterRegistry;
}

namespace kangyun::api {

class AccessPolicy;
class Engine;

// Where an operation is invoked: [base]/$op, [base]/Type/$op, [base]/Type/id/$op (bits).
enum OperationLevel : unsigned { kSystemLevel = 1, kTypeLevel = 2, kInstanceLevel = 4 };

// One invocation of an operation, as its handler and its access check see it.
struct OperationCall {
  Engine& engine;
  const FhirRequest& req;
  std::string type;               // "" at the system level
  std::string id;                 // the instance at the instance level, else ""
  std::vector<std::string> rest;  // the path after $name (OperationSpec::extra_segments)
  // The request's transaction: a write transaction for an operation that writes (then
  // `write` is the same one), a read transaction otherwise; null for one that runs outside
  // any (OperationSpec::kNoTransaction).
  store::ReadTransaction* txn = nullptr;
  ApiTransaction* write = nullptr;
};

struct OperationSpec {
  std::string name;                // without "$"
  unsigned levels = kTypeLevel;    // OperationLevel bits
  std::vector<std::string> types;  // at the type and instance levels, the types it is on
  bool get = true;                 // also invoked with GET (FHIR: when it changes nothing)
  bool post = true;
  bool del = false;  // also DELETE (bulk export's cancel at $export-poll-status)
  // Path segments after $name that the call receives in `rest`: $export-file/{job}/{file}.
  size_t extra_segments = 0;
  // Listed in the CapabilityStatement: not for the URLs of a protocol that are not FHIR
  // operations, though they are named like one ($export-poll-status).
  bool listed = true;
  // The transaction it runs in. A writing operation's writes are reviewed against the
  // requester's reach before they commit (api/write_review.cpp), as every write is.
  enum Transaction { kRead, kWrite, kNoTransaction };
  Transaction transaction = kRead;
  // The canonical URL of its OperationDefinition (the CapabilityStatement names it).
  std::string definition;
  // The OperationDefinition resource, for one the platform defines: stored at start-up and
  // served at [base]/OperationDefinition/{id}. Null for one defined elsewhere; R4's own are
  // served from the definitions (Patient-match, ValueSet-expand, ...).
  std::optional<json::Value> operation_definition;
  // What the requester must be allowed before the handler runs (api/access_policy.h);
  // the handler restricts what it reads further, as searches do. Required.
  std::function<Status(AccessPolicy&, OperationCall&)> authorize;
  std::function<Result<FhirResponse>(OperationCall&)> run;
};

// A write of one resource, as a write hook sees it (inside the write's transaction).
struct WriteCall {
  Engine& engine;
  ApiTransaction& txn;
  const FhirRequest& req;
  const std::string& id;
  // The version being replaced; nullopt for a create (also over a deleted resource).
  const std::optional<store::StoredResource>& replaced;
};
// What a hook does once the version is written, in the same transaction.
using AfterWrite = std::function<Status(const store::StoredResource& written)>;

struct WriteHook {
  std::string name;  // for logs
  // The resource types it is for; empty for every type.
  std::vector<std::string> types;
  // Every resource of those types that a request asks to write (create, update, patch, in a
  // Bundle or not), before anything is read: refuses it with a 4xx naming the element.
  std::function<Status(const Engine&, const json::Value& resource)> validate;
  // Inside the write's transaction, before the version is written: may change the resource,
  // refuse the write, or return what to do once the version is written (null: nothing).
  std::function<Result<AfterWrite>(WriteCall&, json::Value* resource)> before_write;
  // Once the write's transaction has committed, in the process that wrote it (never for one
  // that rolled back).
  std::function<void(Engine&, const json::Value& resource)> after_commit;
};

// A path where clients keep a message stream open (a websocket): the HTTP layer upgrades the
// connection, and the handler takes its messages. Not authenticated by a bearer token: what
// the stream carries is bound by a token the service issued to an authenticated request.
struct StreamEndpoint {
  std::string path;  // below the FHIR base: "$subscription-ws"
  std::function<std::shared_ptr<StreamHandler>(std::shared_ptr<MessageStream>)> open;
};

// What services register with; the engine reads it.
class ServiceRegistry {
 public:
  ServiceRegistry(fhir::SearchParameterRegistry& params, Engine& engine)
      : params_(params), engine_(engine) {}

  // The engine being built: a service keeps it for its own handlers and jobs (it is complete
  // when they run, not while Register runs).
  Engine& engine() { return engine_; }

  void AddOperation(OperationSpec op);
  void AddWriteHook(WriteHook hook);
  // Called once each write transaction of the API (a request, a Bundle, a service's job) has
  // committed, in the process that committed it: to look for new work at once (the change
  // feed is where what was written is read, durably; api/engine.h, Store::Changes).
  void AddCommitListener(std::function<void()> listener) {
    commit_listeners_.push_back(std::move(listener));
  }
  const std::vector<std::function<void()>>& commit_listeners() const { return commit_listeners_; }
  void AddStreamEndpoint(StreamEndpoint endpoint) { streams_.push_back(std::move(endpoint)); }
  const StreamEndpoint* FindStreamEndpoint(std::string_view path) const {
    for (const StreamEndpoint& e : streams_)
      if (e.path == path) return &e;
    return nullptr;
  }
  // Resources the platform stores at start-up with a fixed id, written again only when their
  // content changes (code systems, naming systems).
  void AddResources(std::vector<json::Value> resources);
  // Run in order once the store is open and the engine's own content is stored.
  void AddStartup(std::string name, std::function<Status(Engine&)> step);
  // A kind of background job (api/job_runner.h); jobs of it are submitted through the
  // engine's runner (Engine::jobs).
  void AddJobKind(JobKind kind) { job_kinds_.push_back(std::move(kind)); }
  const std::vector<JobKind>& job_kinds() const { return job_kinds_; }
  // Search parameters a service computes (pinyin of names, blocking keys) are added here,
  // before the built-in ones are sealed.
  fhir::SearchParameterRegistry& search_parameters() { return params_; }

  // The operation `name` invoked at `level` on `type` ("" at the system level); null when
  // none is registered there.
  const OperationSpec* FindOperation(std::string_view name, OperationLevel level,
                                     std::string_view type) const;
  // Whether an operation of that name is registered at all (for "defined on X" answers).
  const OperationSpec* AnyOperationNamed(std::string_view name) const;
  const std::vector<OperationSpec>& operations() const { return operations_; }
  // The hooks for a resource of `type`, in registration order.
  std::vector<const WriteHook*> HooksFor(std::string_view type) const;
  const std::vector<json::Value>& resources() const { return resources_; }
  const std::vector<std::pair<std::string, std::function<Status(Engine&)>>>& startup() const {
    return startup_;
  }

 private:
  fhir::SearchParameterRegistry& params_;
  Engine& engine_;
  std::vector<OperationSpec> operations_;
  std::vector<WriteHook> hooks_;
  std::vector<json::Value> resources_;
  std::vector<std::pair<std::string, std::function<Status(Engine&)>>> startup_;
  std::vector<JobKind> job_kinds_;
  std::vector<StreamEndpoint> streams_;
  std::vector<std::function<void()>> commit_listeners_;
};

// A regional service: the person registry, terminology, appointments, referral, ...
class Service {
 public:
  virtual ~Service() = default;
  virtual std::string_view name() const = 0;
  virtual void Register(ServiceRegistry& registry) = 0;
  // Stops what the service runs of its own (threads), before the engine goes; then no
  // handler of it is called again.
  virtual void Stop() {}
};

using ServiceList = std::vector<std::shared_ptr<Service>>;

}  // namespace kangyun::api
