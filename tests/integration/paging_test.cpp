// Paging past the paging list: a search of more matches than the server keeps a list of pages
// through every match (keyset on row ids) when unsorted, and says where it stops when sorted.
// The server keeps lists of 20 here (--max-search-results) so that 50 matches are "many".
#include <gtest/gtest.h>

#include <set>

#include "json/json.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

struct Page {
  std::vector<std::string> ids;
  std::string next;  // path below the host, or ""
  bool warned = false;
};

Page Fetch(int port, const std::string& path) {
  Page p;
  HttpResult r = HttpCall("127.0.0.1", port, "GET", path, {}, "");
  EXPECT_EQ(r.status, 200) << path << ": " << r.body;
  auto b = json::Parse(r.body);
  if (!b.ok()) return p;
  if (const json::Value* entries = b->Find("entry")) {
    for (const json::Value& e : entries->items()) {
      const json::Value* res = e.Find("resource");
      if (res->GetString("resourceType") == "Observation") p.ids.emplace_back(res->GetString("id"));
      if (res->GetString("resourceType") == "OperationOutcome" &&
          json::Write(*res).find("More than 20") != std::string::npos)
        p.warned = true;
    }
  }
  for (const json::Value& l : b->Find("link")->items()) {
    std::string url(l.GetString("url"));
    if (l.GetString("relation") == "next") p.next = url.substr(url.find("/fhir/"));
  }
  return p;
}

std::vector<std::string> FollowAll(int port, std::string path, int* pages, bool* warned) {
  std::vector<std::string> all;
  *pages = 0;
  while (!path.empty() && *pages < 30) {
    Page p = Fetch(port, path);
    all.insert(all.end(), p.ids.begin(), p.ids.end());
    *warned = *warned || p.warned;
    path = p.next;
    ++*pages;
  }
  return all;
}

TEST(Paging, AnUnsortedSearchPagesThroughEveryMatchASortedOneSaysWhereItStops) {
  std::string dir = ScratchFolder("paging");
  ServerProcess server(KANGYUN_BINARY, dir + "/p.db", {"--max-search-results", "20"});
  ASSERT_TRUE(server.ok());
  std::string entries;
  for (int i = 0; i < 50; ++i)
    entries +=
        std::string(i ? "," : "") +
        R"({"resource":{"resourceType":"Observation","status":"final","code":{"text":"paging-test"}},"request":{"method":"POST","url":"Observation"}})";
  ASSERT_EQ(HttpCall("127.0.0.1", server.port(), "POST", "/fhir",
                     {{"Content-Type", "application/fhir+json"}},
                     R"({"resourceType":"Bundle","type":"transaction","entry":[)" + entries + "]}")
                .status,
            200);
  HttpResult first = HttpCall("127.0.0.1", server.port(), "GET",
                              "/fhir/Observation?code:text=paging-test&_count=7", {}, "");
  EXPECT_EQ(TotalOf(first), 50);
  EXPECT_NE(first.body.find("_cursor="), std::string::npos) << first.body;
  int pages = 0;
  bool warned = false;
  auto all =
      FollowAll(server.port(), "/fhir/Observation?code:text=paging-test&_count=7", &pages, &warned);
  EXPECT_EQ(all.size(), 50u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 50u);
  EXPECT_EQ(pages, 8);
  EXPECT_FALSE(warned);

  // Sorted: the first 20, and the Bundle says so.
  auto sorted = FollowAll(server.port(),
                          "/fhir/Observation?code:text=paging-test&_count=7&_sort=-_lastUpdated",
                          &pages, &warned);
  EXPECT_EQ(sorted.size(), 20u);
  EXPECT_TRUE(warned);
  for (const char* bad : {"/fhir/Observation?_cursor=abc", "/fhir/Observation?_cursor=-4",
                          "/fhir/Observation?_cursor=5&_sort=_id"}) {
    HttpResult r = HttpCall("127.0.0.1", server.port(), "GET", bad, {}, "");
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_NE(r.body.find("_cursor"), std::string::npos) << r.body;
  }
}

}  // namespace
}  // namespace kangyun::testing
