#include "seg/hmm_tables.h"

#include <cctype>
#include <cstdlib>
#include <map>

namespace fenlei::seg {
namespace {

int state_index(std::u32string_view key) {
  if (key.size() != 1) return -1;
  switch (key[0]) {
    case 'B': return kB;
    case 'M': return kM;
    case 'E': return kE;
    case 'S': return kS;
    default: return -1;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A parsed `'key': value` pair: either a number or the opening of an inner dict.
struct Pair {
  std::u32string key;
  bool opens_dict = false;
  double value = 0;
};

// Scans a Python dict literal of the shapes used by jieba's prob_*.py files: the regex
// '((?:\\u[0-9a-fA-F]{4}|[^'\\])*)'\s*:\s*(\{|[-+0-9.eE]+) applied left to right.
// Outer dict nesting is tracked by the '{' values.
Status scan_pairs(std::string_view text, const std::string& name, std::vector<Pair>* out) {
  size_t i = 0;
  size_t line = 1;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (c != '\'') {
      ++i;
      continue;
    }
    // A quoted key.
    size_t j = i + 1;
    std::u32string key;
    bool ok = true;
    while (j < text.size() && text[j] != '\'') {
      if (text[j] == '\\') {
        if (j + 5 < text.size() + 0 && text[j + 1] == 'u') {
          int v = 0;
          for (int k = 2; k < 6; ++k) {
            const int h = hex_value(text[j + k]);
            if (h < 0) ok = false;
            v = v * 16 + (h < 0 ? 0 : h);
          }
          key.push_back(static_cast<char32_t>(v));
          j += 6;
          continue;
        }
        ok = false;
        break;
      }
      if (text[j] == '\n') {
        ok = false;
        break;
      }
      key.push_back(static_cast<unsigned char>(text[j]));  // ASCII keys only ('B', 'E', ...)
      ++j;
    }
    if (!ok || j >= text.size()) {
      return invalid_argument_error(name + ":" + std::to_string(line) +
                                    ": malformed quoted key (expected 'X' or '\\uXXXX')");
    }
    size_t k = j + 1;
    while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
    if (k >= text.size() || text[k] != ':') {
      // A quoted string that is not a key (e.g. in `from __future__` there is none); skip it.
      i = j + 1;
      continue;
    }
    ++k;
    while (k < text.size() && (text[k] == ' ' || text[k] == '\t' || text[k] == '\n')) {
      if (text[k] == '\n') ++line;
      ++k;
    }
    Pair pair;
    pair.key = std::move(key);
    if (k < text.size() && text[k] == '{') {
      pair.opens_dict = true;
      i = k + 1;
    } else {
      size_t e = k;
      while (e < text.size() && (std::isdigit(static_cast<unsigned char>(text[e])) ||
                                 text[e] == '-' || text[e] == '+' || text[e] == '.' ||
                                 text[e] == 'e' || text[e] == 'E')) {
        ++e;
      }
      const std::string number(text.substr(k, e - k));
      char* end = nullptr;
      pair.value = number.empty() ? 0.0 : std::strtod(number.c_str(), &end);
      if (number.empty() || end != number.c_str() + number.size()) {
        return invalid_argument_error(name + ":" + std::to_string(line) + ": expected a number, found '" +
                                      std::string(text.substr(k, std::min<size_t>(e - k + 8, 24))) +
                                      "'");
      }
      i = e;
    }
    out->push_back(std::move(pair));
  }
  return Status();
}

}  // namespace

StatusOr<HmmTables> parse_hmm_tables(std::string_view start_py, const std::string& start_name,
                                     std::string_view trans_py, const std::string& trans_name,
                                     std::string_view emit_py, const std::string& emit_name) {
  HmmTables t;
  // start: flat {'B': x, ...}
  {
    std::vector<Pair> pairs;
    FENLEI_RETURN_IF_ERROR(scan_pairs(start_py, start_name, &pairs));
    bool seen[kNumStates] = {false, false, false, false};
    for (const auto& p : pairs) {
      const int s = state_index(p.key);
      if (s < 0 || p.opens_dict) {
        return invalid_argument_error(start_name + ": unexpected entry (expected P={'B': x, 'E': x, 'M': x, 'S': x})");
      }
      t.start[s] = p.value;
      seen[s] = true;
    }
    for (int s = 0; s < kNumStates; ++s) {
      if (!seen[s]) return invalid_argument_error(start_name + ": missing start probability for state " + std::string(1, "BMES"[s]));
    }
  }
  // trans and emit: {'B': {...}, ...}
  auto parse_nested = [](std::string_view text, const std::string& name,
                         auto&& store) -> Status {
    std::vector<Pair> pairs;
    FENLEI_RETURN_IF_ERROR(scan_pairs(text, name, &pairs));
    int current = -1;
    bool seen[kNumStates] = {false, false, false, false};
    for (const auto& p : pairs) {
      if (p.opens_dict) {
        current = state_index(p.key);
        if (current < 0) return invalid_argument_error(name + ": unknown HMM state in outer dict");
        seen[current] = true;
        continue;
      }
      if (current < 0) return invalid_argument_error(name + ": value outside a state's table");
      FENLEI_RETURN_IF_ERROR(store(current, p));
    }
    for (int s = 0; s < kNumStates; ++s) {
      if (!seen[s]) return invalid_argument_error(name + ": missing table for state " + std::string(1, "BMES"[s]));
    }
    return Status();
  };
  for (auto& row : t.trans) {
    for (double& v : row) v = kMinFloat;
  }
  FENLEI_RETURN_IF_ERROR(parse_nested(trans_py, trans_name, [&](int from, const Pair& p) -> Status {
    const int to = state_index(p.key);
    if (to < 0) return invalid_argument_error(trans_name + ": unknown target state");
    t.trans[from][to] = p.value;
    return Status();
  }));
  t.emit.assign(static_cast<size_t>(kNumStates) * kCjkSpan, kMinFloat);
  FENLEI_RETURN_IF_ERROR(parse_nested(emit_py, emit_name, [&](int state, const Pair& p) -> Status {
    if (p.key.size() != 1) return invalid_argument_error(emit_name + ": emission key is not one character");
    if (is_cjk(p.key[0])) t.emit[static_cast<size_t>(state) * kCjkSpan + (p.key[0] - kCjkFirst)] = p.value;
    return Status();
  }));
  return t;
}

}  // namespace fenlei::seg
