// kangyun-subscription-bench: what subscriptions cost and how fast they deliver, against a
// running server, with a rest-hook endpoint of its own on loopback (issue 14's benchmark):
//   1. write throughput (Observations, `writers` clients) with no subscription, then with 100
//      active subscriptions that a tenth of the writes match, then every write: the ratios are
//      what subscriptions cost;
//   2. commit-to-delivery latency (p50, p99) at a paced rate of writes (1,000 a second unless
//      told): from the write's 201 to the endpoint receiving its notification;
//   3. deliveries per second while the writers of 1 run as fast as they can, every write
//      notified: every event delivered, over the time from the first write until the last
//      event arrived.
// Prints the figures and appends one JSON line per figure to --json.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "json/json.h"
#include "tests/support/hook_receiver.h"

namespace {

using Clock = std::chrono::steady_clock;
using kangyun::http::HttpCall;

int port = 0;
const std::vector<std::pair<std::string, std::string>> kJson = {
    {"Content-Type", "application/fhir+json"}};

std::string ObservationOf(int code) {
  return R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"bench-)" +
         std::to_string(code) +
         R"("}]},"subject":{"reference":"Patient/bench"},"valueQuantity":{"value":5.4,"unit":"mmol/L"}})";
}

// The id of a created resource, "" when the write failed.
std::string Write(int code) {
  auto r = HttpCall("127.0.0.1", port, "POST", "/fhir/Observation", kJson, ObservationOf(code), 30);
  if (r.status != 201) return "";
  auto v = kangyun::json::Parse(r.body);
  return v.ok() ? std::string(v->GetString("id")) : "";
}

// Writes for `seconds` with `writers` clients as fast as they can, with codes bench-0 to
// bench-(codes - 1); writes a second.
double Throughput(int writers, double seconds, int codes) {
  std::atomic<int64_t> done{0};
  auto end = Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      for (int i = w; Clock::now() < end; i += writers)
        if (!Write(i % codes).empty()) ++done;
    });
  for (auto& t : threads) t.join();
  return static_cast<double>(done) / seconds;
}

// The focus ids of a notification body.
std::vector<std::string> FocusIds(const std::string& body) {
  std::vector<std::string> ids;
  auto bundle = kangyun::json::Parse(body);
  if (!bundle.ok() || !bundle->Find("entry")) return ids;
  for (const auto& p :
       bundle->Find("entry")->items()[0].Find("resource")->Find("parameter")->items()) {
    if (p.GetString("name") != "notification-event") continue;
    for (const auto& part : p.Find("part")->items())
      if (part.GetString("name") == "focus") {
        std::string ref(part.Find("valueReference")->GetString("reference"));
        size_t h = ref.find("/_history");
        size_t slash = ref.rfind('/', h - 1);
        ids.push_back(ref.substr(slash + 1, h - slash - 1));
      }
  }
  return ids;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5, rate = 1000;
  int writers = 8;
  std::string json_path, system = "kangyun";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool v = i + 1 < argc;
    if (a == "--port" && v)
      port = std::atoi(argv[++i]);
    else if (a == "--seconds" && v)
      seconds = std::atof(argv[++i]);
    else if (a == "--rate" && v)
      rate = std::atof(argv[++i]);
    else if (a == "--writers" && v)
      writers = std::atoi(argv[++i]);
    else if (a == "--json" && v)
      json_path = argv[++i];
    else if (a == "--system" && v)
      system = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: kangyun-subscription-bench --port P [--seconds S] [--rate W] "
                   "[--writers N] [--system NAME] [--json RESULTS.ndjson]\n");
      return 2;
    }
  }
  if (port <= 0) return 2;
  std::ofstream json_out;
  if (!json_path.empty()) json_out.open(json_path, std::ios::app);
  auto record = [&](const std::string& line) {
    if (json_out) json_out << line << "\n";
  };
  if (HttpCall("127.0.0.1", port, "PUT", "/fhir/Patient/bench", kJson,
               R"({"resourceType":"Patient","id":"bench"})")
              .status /
          100 !=
      2) {
    std::fprintf(stderr, "kangyun-subscription-bench: the server does not answer writes\n");
    return 1;
  }

  // 1. what 100 subscriptions cost writers: each subscribes to one code of a thousand, so that
  // a tenth of the writes are notified; then every write is (codes of the hundred only).
  Throughput(writers, 1, 1000);  // warm up
  double none = Throughput(writers, seconds, 1000);
  kangyun::testing::HookReceiver hook;
  std::mutex mu;
  std::map<std::string, Clock::time_point> arrived;
  std::atomic<int64_t> events{0};
  hook.OnAccepted([&](const std::string& body) {
    auto now = Clock::now();
    std::vector<std::string> ids = FocusIds(body);
    events += static_cast<int64_t>(ids.size());
    std::lock_guard lock(mu);
    for (auto& id : ids) arrived.emplace(std::move(id), now);
  });
  std::vector<kangyun::json::Value> subscriptions;
  for (int i = 0; i < 100; ++i) {
    std::string sub =
        R"({"resourceType":"Subscription","status":"requested","reason":"bench","criteria":"Observation?code=http://loinc.org|bench-)" +
        std::to_string(i) + R"(","channel":{"type":"rest-hook","endpoint":")" + hook.url() +
        R"(","payload":"application/fhir+json","_payload":{"extension":[{"url":"http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content","valueCode":"id-only"}]}}})";
    auto r = HttpCall("127.0.0.1", port, "POST", "/fhir/Subscription", kJson, sub);
    if (r.status != 201) {
      std::fprintf(stderr, "kangyun-subscription-bench: subscription refused: %d %s\n", r.status,
                   r.body.c_str());
      return 1;
    }
    subscriptions.push_back(kangyun::json::Parse(r.body).value());
  }
  // Turns every subscription off or on again (the store grows through the runs, and writes
  // slow a little as it does: a run without subscriptions after those with them shows how much).
  auto set_all = [&](const char* status) {
    for (auto& sub : subscriptions) {
      sub.Set("status", kangyun::json::Value::String(status));
      auto r = HttpCall("127.0.0.1", port, "PUT",
                        "/fhir/Subscription/" + std::string(sub.GetString("id")), kJson,
                        kangyun::json::Write(sub));
      if (r.status != 200) return false;
    }
    return true;
  };
  double tenth = Throughput(writers, seconds, 1000);
  for (int i = 0; i < 600 && events < static_cast<int64_t>(tenth * seconds / 10 * 0.99); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto started = Clock::now();
  int64_t before = events;
  double every = Throughput(writers, seconds, 100);
  // 3. every event of the last run delivered: how long it took
  auto written = static_cast<int64_t>(every * seconds);
  int64_t at_end = events - before;
  while (events - before < written && Clock::now() - started < std::chrono::seconds(600))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  double took = std::chrono::duration<double>(Clock::now() - started).count();
  double per_second = static_cast<double>(events - before) / took;
  if (!set_all("off")) {
    std::fprintf(stderr, "kangyun-subscription-bench: subscriptions could not be turned off\n");
    return 1;
  }
  double none_after = Throughput(writers, seconds, 1000);
  if (!set_all("active")) {
    std::fprintf(stderr, "kangyun-subscription-bench: subscriptions could not be turned on\n");
    return 1;
  }
  double none_before = none;
  none = (none_before + none_after) / 2;
  auto ratio = [&](double with) { return std::to_string(none > 0 ? with / none : 0); };
  std::printf(
      "%-44s %9.0f writes/s without subscriptions (%.0f before, %.0f after the runs with)\n",
      "subscriptions: write throughput", none, none_before, none_after);
  std::printf("%-44s %9.0f writes/s (%s), a tenth of the writes notified\n",
              "  with 100 active subscriptions", tenth, ratio(tenth).c_str());
  std::printf("%-44s %9.0f writes/s (%s), every write notified\n", "", every, ratio(every).c_str());
  record("{\"workload\":\"write with 100 subscriptions\",\"system\":\"" + system +
         "\",\"perSecond\":" + std::to_string(tenth) +
         ",\"withoutPerSecond\":" + std::to_string(none) + ",\"ratio\":" + ratio(tenth) + "}");
  record("{\"workload\":\"write with 100 subscriptions, every write notified\",\"system\":\"" +
         system + "\",\"perSecond\":" + std::to_string(every) +
         ",\"withoutPerSecond\":" + std::to_string(none) + ",\"ratio\":" + ratio(every) + "}");
  std::printf("%-44s %9.0f events/s (%lld events; %lld still to deliver when the writes stopped)\n",
              "subscriptions: deliveries", per_second, static_cast<long long>(events - before),
              static_cast<long long>(written - at_end));
  record("{\"workload\":\"deliveries\",\"system\":\"" + system + "\",\"perSecond\":" +
         std::to_string(per_second) + ",\"events\":" + std::to_string(events - before) + "}");

  // 2. commit-to-delivery latency at a paced rate
  std::map<std::string, Clock::time_point> committed;
  std::atomic<int64_t> failed{0};
  {
    auto start = Clock::now();
    int64_t total = static_cast<int64_t>(rate * seconds);
    std::atomic<int64_t> next{0};
    std::vector<std::thread> threads;
    int pacers = std::max(4, std::min(64, static_cast<int>(rate / 50)));
    for (int w = 0; w < pacers; ++w)
      threads.emplace_back([&] {
        for (int64_t k = next++; k < total; k = next++) {
          std::this_thread::sleep_until(start + std::chrono::duration<double>(k / rate));
          std::string id = Write(static_cast<int>(k % 100));
          auto now = Clock::now();
          if (id.empty()) {
            ++failed;
            continue;
          }
          std::lock_guard lock(mu);
          committed[id] = now;
        }
      });
    for (auto& t : threads) t.join();
    double achieved = static_cast<double>(committed.size()) /
                      std::chrono::duration<double>(Clock::now() - start).count();
    auto wait_end = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < wait_end) {
      {
        std::lock_guard lock(mu);
        size_t got = 0;
        for (const auto& [id, t] : committed) got += arrived.count(id);
        if (got == committed.size()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::vector<double> ms;
    size_t missing = 0;
    {
      std::lock_guard lock(mu);
      for (const auto& [id, t] : committed) {
        auto a = arrived.find(id);
        if (a == arrived.end()) {
          ++missing;
          continue;
        }
        ms.push_back(
            std::max(0.0, std::chrono::duration<double, std::milli>(a->second - t).count()));
      }
    }
    std::printf(
        "%-44s p50 %.1f ms, p99 %.1f ms at %.0f writes/s (%zu undelivered after 60 s, %lld failed "
        "writes)\n",
        "subscriptions: commit to delivery", Percentile(ms, 0.5), Percentile(ms, 0.99), achieved,
        missing, static_cast<long long>(failed));
    record("{\"workload\":\"commit to delivery\",\"system\":\"" + system +
           "\",\"p50ms\":" + std::to_string(Percentile(ms, 0.5)) +
           ",\"p99ms\":" + std::to_string(Percentile(ms, 0.99)) + ",\"writesPerSecond\":" +
           std::to_string(achieved) + ",\"undelivered\":" + std::to_string(missing) + "}");
  }

  return 0;
}
