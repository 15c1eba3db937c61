#include "store/index_table_rows.h"

namespace kangyun::store {

const std::vector<const char*>& IndexRowTables() {
  static const std::vector<const char*> kTables = {
      "idx_string",    "idx_token", "idx_number",    "idx_date", "idx_quantity",
      "idx_reference", "idx_uri",   "idx_composite", "idx_text", "compartment"};
  return kTables;
}

Result<std::vector<TableRows>> ToTableRows(
    int64_t rid, const IndexRows& x,
    const std::function<Result<int64_t>(const std::string&)>& key) {
  // Rows of one parameter come together; the key is looked up once for each run of them.
  std::string last_param;
  int64_t pid = 0;
  std::vector<TableRows> out;
  out.reserve(IndexRowTables().size());
  auto add = [&](const char* table, int columns, const auto& rows, auto values) -> Status {
    TableRows t{table, columns, {}};
    t.rows.reserve(rows.size());
    for (const auto& r : rows) {
      if (r.param != last_param || last_param.empty()) {
        KY_ASSIGN_OR_RETURN(pid, key(r.param));
        last_param = r.param;
      }
      t.rows.push_back(values(r, pid));
    }
    out.push_back(std::move(t));
    return Status::Ok();
  };
  using Values = std::vector<SqlValue>;
  KY_RETURN_IF_ERROR(add("idx_string", 4, x.strings, [&](const StringRow& r, int64_t k) {
    return Values{rid, k, r.norm, r.exact};
  }));
  KY_RETURN_IF_ERROR(add("idx_token", 5, x.tokens, [&](const TokenRow& r, int64_t k) {
    return Values{rid, k, r.system, r.code, r.text};
  }));
  KY_RETURN_IF_ERROR(add("idx_number", 3, x.numbers, [&](const NumberRow& r, int64_t k) {
    return Values{rid, k, r.value};
  }));
  KY_RETURN_IF_ERROR(add("idx_date", 4, x.dates, [&](const DateRow& r, int64_t k) {
    return Values{rid, k, r.low, r.high};
  }));
  KY_RETURN_IF_ERROR(add("idx_quantity", 7, x.quantities, [&](const QuantityRow& r, int64_t k) {
    return Values{rid, k, r.system, r.code, r.value, r.canonical_code, r.canonical_value};
  }));
  KY_RETURN_IF_ERROR(add("idx_reference", 5, x.references, [&](const ReferenceRow& r, int64_t k) {
    return Values{rid, k, r.target_type, r.target_id, r.url};
  }));
  KY_RETURN_IF_ERROR(add("idx_uri", 3, x.uris, [&](const UriRow& r, int64_t k) {
    return Values{rid, k, r.uri};
  }));
  KY_RETURN_IF_ERROR(add("idx_composite", 9, x.composites, [&](const CompositeRow& r, int64_t k) {
    return Values{rid,       k,        r.c1_system, r.c1_code, r.c2_system,
                  r.c2_code, r.c2_low, r.c2_high,   r.c2_text};
  }));
  KY_RETURN_IF_ERROR(add("idx_text", 3, x.texts, [&](const TextRow& r, int64_t k) {
    return Values{rid, k, r.norm};
  }));
  TableRows compartment{"compartment", 2, {}};
  for (const std::string& p : x.patient_compartments) compartment.rows.push_back(Values{rid, p});
  out.push_back(std::move(compartment));
  return out;
}

}  // namespace kangyun::store
