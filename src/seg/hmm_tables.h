// jieba's HMM (finalseg) probability tables, parsed from the Python dict literals in
// finalseg/prob_{start,trans,emit}.py into dense arrays (JIEBA_SPEC.md 0.2).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fenlei/status.h"
#include "seg/char_class.h"

namespace fenlei::seg {

// jieba's MIN_FLOAT: the log-probability of anything missing from a table.
constexpr double kMinFloat = -3.14e100;

// States in jieba's order 'BMES'.
enum HmmState : int { kB = 0, kM = 1, kE = 2, kS = 3 };
constexpr int kNumStates = 4;

struct HmmTables {
  double start[kNumStates];
  double trans[kNumStates][kNumStates];  // trans[from][to]
  // emit[state][c - kCjkFirst] for c in U+4E00..U+9FD5; kMinFloat where absent. Keys outside
  // that range (prob_emit.py has one, U+2236) can never reach the HMM and are dropped.
  std::vector<double> emit;  // kNumStates * kCjkSpan
};

// Parses the three files' contents; `*_name` are used in error messages.
StatusOr<HmmTables> parse_hmm_tables(std::string_view start_py, const std::string& start_name,
                                     std::string_view trans_py, const std::string& trans_name,
                                     std::string_view emit_py, const std::string& emit_name);

}  // namespace fenlei::seg
