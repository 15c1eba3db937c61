// Search: plan the query, run it on the indexes, page through a stored result list (stable
// while others write), add _include/_revinclude, and assemble the Bundle from stored bytes.
#include <algorithm>
#include <charconv>
#include <set>
#include <unordered_set>

#include "api/access_policy.h"
#include "api/engine.h"
#include "api/outcome.h"
#include "base/strings.h"

namespace kangyun::api {
namespace {

constexpr int kMaxIncludeIterations = 4;

std::string SelfQuery(const search::QueryParams& params, const std::vector<std::string>& ignored,
                      bool drop_paging) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (drop_paging && (k == "_page" || k == "_offset" || k == "_cursor")) continue;
    if (std::find(ignored.begin(), ignored.end(), k) != ignored.end()) continue;
    if (!q.empty()) q += "&";
    q += PercentEncode(k) + "=" + PercentEncode(v);
  }
  return q;
}

// Eight hex digits of h: a short tag of a requester.
std::string Hex8(uint64_t h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, h >>= 4) out[static_cast<size_t>(i)] = kDigits[h & 15];
  return out;
}

// The store's form of one _include or _revinclude, its parameter checked.
Result<store::IncludeSpec> IncludeSpecOf(const Engine& s, const search::IncludeRequest& inc,
                                         bool rev) {
  store::IncludeSpec spec;
  spec.source_type = inc.source_type == "*" ? "" : inc.source_type;
  spec.param = inc.param;
  spec.target_type = inc.target_type;
  if (!rev && spec.param != "*") {
    auto def = s.params.Find(spec.source_type, spec.param);
    if (!def || def->type != "reference")
      return Invalid(
          "Unknown reference parameter in _include: " + inc.source_type + ":" + inc.param,
          "_include");
  }
  if (rev && spec.param != "*" && !s.params.Find(spec.source_type, spec.param))
    return Invalid(
        "Unknown reference parameter in _revinclude: " + inc.source_type + ":" + inc.param,
        "_revinclude");
  return spec;
}

}  // namespace

Result<FhirResponse> Search(Engine& s, store::ReadTransaction& txn, const FhirRequest& req,
                            const std::vector<std::string>& types,
                            const search::QueryParams& params,
                            std::vector<std::vector<store::Condition>> extra_clauses,
                            const SearchOptions& options) {
  KY_ASSIGN_OR_RETURN(search::SearchRequest sr, search::ParseSearchRequest(params));
  std::vector<std::string> searched = types;
  if (searched.empty()) {
    for (const std::string& t : sr.types) {
      if (!s.defs.IsResourceType(t))
        return Invalid("Unknown resource type '" + t + "' in _type", "_type");
      searched.push_back(t);
    }
  }
  bool strict = PreferStrict(req);
  KY_ASSIGN_OR_RETURN(search::SearchPlan plan,
                      s.planner.Plan(searched, sr, strict, s.clock.NowMicros()));
  for (auto& clause : extra_clauses) plan.query.clauses.push_back(std::move(clause));
  // Only what the requester may see is matched, counted, paged or included.
  AccessPolicy access(s, req.principal);
  for (const std::string& t : searched) KY_RETURN_IF_ERROR(access.Allow(t, auth::kSearch));
  // A count alone is an aggregate: a regulator may have it (small ones withheld, below).
  bool aggregate = sr.summary == "count";
  KY_RETURN_IF_ERROR(access.Restrict(txn, &plan.query, auth::kSearch, aggregate));
  // A result list is kept for its requester alone: its id carries theirs.
  std::string owner = req.principal ? Hex8(Fnv1a(req.principal->subject)) : "";
  int count = sr.count.value_or(s.config.default_count);
  count = std::min(count, s.config.max_count);

  std::vector<int64_t> page;
  // The includes are in the paged list itself (options.includes_in_list), not added per page.
  bool listed_includes = options.includes_in_list && !sr.page.empty();
  int64_t total = -1;
  std::string result_id = sr.page;
  int64_t offset = sr.offset;
  bool more = false;
  // More matches than a paging list holds: a search without _sort pages on by row id
  // (keyset: `_cursor` is the last row of the page before), which reaches every match and
  // neither repeats nor skips one while others write (new rows come last, updates keep
  // theirs); a sorted one is paged through its first max_search_results, and says so.
  bool keyset = false, cut_short = false;
  if (!sr.cursor.empty()) {
    if (!plan.query.sort.empty())
      return Invalid("_cursor pages searches without _sort; follow the next link as given",
                     "_cursor");
    auto [end, ec] = std::from_chars(sr.cursor.data(), sr.cursor.data() + sr.cursor.size(),
                                     plan.query.after_rid);
    if (ec != std::errc() || end != sr.cursor.data() + sr.cursor.size() ||
        plan.query.after_rid <= 0)
      return Invalid("_cursor '" + sr.cursor + "' is not a position in this search", "_cursor");
    KY_ASSIGN_OR_RETURN(page, txn.Search(plan.query, count + 1));
    keyset = true;
  } else if (!sr.page.empty()) {
    std::optional<std::vector<int64_t>> stored;
    if (StartsWith(sr.page, owner)) {
      KY_ASSIGN_OR_RETURN(stored,
                          s.store.ReadResultSet(sr.page, offset, count + 1, s.clock.NowMicros()));
    }
    if (!stored) return Status(StatusCode::kGone, "This page's search has expired; search again");
    page = std::move(*stored);
  } else if (sr.summary != "count") {
    KY_ASSIGN_OR_RETURN(std::vector<int64_t> rids,
                        txn.Search(plan.query, s.config.max_search_results + 1));
    bool truncated = static_cast<int64_t>(rids.size()) > s.config.max_search_results;
    if (truncated) rids.resize(static_cast<size_t>(s.config.max_search_results));
    if (options.includes_in_list && !truncated) {
      // What the matches refer to joins the list once, after them (only what the requester
      // may read), so that no page repeats what another page has.
      std::unordered_set<int64_t> listed(rids.begin(), rids.end());
      std::vector<int64_t> found;
      for (const auto& inc : sr.includes) {
        KY_ASSIGN_OR_RETURN(store::IncludeSpec spec, IncludeSpecOf(s, inc, false));
        KY_ASSIGN_OR_RETURN(std::vector<int64_t> referred, txn.Included(rids, spec));
        for (int64_t rid : referred)
          if (listed.insert(rid).second) found.push_back(rid);
      }
      KY_ASSIGN_OR_RETURN(auto rows, txn.ReadRows(found));
      KY_ASSIGN_OR_RETURN(rows, access.Filter(txn, std::move(rows), auth::kRead));
      for (const auto& r : rows) rids.push_back(r.rid);
      listed_includes = true;
    }
    if (!truncated) total = static_cast<int64_t>(rids.size());
    keyset = truncated && plan.query.sort.empty();
    cut_short = truncated && !keyset;
    offset = 0;
    page.assign(rids.begin(), rids.begin() + std::min<size_t>(rids.size(), count + 1));
    if (!keyset && static_cast<int64_t>(rids.size()) > count) {
      // Later pages read this list, so they neither repeat nor skip a resource while others
      // write.
      result_id = owner + s.ids.NewId();
      KY_RETURN_IF_ERROR(s.store.SaveResultSet(
          result_id, std::move(rids), s.clock.NowMicros() + s.config.result_set_ttl_micros));
    }
  }
  more = static_cast<int>(page.size()) > count;
  if (more) page.resize(static_cast<size_t>(count));
  if (total < 0 && sr.total != "none" &&
      ((sr.page.empty() && sr.cursor.empty()) || sr.total == "accurate")) {
    KY_ASSIGN_OR_RETURN(total, txn.Count(plan.query));
  }

  KY_ASSIGN_OR_RETURN(std::vector<store::StoredResource> matches, txn.ReadRows(page));

  // _include and _revinclude, optionally iterated over what they add.
  std::vector<store::StoredResource> included;
  if (listed_includes) {
    // Those of the list that the search did not match are its includes.
    std::vector<store::StoredResource> matched;
    for (auto& m : matches)
      (std::find(searched.begin(), searched.end(), m.type) == searched.end() ? included : matched)
          .push_back(std::move(m));
    matches = std::move(matched);
  } else if (!sr.includes.empty() || !sr.revincludes.empty()) {
    std::unordered_set<int64_t> seen;
    for (const auto& m : matches) seen.insert(m.rid);
    std::vector<store::StoredResource> frontier = matches;
    for (int round = 0; round < kMaxIncludeIterations && !frontier.empty(); ++round) {
      std::vector<int64_t> found;
      for (const auto* list : {&sr.includes, &sr.revincludes}) {
        bool rev = list == &sr.revincludes;
        for (const auto& inc : *list) {
          if (round > 0 && !inc.iterate) continue;
          std::vector<int64_t> from;
          for (const auto& r : frontier) {
            if (rev || inc.source_type == "*" || inc.source_type == r.type) from.push_back(r.rid);
          }
          if (from.empty()) continue;
          KY_ASSIGN_OR_RETURN(store::IncludeSpec spec, IncludeSpecOf(s, inc, rev));
          KY_ASSIGN_OR_RETURN(std::vector<int64_t> rids,
                              rev ? txn.RevIncluded(from, spec) : txn.Included(from, spec));
          for (int64_t rid : rids)
            if (seen.insert(rid).second) found.push_back(rid);
        }
      }
      KY_ASSIGN_OR_RETURN(frontier, txn.ReadRows(found));
      // Included resources are those the requester may read; the rest are not followed.
      KY_ASSIGN_OR_RETURN(frontier, access.Filter(txn, std::move(frontier), auth::kRead));
      included.insert(included.end(), frontier.begin(), frontier.end());
    }
  }

  // The Bundle, built around the stored bytes.
  std::string base_path = req.base_url + (req.path.empty() ? "" : "/" + req.path);
  if (EndsWith(base_path, "/_search")) base_path.resize(base_path.size() - 8);
  json::Value bundle = json::Value::Object();
  bundle.Set("resourceType", json::Value::String("Bundle"));
  bundle.Set("type", json::Value::String("searchset"));
  if (total >= 0 && sr.total != "none") bundle.Set("total", json::Value::Integer(total));
  json::Value links = json::Value::Array();
  auto add_link = [&](const char* rel, const std::string& url) {
    json::Value l = json::Value::Object();
    l.Set("relation", json::Value::String(rel));
    l.Set("url", json::Value::String(url));
    links.Push(std::move(l));
  };
  std::string query =
      SelfQuery(options.link_params ? *options.link_params : params, plan.ignored, true);
  add_link("self", base_path + (query.empty() ? "" : "?" + query));
  if (more && keyset) {
    add_link("next", base_path + "?" + query + (query.empty() ? "" : "&") +
                         "_cursor=" + std::to_string(page.back()));
  } else if (more && !result_id.empty()) {
    std::string next = query + (query.empty() ? "" : "&") + "_page=" + result_id +
                       "&_offset=" + std::to_string(offset + count);
    add_link("next", base_path + "?" + next);
  }
  if (!result_id.empty() && offset > 0) {
    std::string prev = query + (query.empty() ? "" : "&") + "_page=" + result_id +
                       "&_offset=" + std::to_string(std::max<int64_t>(0, offset - count));
    add_link("previous", base_path + "?" + prev);
  }
  bundle.Set("link", std::move(links));
  json::Value entries = json::Value::Array();
  bool subset = !sr.elements.empty() || (!sr.summary.empty() && sr.summary != "false");
  auto add_entry = [&](const store::StoredResource& r, const char* mode) -> Status {
    json::Value e = json::Value::Object();
    e.Set("fullUrl", json::Value::String(req.base_url + "/" + r.type + "/" + r.id));
    if (subset) {
      KY_ASSIGN_OR_RETURN(std::string body, SubsetResource(s, r.body, sr));
      e.Set("resource", json::Value::Raw(std::move(body)));
    } else {
      e.Set("resource", json::Value::Raw(r.body));
    }
    json::Value search = json::Value::Object();
    search.Set("mode", json::Value::String(mode));
    e.Set("search", std::move(search));
    entries.Push(std::move(e));
    return Status::Ok();
  };
  if (sr.summary != "count") {
    for (const auto& m : matches) KY_RETURN_IF_ERROR(add_entry(m, "match"));
    for (const auto& m : included) KY_RETURN_IF_ERROR(add_entry(m, "include"));
  }
  if (aggregate && req.principal && req.principal->role == auth::Role::kRegulator && total > 0 &&
      total < s.config.regulator_min_count) {
    bundle.Erase("total");
    entries.Push(SearchWarningEntry(
        "suppressed", "Fewer than " + std::to_string(s.config.regulator_min_count) +
                          " resources match: a count this small is not given to regulators, "
                          "so that no one is singled out"));
  }
  if (cut_short && sr.summary != "count") {
    std::string note = "More than " + std::to_string(s.config.max_search_results) +
                       " resources match and the search is sorted: its pages reach the first " +
                       std::to_string(s.config.max_search_results) +
                       "; narrow the search, or search without _sort to page through all";
    entries.Push(SearchWarningEntry("too-costly", note));
  }
  if (!plan.ignored.empty()) {
    // Tell the client what was not used, as the spec asks.
    std::string names;
    for (const auto& n : plan.ignored) names += (names.empty() ? "" : ", ") + n;
    entries.Push(SearchWarningEntry("not-supported", "Search parameters ignored: " + names));
  }
  if (!entries.items().empty()) bundle.Set("entry", std::move(entries));
  FhirResponse r;
  r.body = json::Write(bundle);
  std::vector<const store::StoredResource*> shown;
  if (sr.summary != "count") {
    for (const auto& m : matches) shown.push_back(&m);
    for (const auto& m : included) shown.push_back(&m);
  }
  KY_RETURN_IF_ERROR(ListShown(s, txn, shown, &r));
  return r;
}

}  // namespace kangyun::api
