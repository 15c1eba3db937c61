// Runs conformance cases written as data (tests/conformance/cases/*.test, format in README.md
// beside this file) against a real kangyun server process, one fresh server and database per
// file.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "json/json.h"
#include "tests/support/http_client.h"

namespace {

using kangyun::json::Value;
using kangyun::testing::HttpCall;
using kangyun::testing::HttpResult;

struct Block {
  std::string name;
  int line = 0;
  int parallel = 1;
  int retries = 0;  // "retry N": repeat until the expectations hold (background work)
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string raw;                                   // raw bytes to send instead of a request
  std::vector<std::pair<int, std::string>> expects;  // line number, text
  std::vector<std::pair<int, std::string>> asserts;
};

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

class Runner {
 public:
  Runner(std::string binary, std::string file)
      : binary_(std::move(binary)), file_(std::move(file)) {}

  int Run() {
    std::ifstream in(file_);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", file_.c_str());
      return 1;
    }
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::vector<std::string> server_args = {"--read-timeout", "3"};
    std::vector<Block> blocks = Parse(lines, &server_args);
    std::string dir = std::filesystem::temp_directory_path() /
                      ("kangyun-conformance-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::string db = dir + "/test.db";
    kangyun::testing::ServerProcess server(binary_, db, server_args);
    if (!server.ok()) {
      std::fprintf(stderr, "%s: the server did not start\n", file_.c_str());
      return 1;
    }
    port_ = server.port();
    for (Block& b : blocks) RunBlock(b);
    server.Terminate();
    std::filesystem::remove_all(dir);
    std::printf("%s: %d passed, %d failed\n", file_.c_str(), passed_, failed_);
    return failed_ ? 1 : 0;
  }

 private:
  std::vector<Block> Parse(const std::vector<std::string>& lines,
                           std::vector<std::string>* server_args) {
    std::vector<Block> blocks;
    size_t i = 0;
    while (i < lines.size()) {
      std::string line = lines[i];
      if (line.rfind("server ", 0) == 0) {
        std::istringstream ss(line.substr(7));
        for (std::string a; ss >> a;) server_args->push_back(a);
        ++i;
        continue;
      }
      if (line.rfind("assert ", 0) == 0) {
        Block b;
        b.name = "assert";
        b.line = static_cast<int>(i + 1);
        b.asserts.emplace_back(i + 1, line.substr(7));
        blocks.push_back(b);
        ++i;
        continue;
      }
      if (line.rfind("=== ", 0) != 0) {
        ++i;
        continue;
      }
      Block b;
      b.name = line.substr(4);
      b.line = static_cast<int>(i + 1);
      ++i;
      if (i < lines.size() && lines[i].rfind("parallel ", 0) == 0) {
        b.parallel = std::atoi(lines[i].c_str() + 9);
        ++i;
      }
      if (i < lines.size() && lines[i].rfind("retry ", 0) == 0) {
        b.retries = std::atoi(lines[i].c_str() + 6);
        ++i;
      }
      if (i < lines.size() && lines[i].rfind("RAW", 0) == 0) {
        ++i;
        while (i < lines.size() && lines[i] != "--- expect") b.raw += lines[i++] + "\r\n";
      } else if (i < lines.size()) {
        std::istringstream rl(lines[i]);
        rl >> b.method >> b.target;
        ++i;
        while (i < lines.size() && !Trim(lines[i]).empty() && lines[i] != "--- expect") {
          auto colon = lines[i].find(':');
          if (colon != std::string::npos)
            b.headers.emplace_back(Trim(lines[i].substr(0, colon)),
                                   Trim(lines[i].substr(colon + 1)));
          ++i;
        }
        if (i < lines.size() && Trim(lines[i]).empty()) ++i;
        std::string body;
        while (i < lines.size() && lines[i] != "--- expect" && lines[i].rfind("=== ", 0) != 0) {
          body += lines[i] + "\n";
          ++i;
        }
        b.body = Trim(body);
      }
      if (i < lines.size() && lines[i] == "--- expect") {
        ++i;
        while (i < lines.size() && lines[i].rfind("=== ", 0) != 0 &&
               lines[i].rfind("assert ", 0) != 0) {
          std::string t = Trim(lines[i]);
          if (!t.empty() && t[0] != '#') b.expects.emplace_back(i + 1, t);
          ++i;
        }
      }
      blocks.push_back(std::move(b));
    }
    return blocks;
  }

  std::string Substitute(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
        size_t end = s.find('}', i);
        if (end != std::string::npos) {
          std::string name = s.substr(i + 2, end - i - 2);
          out += vars_.count(name) ? vars_[name] : "";
          i = end;
          continue;
        }
      }
      out.push_back(s[i]);
    }
    return out;
  }

  // {{repeat N "text"}} and {{bytes ff fe ...}} make bodies that cannot be typed.
  static std::string Generate(const std::string& s) {
    std::string out;
    size_t i = 0;
    while (i < s.size()) {
      size_t open = s.find("{{", i);
      if (open == std::string::npos) {
        out += s.substr(i);
        break;
      }
      // A repeated text may itself contain "}}" and double quotes: it is single-quoted.
      size_t close =
          s.compare(open, 9, "{{repeat ") == 0 ? s.find("'}}", open) : s.find("}}", open);
      if (close == std::string::npos) {
        out += s.substr(i);
        break;
      }
      if (s[close] == '\'') ++close;
      out += s.substr(i, open - i);
      std::string cmd = s.substr(open + 2, close - open - 2);
      std::istringstream ss(cmd);
      std::string word;
      ss >> word;
      if (word == "repeat") {
        int n;
        ss >> n;
        std::string rest;
        std::getline(ss, rest);
        rest = Trim(rest);
        if (rest.size() >= 2 && (rest.front() == '\'' || rest.front() == '"'))
          rest = rest.substr(1, rest.size() - 2);
        for (int k = 0; k < n; ++k) out += rest;
      } else if (word == "bytes") {
        for (std::string hex; ss >> hex;)
          out.push_back(static_cast<char>(std::stoi(hex, nullptr, 16)));
      } else {
        out += "{{" + cmd + "}}";
      }
      i = close + 2;
    }
    return out;
  }

  // Path: a.b[0].c[*].d[?key=value]
  static std::vector<const Value*> Select(const Value& root, const std::string& path) {
    std::vector<const Value*> cur = {&root};
    if (path == "$" || path.empty()) return cur;
    size_t i = 0;
    while (i < path.size()) {
      size_t end = i;
      int depth = 0;
      while (end < path.size() && !(path[end] == '.' && depth == 0)) {
        if (path[end] == '[') ++depth;
        if (path[end] == ']') --depth;
        ++end;
      }
      std::string seg = path.substr(i, end - i);
      i = end + 1;
      std::string name = seg.substr(0, seg.find('['));
      std::vector<const Value*> next;
      for (const Value* v : cur) {
        const Value* child = name.empty() ? v : (v->is_object() ? v->Find(name) : nullptr);
        if (child) next.push_back(child);
      }
      cur.swap(next);
      size_t b = seg.find('[');
      while (b != std::string::npos) {
        // The matching bracket: a filter's key may hold indexes of its own (a[?b[0].c=x]).
        size_t e = b;
        for (int depth = 0; e < seg.size(); ++e) {
          if (seg[e] == '[') ++depth;
          if (seg[e] == ']' && --depth == 0) break;
        }
        std::string idx = seg.substr(b + 1, e - b - 1);
        std::vector<const Value*> sel;
        for (const Value* v : cur) {
          if (!v->is_array()) continue;
          if (idx == "*") {
            for (const Value& item : v->items()) sel.push_back(&item);
          } else if (!idx.empty() && idx[0] == '?') {
            auto eq = idx.find('=');
            std::string key = idx.substr(1, eq - 1), want = idx.substr(eq + 1);
            for (const Value& item : v->items()) {
              auto found = Select(item, key);
              if (found.size() == 1 && (found[0]->str() == want)) sel.push_back(&item);
            }
          } else {
            size_t n = static_cast<size_t>(std::atoi(idx.c_str()));
            if (n < v->items().size()) sel.push_back(&v->items()[n]);
          }
        }
        cur.swap(sel);
        b = seg.find('[', e);
      }
    }
    return cur;
  }

  static std::string Show(const Value* v) {
    return v->is_string() ? v->str() : kangyun::json::Write(*v);
  }

  void Fail(const Block& b, int line, const std::string& what, const HttpResult* r) {
    ++failed_;
    if (quiet_) return;
    std::fprintf(stderr, "FAIL %s:%d [%s]: %s\n", file_.c_str(), line, b.name.c_str(),
                 what.c_str());
    if (r) {
      std::fprintf(stderr, "  response %d: %s\n", r->status, r->body.substr(0, 600).c_str());
    }
  }

  bool Check(const Block& b, int line, const std::string& exp, const HttpResult& r,
             const Value* body) {
    std::istringstream ss(exp);
    std::string kind;
    ss >> kind;
    std::string rest;
    std::getline(ss, rest);
    rest = Substitute(Trim(rest));
    if (kind == "status") {
      if (r.status != std::atoi(rest.c_str())) {
        Fail(b, line, "expected status " + rest + ", got " + std::to_string(r.status), &r);
        return false;
      }
      return true;
    }
    if (kind == "body") {
      bool negate = rest.rfind("!~", 0) == 0;
      std::string needle = Trim(rest.substr(2));
      bool found = r.body.find(needle) != std::string::npos;
      if (found == negate) {
        Fail(b, line,
             std::string("body should ") + (negate ? "not " : "") + "contain '" + needle + "'", &r);
        return false;
      }
      return true;
    }
    if (kind == "header") {
      std::istringstream hs(rest);
      std::string name, op;
      hs >> name >> op;
      std::string value;
      std::getline(hs, value);
      value = Trim(value);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto it = r.headers.find(name);
      bool ok;
      if (op == "exists")
        ok = it != r.headers.end();
      else if (op == "absent")
        ok = it == r.headers.end();
      else if (op == "==")
        ok = it != r.headers.end() && it->second == value;
      else if (op == "~")
        ok = it != r.headers.end() && it->second.find(value) != std::string::npos;
      else if (op == "->") {
        ok = it != r.headers.end();
        if (ok) vars_[value] = it->second;
      } else
        ok = false;
      if (!ok) {
        Fail(b, line,
             "header " + rest + " (got '" + (it == r.headers.end() ? "<none>" : it->second) + "')",
             &r);
        return false;
      }
      return true;
    }
    if (kind == "json") {
      if (!body) {
        Fail(b, line, "body is not JSON", &r);
        return false;
      }
      std::istringstream js(rest);
      std::string path, op;
      js >> path >> op;
      std::string value;
      std::getline(js, value);
      value = Trim(value);
      auto found = Select(*body, path);
      bool ok = false;
      std::string got = found.empty() ? "<nothing>" : Show(found[0]);
      if (op == "exists")
        ok = !found.empty();
      else if (op == "absent")
        ok = found.empty();
      else if (op == "count") {
        size_t n =
            found.size() == 1 && found[0]->is_array() && path.find("[*]") == std::string::npos
                ? found[0]->items().size()
                : found.size();
        ok = n == static_cast<size_t>(std::atoi(value.c_str()));
        got = std::to_string(n);
      } else if (op == "==" || op == "!=") {
        bool equal = false;
        if (found.size() == 1) {
          auto parsed = kangyun::json::Parse(value);
          if (parsed.ok() && !found[0]->is_string())
            equal = *parsed == *found[0];
          else
            equal = found[0]->is_string() &&
                    (found[0]->str() == value ||
                     (parsed.ok() && parsed->is_string() && parsed->str() == found[0]->str()));
        }
        ok = op == "==" ? equal : !equal;
      } else if (op == "~" || op == "!~") {
        bool any = false;
        for (const Value* v : found)
          if (Show(v).find(value) != std::string::npos) any = true;
        ok = op == "~" ? any : !any;
      } else if (op == "->") {
        ok = found.size() == 1;
        if (ok) vars_[value] = Show(found[0]);
      } else if (op == "=>") {
        ok = true;
        for (const Value* v : found) lists_[value].push_back(Show(v));
      }
      if (!ok) {
        Fail(b, line, "json " + rest + " (got " + got.substr(0, 300) + ")", &r);
        return false;
      }
      return true;
    }
    Fail(b, line, "unknown expectation '" + exp + "'", nullptr);
    return false;
  }

  void RunAssert(const Block& b, int line, const std::string& text) {
    std::istringstream ss(Substitute(text));
    std::string list, op;
    int n;
    ss >> list >> op >> n;
    const auto& items = lists_[list];
    std::set<std::string> unique(items.begin(), items.end());
    bool ok = false;
    if (op == "unique")
      ok = unique.size() == items.size() && static_cast<int>(items.size()) == n;
    else if (op == "size")
      ok = static_cast<int>(items.size()) == n;
    if (ok) {
      ++passed_;
    } else {
      Fail(b, line,
           "assert " + text + ": " + std::to_string(items.size()) + " items, " +
               std::to_string(unique.size()) + " distinct",
           nullptr);
    }
  }

  void RunBlock(Block& b) {
    for (const auto& [line, text] : b.asserts) RunAssert(b, line, text);
    if (b.method.empty() && b.raw.empty()) return;
    std::string target = Substitute(b.target);
    // Absolute URLs (links the server made) are sent to the test server as paths.
    if (target.rfind("http://", 0) == 0) target = target.substr(target.find('/', 7));
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& [k, v] : b.headers) headers.emplace_back(k, Substitute(v));
    std::string body = Generate(Substitute(b.body));
    std::vector<HttpResult> results(static_cast<size_t>(b.parallel));
    if (!b.raw.empty()) {
      std::string answer = kangyun::testing::RawExchange("127.0.0.1", port_, Generate(b.raw), 10);
      results[0].status = answer.size() > 12 ? std::atoi(answer.c_str() + 9) : 0;
      results[0].body = answer;
    } else if (b.parallel == 1) {
      results[0] = HttpCall("127.0.0.1", port_, b.method, target, headers, body);
    } else {
      std::vector<std::thread> threads;
      for (int k = 0; k < b.parallel; ++k)
        threads.emplace_back([&, k] {
          results[static_cast<size_t>(k)] =
              HttpCall("127.0.0.1", port_, b.method, target, headers, body);
        });
      for (auto& t : threads) t.join();
    }
    bool all_ok = true;
    if (b.parallel > 1) {
      // Expectations: "statuses 201x1 200x11"
      std::map<int, int> counts;
      for (const auto& r : results) counts[r.status]++;
      for (const auto& [line, text] : b.expects) {
        std::istringstream ss(text);
        std::string kind;
        ss >> kind;
        if (kind != "statuses") {
          Fail(b, line, "parallel blocks only check 'statuses'", nullptr);
          all_ok = false;
          continue;
        }
        for (std::string want; ss >> want;) {
          int code = std::atoi(want.c_str());
          int n = std::atoi(want.c_str() + want.find('x') + 1);
          if (counts[code] != n) {
            std::string got;
            for (auto [c, k] : counts) got += std::to_string(c) + "x" + std::to_string(k) + " ";
            Fail(b, line, "expected " + want + ", got " + got, &results[0]);
            all_ok = false;
          }
        }
      }
    } else {
      for (int attempt = 0;; ++attempt) {
        const HttpResult& r = results[0];
        auto parsed = kangyun::json::Parse(r.body);
        const Value* body_json = parsed.ok() ? &*parsed : nullptr;
        if (attempt < b.retries) {
          // Quietly check first; report only on the last attempt.
          int before = failed_;
          bool quiet_ok = true;
          std::swap(quiet_, quiet_ok);
          for (const auto& [line, text] : b.expects) Check(b, line, text, r, body_json);
          std::swap(quiet_, quiet_ok);
          bool passed = failed_ == before;
          failed_ = before;
          if (passed) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          results[0] = HttpCall("127.0.0.1", port_, b.method, target, headers, body);
          continue;
        }
        for (const auto& [line, text] : b.expects)
          if (!Check(b, line, text, r, body_json)) all_ok = false;
        break;
      }
    }
    if (all_ok) ++passed_;
  }

  std::string binary_, file_;
  int port_ = 0;
  int passed_ = 0, failed_ = 0;
  bool quiet_ = false;
  std::map<std::string, std::string> vars_;
  std::map<std::string, std::vector<std::string>> lists_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: conformance_runner KANGYUN_BINARY CASE.test...\n");
    return 2;
  }
  int rc = 0;
  for (int i = 2; i < argc; ++i)
    if (Runner(argv[1], argv[i]).Run() != 0) rc = 1;
  return rc;
}
