// Running a write again when the store aborted it in a deadlock. Internal to api/.
#pragma once

#include "base/status.h"

namespace kangyun::api {

inline const Status& StatusOf(const Status& s) { return s; }
template <class T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

// A write transaction that the store aborted because it met another in a cycle
// (StatusCode::kAborted) changed nothing, so it is run once more, alone: `run(alone)` begins,
// does and commits the whole transaction, with Store::BeginWriteAlone when `alone`. Run
// alongside others again, it could meet the same writer, still at work, in the same cycle
// (which is what happened under load with random pauses between attempts); alone, it waits
// for the writers in progress and meets none.
template <class Run>
auto RetryAborted(Run&& run) -> decltype(run(false)) {
  auto result = run(false);
  if (result.ok() || StatusOf(result).code() != StatusCode::kAborted) return result;
  return run(true);
}

}  // namespace kangyun::api
