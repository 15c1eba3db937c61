// Failover on a real high-availability stack (scripts/ha-cluster): etcd, three PostgreSQL
// instances managed by Patroni with a synchronous standby, and two Kangyun processes whose
// store URL names all three hosts. Clients write through both servers; the primary's host is
// killed in the middle (Patroni, postmaster and backends, kill -9). Checked: both servers
// write to the new primary within 30 s; every request in flight is answered, with a success
// or a 503 that carries Retry-After, never a hang or another error; no acknowledged write is
// lost and none is applied twice (a client retries a conditional create as it is, and after a
// 503 on an update reads before it tries again); the audit chain is whole afterwards.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "json/json.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::seconds;

constexpr int kClients = 6;
// How long a request may take before it counts as hanging, and the longest failover allowed.
constexpr double kHangSeconds = 10, kFailoverLimitSeconds = 30;

const std::string kCluster = std::string(KANGYUN_SOURCE_DIR) + "/scripts/ha-cluster";

std::string Shell(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// One answer as a client saw it.
struct Exchange {
  int server = 0;
  bool write = false;
  Clock::time_point started, ended;
  int status = 0;
  bool retry_after = false;
};

class Failover : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/kangyun-ha-" + std::to_string(getpid());
    ASSERT_EQ(std::system((kCluster + " start " + dir_).c_str()), 0) << "see " << dir_;
    std::ifstream url_file(dir_ + "/url");
    std::getline(url_file, url_);
    ASSERT_FALSE(url_.empty());
    for (int s = 0; s < 2; ++s) {
      servers_.push_back(std::make_unique<ServerProcess>(KANGYUN_BINARY, url_));
      ASSERT_TRUE(servers_.back()->ok()) << "server " << s;
    }
  }
  void TearDown() override {
    servers_.clear();
    (void)std::system((kCluster + " stop " + dir_ + " >/dev/null 2>&1").c_str());
  }

  // A request to server `s`, noted in the log of exchanges.
  HttpResult Call(int s, const std::string& method, const std::string& target,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body) {
    Exchange x;
    x.server = s;
    x.write = method != "GET";
    x.started = Clock::now();
    HttpResult r = HttpCall("127.0.0.1", servers_[s]->port(), method, target, headers, body,
                            static_cast<int>(kHangSeconds) + 5);
    x.ended = Clock::now();
    x.status = r.status;
    x.retry_after = r.headers.count("retry-after") > 0;
    std::lock_guard lock(mu_);
    exchanges_.push_back(x);
    return r;
  }

  std::string dir_, url_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
  std::mutex mu_;
  std::vector<Exchange> exchanges_;  // guarded by mu_
};

std::string Counter(const std::string& id, int64_t value) {
  return R"({"resourceType":"Patient","id":")" + id + R"(","multipleBirthInteger":)" +
         std::to_string(value) + "}";
}

// A JSON number's value (-1 when absent).
int64_t Int(const json::Value* v) { return v && v->is_number() ? std::stoll(v->str()) : -1; }

json::Value Parse(const HttpResult& r) {
  auto v = json::Parse(r.body);
  return v.ok() ? std::move(v).value() : json::Value::Object();
}

TEST_F(Failover, KillingThePrimaryUnderAWriteLoadLosesNothingAndDoublesNothing) {
  for (int k = 0; k < kClients; ++k) {
    std::string id = "ha-counter-" + std::to_string(k);
    ASSERT_EQ(Call(k % 2, "PUT", "/fhir/Patient/" + id, kJson, Counter(id, 0)).status, 201);
  }

  std::atomic<bool> stopping{false};
  std::atomic<int> unexpected{0};
  std::vector<std::vector<std::string>> created(kClients);  // acknowledged, by client
  std::vector<int64_t> increments(kClients, 0);             // acknowledged, by client
  // Each logical write is retried until it is acknowledged, for at most this long after the
  // load is told to stop.
  std::atomic<int64_t> give_up_at{INT64_MAX};
  auto gave_up = [&] { return Clock::now().time_since_epoch().count() > give_up_at.load(); };
  // Until acknowledged: a success ends it; a 503 (the store is unreachable) is tried again
  // after a pause; anything else is unexpected.
  auto until_done = [&](auto attempt) {
    for (int n = 0; !gave_up(); ++n) {
      HttpResult r = attempt(n);
      if (r.status == 503) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      return r;
    }
    return HttpResult{};
  };

  std::vector<std::thread> clients;
  for (int k = 0; k < kClients; ++k) {
    clients.emplace_back([&, k] {
      std::string counter = "/fhir/Patient/ha-counter-" + std::to_string(k);
      for (int n = 0; !stopping; ++n) {
        // A conditional create, sent again as it is until answered.
        std::string ident = "c" + std::to_string(k) + "-" + std::to_string(n);
        HttpResult c = until_done([&](int attempt) {
          return Call((k + attempt) % 2, "POST", "/fhir/Patient",
                      {{"Content-Type", "application/fhir+json"},
                       {"If-None-Exist", "identifier=urn:ha|" + ident}},
                      R"({"resourceType":"Patient","identifier":[{"system":"urn:ha","value":")" +
                          ident + R"("}]})");
        });
        if (c.status == 201 || c.status == 200) {
          created[k].push_back(ident);
        } else if (!gave_up()) {
          ++unexpected;
          ADD_FAILURE() << "create " << ident << ": " << c.status << " " << c.body;
        }

        // An increment: read, update with If-Match. After a 503 the update may or may not
        // have been made; a read tells, before it is tried again.
        for (int attempt = 0; !gave_up(); ++attempt) {
          HttpResult read = until_done(
              [&](int a) { return Call((k + attempt + a) % 2, "GET", counter, {}, ""); });
          if (read.status != 200) break;
          json::Value current = Parse(read);
          int64_t value = Int(current.Find("multipleBirthInteger"));
          int64_t version = std::stoll(std::string(current.Find("meta")->GetString("versionId")));
          if (version == increments[k] + 2) {  // the last update, unanswered, was made
            ++increments[k];
            break;
          }
          HttpResult put = Call((k + attempt + 1) % 2, "PUT", counter,
                                {{"Content-Type", "application/fhir+json"},
                                 {"If-Match", "W/\"" + std::to_string(version) + "\""}},
                                Counter("ha-counter-" + std::to_string(k), value + 1));
          if (put.status == 200) {
            ++increments[k];
            break;
          }
          if (put.status != 503) {
            ++unexpected;
            ADD_FAILURE() << "update of " << counter << ": " << put.status << " " << put.body;
            break;
          }
        }
      }
    });
  }

  std::this_thread::sleep_for(seconds(3));
  std::string old_primary = Shell(kCluster + " primary " + dir_);
  EXPECT_EQ(Shell(kCluster + " kill-primary " + dir_), old_primary);
  auto killed_at = Clock::now();

  // The load goes on until both servers have written again, and a few seconds more.
  auto wrote_again = [&](int s) {
    std::lock_guard lock(mu_);
    for (const Exchange& x : exchanges_)
      if (x.server == s && x.write && x.started > killed_at && x.status >= 200 && x.status < 300)
        return true;
    return false;
  };
  while (Clock::now() - killed_at < seconds(60) && !(wrote_again(0) && wrote_again(1)))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::this_thread::sleep_for(seconds(3));
  stopping = true;
  give_up_at = (Clock::now() + seconds(30)).time_since_epoch().count();
  for (auto& t : clients) t.join();
  EXPECT_EQ(unexpected.load(), 0);

  // Every answer was a success or a 503 with Retry-After, and none took long.
  int unavailable = 0;
  double slowest = 0;
  std::vector<double> failover(2, -1);
  for (const Exchange& x : exchanges_) {
    double took = duration<double>(x.ended - x.started).count();
    slowest = std::max(slowest, took);
    if (x.status == 503) {
      ++unavailable;
      EXPECT_TRUE(x.retry_after) << "a 503 without Retry-After";
    } else {
      EXPECT_TRUE(x.status >= 200 && x.status < 300) << "status " << x.status;
    }
    // A server has failed over when a write begun after the kill succeeds on it.
    double since_kill = duration<double>(x.ended - killed_at).count();
    if (x.write && x.started > killed_at && x.status >= 200 && x.status < 300 &&
        (failover[x.server] < 0 || since_kill < failover[x.server]))
      failover[x.server] = since_kill;
  }
  EXPECT_LT(slowest, kHangSeconds) << "a request hung";
  EXPECT_GT(unavailable, 0) << "the kill did not meet the load";
  for (int s = 0; s < 2; ++s) {
    EXPECT_GE(failover[s], 0) << "server " << s << " never wrote again";
    EXPECT_LE(failover[s], kFailoverLimitSeconds) << "server " << s;
  }
  std::string new_primary = Shell(kCluster + " primary " + dir_);
  EXPECT_NE(new_primary, old_primary);
  std::printf(
      "failover: %s -> %s; servers wrote again %.1f s and %.1f s after the kill; "
      "%d answers 503 of %zu; slowest answer %.2f s\n",
      old_primary.c_str(), new_primary.c_str(), failover[0], failover[1], unavailable,
      exchanges_.size(), slowest);
  RecordProperty("failover_seconds", std::to_string(std::max(failover[0], failover[1])));

  // Nothing acknowledged was lost, nothing was applied twice.
  size_t acknowledged = 0;
  for (int k = 0; k < kClients; ++k) {
    for (const std::string& ident : created[k]) {
      ++acknowledged;
      HttpResult found = HttpCall("127.0.0.1", servers_[k % 2]->port(), "GET",
                                  "/fhir/Patient?identifier=urn:ha|" + ident, {}, "");
      EXPECT_EQ(Int(Parse(found).Find("total")), 1) << ident;
    }
    // A counter's history: versions 1..n, one each, version v holding v - 1.
    json::Value history = Parse(HttpCall(
        "127.0.0.1", servers_[0]->port(), "GET",
        "/fhir/Patient/ha-counter-" + std::to_string(k) + "/_history?_count=1000", {}, ""));
    std::map<int64_t, int64_t> values;  // version -> value
    if (const json::Value* entries = history.Find("entry"))
      for (const json::Value& e : entries->items()) {
        const json::Value* r = e.Find("resource");
        int64_t v = std::stoll(std::string(r->Find("meta")->GetString("versionId")));
        EXPECT_TRUE(values.emplace(v, Int(r->Find("multipleBirthInteger"))).second) << v;
      }
    EXPECT_EQ(values.size(), static_cast<size_t>(increments[k] + 1)) << "counter " << k;
    for (auto [v, value] : values) EXPECT_EQ(value, v - 1) << "counter " << k << " version " << v;
  }
  json::Value all = Parse(HttpCall("127.0.0.1", servers_[1]->port(), "GET",
                                   "/fhir/Patient?identifier=urn:ha|&_summary=count", {}, ""));
  EXPECT_EQ(Int(all.Find("total")), static_cast<int64_t>(acknowledged));
  EXPECT_GT(acknowledged, 0u);

  // The audit chain is whole across the failover.
  servers_.clear();
  CommandOutput verify = RunKangyun(KANGYUN_BINARY, "audit verify --db '" + url_ + "'");
  EXPECT_EQ(verify.exit_code, 0) << verify.text;
}

}  // namespace
}  // namespace kangyun::testing
