// Wall-clock helpers for metadata (lineage dates). Not for measuring durations: use
// std::chrono::steady_clock for that.
#pragma once

#include <string>

namespace fenlei {

// The current UTC time as ISO 8601, e.g. "2026-11-28T19:05:00Z".
std::string utc_now_iso8601();

}  // namespace fenlei
