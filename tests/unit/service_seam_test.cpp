// The seam between the engine and the regional services (api/service.h): what a service
// registers is routed, documented, and run on the write path, exactly as the engine's own.
#include <gtest/gtest.h>

#include <atomic>

#include "api/access_policy.h"
#include "api/engine.h"
#include "api/operation_definition.h"
#include "json/json.h"
#include "tests/unit/in_process_api.h"

namespace kangyun {
namespace {

// A service that uses every kind of registration: an operation that reads, one that writes,
// and hooks on Observations before, during and after their writes; and a start-up step.
class TallyService : public api::Service {
 public:
  std::atomic<int> committed{0};
  std::atomic<bool> started{false};

  std::string_view name() const override { return "tally"; }
  void Register(api::ServiceRegistry& registry) override {
    api::OperationSpec tally;
    tally.name = "tally";
    tally.types = {"Observation"};
    tally.definition = "https://kangyun.cn/fhir/OperationDefinition/Observation-tally";
    tally.authorize = [](api::AccessPolicy& access, api::OperationCall& call) {
      return access.Allow(call.type, auth::kSearch);
    };
    tally.run = [](api::OperationCall& call) -> Result<api::FhirResponse> {
      store::Query all;
      all.types = {call.type};
      KY_ASSIGN_OR_RETURN(int64_t n, call.txn->Count(all));
      api::FhirResponse r;
      r.body = R"({"resourceType":"Parameters","parameter":[{"name":"count","valueInteger":)" +
               std::to_string(n) + "}]}";
      return r;
    };
    tally.operation_definition =
        api::OperationDefinitionFor(tally, "Observation $tally", "How many Observations there are",
                                    {{"count", true, 1, "1", "integer", "The number"}});
    registry.AddOperation(std::move(tally));

    api::OperationSpec stamp;
    stamp.name = "stamp";
    stamp.levels = api::kInstanceLevel;
    stamp.types = {"Observation"};
    stamp.get = false;
    stamp.transaction = api::OperationSpec::kWrite;
    stamp.definition = "https://kangyun.cn/fhir/OperationDefinition/Observation-stamp";
    stamp.authorize = [](api::AccessPolicy& access, api::OperationCall& call) {
      return access.Allow(call.type, auth::kUpdate);
    };
    stamp.run = [](api::OperationCall& call) -> Result<api::FhirResponse> {
      KY_ASSIGN_OR_RETURN(auto current, call.write->ReadCurrent(call.type, call.id));
      if (!current || current->deleted) return NotFound("no such Observation");
      KY_ASSIGN_OR_RETURN(json::Value obs, json::Parse(current->body));
      obs.Set("status", json::Value::String("amended"));
      KY_ASSIGN_OR_RETURN(
          store::StoredResource written,
          api::WriteVersion(call.engine, *call.write, std::move(obs), call.id, current, "PUT"));
      api::FhirResponse r;
      r.body = written.body;
      return r;
    };
    registry.AddOperation(std::move(stamp));

    api::WriteHook hook;
    hook.name = "tally";
    hook.types = {"Observation"};
    hook.validate = [](const api::Engine&, const json::Value& obs) -> Status {
      const json::Value* code = obs.Find("code");
      if (code && code->GetString("text") == "forbidden")
        return Invalid("This code is not taken here", "Observation.code.text");
      return Status::Ok();
    };
    hook.before_write = [](api::WriteCall& w, json::Value* obs) -> Result<api::AfterWrite> {
      obs->Set("status", json::Value::String("preliminary"));
      return api::AfterWrite([&w](const store::StoredResource& written) -> Status {
        json::Value basic = json::Value::Object();
        basic.Set("resourceType", json::Value::String("Basic"));
        json::Value code = json::Value::Object();
        code.Set("text", json::Value::String("tallied " + written.id));
        basic.Set("code", std::move(code));
        return api::WriteVersion(w.engine, w.txn, std::move(basic), "tally-" + written.id,
                                 std::nullopt, "PUT", /*by_registry=*/true)
            .status();
      });
    };
    hook.after_commit = [this](api::Engine&, const json::Value&) { ++committed; };
    registry.AddWriteHook(std::move(hook));

    registry.AddStartup("tally", [this](api::Engine&) {
      started = true;
      return Status::Ok();
    });
  }
};

class ServiceSeam : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(api_->InstallPlatformContent().ok()); }

  api::FhirResponse Call(const std::string& method, const std::string& target,
                         const std::string& body = "") {
    return in_process_.Call(method, target, body);
  }
  static json::Value Json(const api::FhirResponse& r) {
    auto v = json::Parse(r.body);
    return v.ok() ? std::move(v).value() : json::Value::Object();
  }
  static std::string Diagnostics(const api::FhirResponse& r) {
    json::Value oo = Json(r);
    const json::Value* issues = oo.Find("issue");
    return issues && !issues->items().empty()
               ? std::string(issues->items()[0].GetString("diagnostics"))
               : "";
  }
  std::string CreateObservation(const std::string& text) {
    api::FhirResponse r = Call(
        "POST", "Observation",
        R"({"resourceType":"Observation","status":"final","code":{"text":")" + text + R"("}})");
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(Json(r).GetString("id"));
  }

  std::shared_ptr<TallyService> tally_ = std::make_shared<TallyService>();
  testing::InProcessApi in_process_{"seam", api::ServiceList{tally_}};
  api::FhirApi* api_ = &in_process_.api();
};

TEST_F(ServiceSeam, ARegisteredOperationIsRoutedWhereItIsDefinedOnly) {
  CreateObservation("a");
  CreateObservation("b");
  api::FhirResponse tally = Call("GET", "Observation/$tally");
  ASSERT_EQ(tally.status, 200) << tally.body;
  EXPECT_NE(tally.body.find(R"("valueInteger":2)"), std::string::npos) << tally.body;
  EXPECT_EQ(Call("POST", "Observation/$tally").status, 200);

  api::FhirResponse elsewhere = Call("GET", "Patient/$tally");
  EXPECT_EQ(elsewhere.status, 404);
  EXPECT_EQ(Diagnostics(elsewhere), "$tally is defined on Observation");
  api::FhirResponse on_instance = Call("GET", "Observation/x/$tally");
  EXPECT_EQ(on_instance.status, 404);
  EXPECT_NE(Diagnostics(on_instance).find("not on an instance"), std::string::npos);
  EXPECT_EQ(Call("DELETE", "Observation/$tally").status, 405);
  EXPECT_EQ(Call("GET", "Observation/x/$stamp").status, 405);  // POST only
  EXPECT_EQ(Diagnostics(Call("GET", "Observation/$nothing")), "Unknown operation $nothing");
}

TEST_F(ServiceSeam, TheCapabilityStatementAndOperationDefinitionsComeFromTheRegistrations) {
  json::Value cs = Json(Call("GET", "metadata"));
  std::string observation_ops;
  for (const json::Value& r : cs.Find("rest")->items()[0].Find("resource")->items())
    if (r.GetString("type") == "Observation" && r.Find("operation"))
      for (const json::Value& op : r.Find("operation")->items())
        observation_ops +=
            std::string(op.GetString("name")) + "=" + std::string(op.GetString("definition")) + " ";
  // The engine's own $validate is on every type; the services' operations follow it.
  EXPECT_EQ(observation_ops,
            "validate=http://hl7.org/fhir/OperationDefinition/Resource-validate "
            "tally=https://kangyun.cn/fhir/OperationDefinition/Observation-tally "
            "stamp=https://kangyun.cn/fhir/OperationDefinition/Observation-stamp ");

  // The platform's own definition is stored and served; R4's for the engine's $everything.
  api::FhirResponse own = Call("GET", "OperationDefinition/Observation-tally");
  ASSERT_EQ(own.status, 200) << own.body;
  json::Value def = Json(own);
  EXPECT_EQ(def.GetString("code"), "tally");
  EXPECT_EQ(def.Find("parameter")->items()[0].GetString("name"), "count");
  EXPECT_EQ(Call("GET", "OperationDefinition/Patient-everything").status, 200);
  EXPECT_TRUE(tally_->started);
}

TEST_F(ServiceSeam, ValidateHooksRefuseWritesNamingTheElement) {
  api::FhirResponse refused =
      Call("POST", "Observation",
           R"({"resourceType":"Observation","status":"final","code":{"text":"forbidden"}})");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("Observation.code.text"), std::string::npos) << refused.body;
  // A patch that would make it so is refused the same way.
  std::string id = CreateObservation("fine");
  api::FhirRequest patch;
  patch.method = "PATCH";
  patch.path = "Observation/" + id;
  patch.headers["content-type"] = "application/json-patch+json";
  patch.body = R"([{"op":"replace","path":"/code/text","value":"forbidden"}])";
  patch.base_url = "http://seam/fhir";
  EXPECT_EQ(api_->Handle(patch).status, 400);
  EXPECT_EQ(tally_->committed, 1);
}

TEST_F(ServiceSeam, WriteHooksChangeTheResourceAndWriteMoreInItsTransaction) {
  std::string id = CreateObservation("a");
  json::Value stored = Json(Call("GET", "Observation/" + id));
  EXPECT_EQ(stored.GetString("status"), "preliminary");
  api::FhirResponse basic = Call("GET", "Basic/tally-" + id);
  ASSERT_EQ(basic.status, 200) << basic.body;
  EXPECT_EQ(Json(basic).Find("code")->GetString("text"), "tallied " + id);
}

TEST_F(ServiceSeam, AfterCommitHooksRunForCommittedWritesOnly) {
  CreateObservation("a");
  EXPECT_EQ(tally_->committed, 1);
  // A transaction whose second entry fails writes nothing, and tells no hook.
  api::FhirResponse tx = Call("POST", "", R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"b"}},
     "request":{"method":"POST","url":"Observation"}},
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"forbidden"}},
     "request":{"method":"POST","url":"Observation"}}]})");
  EXPECT_GE(tx.status, 400) << tx.body;
  EXPECT_EQ(tally_->committed, 1);
  EXPECT_NE(Call("GET", "Observation/$tally").body.find(R"("valueInteger":1)"), std::string::npos);
}

TEST_F(ServiceSeam, AnOperationThatWritesCommitsItsWrites) {
  std::string id = CreateObservation("a");
  api::FhirResponse stamped = Call("POST", "Observation/" + id + "/$stamp");
  ASSERT_EQ(stamped.status, 200) << stamped.body;
  json::Value now = Json(Call("GET", "Observation/" + id));
  EXPECT_EQ(now.GetString("status"), "amended");
  EXPECT_EQ(now.Find("meta")->GetString("versionId"), "2");
}

}  // namespace
}  // namespace kangyun
