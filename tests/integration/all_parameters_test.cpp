// Every resource type and every search parameter the CapabilityStatement claims can be used:
// each type accepts its smallest valid resource, and a search with each parameter answers 200
// under Prefer: handling=strict.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "json/json.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

TEST(Capabilities, EverySearchParameterOfEveryTypeIsServed) {
  auto dir =
      std::filesystem::temp_directory_path() / ("kangyun-params-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  ServerProcess server(KANGYUN_BINARY, (dir / "p.db").string());
  ASSERT_TRUE(server.ok());
  HttpResult meta = HttpCall("127.0.0.1", server.port(), "GET", "/fhir/metadata", {}, "");
  ASSERT_EQ(meta.status, 200);
  auto cs = json::Parse(meta.body);
  ASSERT_TRUE(cs.ok());
  const json::Value& resources = *cs->Find("rest")->items()[0].Find("resource");
  int types = 0, params = 0, stored = 0;
  for (const json::Value& r : resources.items()) {
    std::string type(r.GetString("type"));
    ++types;
    HttpResult list =
        HttpCall("127.0.0.1", server.port(), "GET", "/fhir/" + type + "?_count=1", {}, "");
    EXPECT_EQ(list.status, 200) << type;
    // The smallest resource of the type is stored, or refused for naming its missing elements
    // (a required element, or an invariant that requires one: org-1, a name or an identifier).
    HttpResult created = HttpCall("127.0.0.1", server.port(), "POST", "/fhir/" + type,
                                  {{"Content-Type", "application/fhir+json"}},
                                  R"({"resourceType":")" + type + R"("})");
    if (type == "AuditEvent") {
      // The audit trail is the platform's own, append-only: no client writes it.
      EXPECT_EQ(created.status, 403) << created.body;
    } else if (created.status == 201) {
      ++stored;
    } else {
      EXPECT_EQ(created.status, 422) << type << ": " << created.body.substr(0, 300);
      EXPECT_TRUE(created.body.find("Missing required element") != std::string::npos ||
                  created.body.find("Invariant ") != std::string::npos)
          << type << ": " << created.body.substr(0, 300);
    }
    for (const json::Value& p : r.Find("searchParam")->items()) {
      std::string name(p.GetString("name"));
      ++params;
      HttpResult res = HttpCall("127.0.0.1", server.port(), "GET",
                                "/fhir/" + type + "?" + name + ":missing=true&_count=1",
                                {{"Prefer", "handling=strict"}}, "");
      EXPECT_EQ(res.status, 200) << type << "?" << name << ": " << res.body.substr(0, 300);
    }
  }
  EXPECT_GT(types, 140);
  EXPECT_GT(stored, 10);
  EXPECT_GT(params, 2500);  // parameters shared by several types count once per type
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kangyun::testing
