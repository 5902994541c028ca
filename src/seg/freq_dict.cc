#include "seg/freq_dict.h"

#include <cmath>
#include <limits>

#include "text/utf8.h"
#include "seg/char_class.h"

namespace fenlei::seg {
namespace {

bool is_ascii_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Python's bytes.strip(): ASCII whitespace only.
std::string_view strip_ascii(std::string_view s) {
  while (!s.empty() && is_ascii_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_ws(s.back())) s.remove_suffix(1);
  return s;
}

bool parse_int64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (v > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

std::string where(const std::string& name, size_t line_no) {
  return name + ":" + std::to_string(line_no) + ": ";
}

// Calls fn(line, line_no) for each '\n'-terminated line (the last one may lack the '\n').
template <typename Fn>
Status for_each_line(std::string_view content, Fn fn) {
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t nl = content.find('\n', pos);
    if (nl == std::string_view::npos) nl = content.size();
    ++line_no;
    FENLEI_RETURN_IF_ERROR(fn(content.substr(pos, nl - pos), line_no));
    pos = nl + 1;
  }
  return Status();
}

bool add_would_overflow(int64_t a, int64_t b) {
  return b > 0 && a > std::numeric_limits<int64_t>::max() - b;
}

}  // namespace

void FreqDict::add_word(const std::u32string& word, int64_t frequency, bool mark_force_split) {
  freq[word] = frequency;
  total += frequency;
  for (size_t len = 1; len < word.size(); ++len) {
    freq.try_emplace(word.substr(0, len), 0);
  }
  if (frequency == 0 && mark_force_split) force_split.insert(word);
}

int64_t FreqDict::get(std::u32string_view word) const {
  auto it = freq.find(std::u32string(word));
  return it == freq.end() ? -1 : it->second;
}

Status load_main_dict(std::string_view content, const std::string& name, FreqDict* dict) {
  dict->freq.reserve(dict->freq.size() + content.size() / 16);
  return for_each_line(content, [&](std::string_view raw, size_t line_no) -> Status {
    std::string_view line = strip_ascii(raw);
    // jieba rejects empty lines; skipping them is friendlier and changes nothing else.
    if (line.empty()) return Status();
    if (!utf8::is_valid(line)) {
      return invalid_argument_error(where(name, line_no) + "invalid UTF-8 (the dictionary must be UTF-8)");
    }
    const size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) {
      return invalid_argument_error(where(name, line_no) +
                                    "expected 'word freq [tag]', found no frequency");
    }
    std::string_view word = line.substr(0, sp1);
    std::string_view rest = line.substr(sp1 + 1);
    std::string_view freq_text = rest.substr(0, rest.find(' '));
    if (!freq_text.empty() && freq_text.front() == '+') freq_text.remove_prefix(1);
    int64_t f = 0;
    if (word.empty() || !parse_int64(freq_text, &f)) {
      return invalid_argument_error(where(name, line_no) + "expected 'word freq [tag]' with a " +
                                    "non-negative integer frequency, found '" + std::string(line) +
                                    "'");
    }
    if (add_would_overflow(dict->total, f)) {
      return invalid_argument_error(where(name, line_no) + "total frequency overflows 63 bits");
    }
    dict->add_word(utf8::to_u32(word), f, /*mark_force_split=*/false);
    return Status();
  });
}

StatusOr<UserDictEntry> parse_user_dict_line(std::string_view line) {
  // Does `rest` match `( [0-9]+)?( [a-z]+)?$`? Fills freq/tag text when it does.
  auto match_rest = [](std::string_view rest, std::string_view* freq_text,
                       std::string_view* tag_text) {
    *freq_text = {};
    *tag_text = {};
    size_t i = 0;
    if (i < rest.size() && rest[i] == ' ' && i + 1 < rest.size() && rest[i + 1] >= '0' &&
        rest[i + 1] <= '9') {
      size_t j = i + 1;
      while (j < rest.size() && rest[j] >= '0' && rest[j] <= '9') ++j;
      *freq_text = rest.substr(i + 1, j - i - 1);
      i = j;
    }
    if (i < rest.size() && rest[i] == ' ' && i + 1 < rest.size() && rest[i + 1] >= 'a' &&
        rest[i + 1] <= 'z') {
      size_t j = i + 1;
      while (j < rest.size() && rest[j] >= 'a' && rest[j] <= 'z') ++j;
      *tag_text = rest.substr(i + 1, j - i - 1);
      i = j;
    }
    return i == rest.size();
  };
  // `.+?`: the shortest word of at least one character whose remainder matches.
  size_t p = 0;
  char32_t cp;
  const size_t first = utf8::decode_one(line, 0, &cp);
  p = first == 0 ? 1 : first;
  std::string_view freq_text, tag_text;
  while (p < line.size()) {
    if (line[p] == ' ' && match_rest(line.substr(p), &freq_text, &tag_text)) break;
    const size_t n = utf8::decode_one(line, p, &cp);
    p += n == 0 ? 1 : n;
  }
  if (p >= line.size()) {
    p = line.size();
    freq_text = tag_text = {};
  }
  UserDictEntry entry;
  entry.word = std::string(line.substr(0, p));
  entry.tag = std::string(tag_text);
  if (!freq_text.empty()) {
    entry.has_freq = true;
    if (!parse_int64(freq_text, &entry.freq)) {
      return invalid_argument_error("frequency '" + std::string(freq_text) +
                                    "' does not fit in 63 bits");
    }
  }
  return entry;
}

Status load_user_dict(std::string_view content, const std::string& name, FreqDict* dict) {
  return for_each_line(content, [&](std::string_view raw, size_t line_no) -> Status {
    std::string_view line = strip_ascii(raw);
    if (!utf8::is_valid(line)) {
      return invalid_argument_error(where(name, line_no) +
                                    "invalid UTF-8 (user dictionaries must be UTF-8)");
    }
    while (line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    if (line.empty()) return Status();
    auto entry = parse_user_dict_line(line);
    if (!entry.ok()) return entry.status().with_context(name + ":" + std::to_string(line_no));
    const std::u32string word = utf8::to_u32(entry->word);
    const int64_t f = entry->has_freq ? entry->freq : suggest_freq(*dict, word);
    if (add_would_overflow(dict->total, f)) {
      return invalid_argument_error(where(name, line_no) + "total frequency overflows 63 bits");
    }
    dict->add_word(word, f);
    return Status();
  });
}

int64_t suggest_freq(const FreqDict& dict, const std::u32string& word) {
  const double ftotal = static_cast<double>(dict.total);
  double f = 1.0;
  for (const auto& piece : reference_cut_no_hmm(dict, word)) {
    const int64_t pf = dict.get(piece);
    f *= static_cast<double>(pf < 0 ? 1 : pf) / ftotal;
  }
  // Python: max(int(freq * total) + 1, FREQ.get(word, 1)); int() truncates toward zero.
  const double scaled = f * static_cast<double>(dict.total);
  const int64_t suggested =
      scaled >= 9.2e18 ? std::numeric_limits<int64_t>::max() - 1 : static_cast<int64_t>(scaled);
  const int64_t existing = dict.get(word);
  return std::max<int64_t>(suggested + 1, existing < 0 ? 1 : existing);
}

std::vector<std::u32string> reference_cut_no_hmm(const FreqDict& dict, std::u32string_view text) {
  std::vector<std::u32string> out;
  const double log_total = std::log(static_cast<double>(dict.total));
  size_t pos = 0;
  while (pos < text.size()) {
    const bool han = is_han_class(text[pos]);
    size_t end = pos;
    while (end < text.size() && is_han_class(text[end]) == han) ++end;
    std::u32string_view s = text.substr(pos, end - pos);
    if (!han) {
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
          out.emplace_back(U"\r\n");
          ++i;
        } else {
          out.emplace_back(1, s[i]);
        }
      }
    } else {
      const size_t n = s.size();
      std::vector<double> score(n + 1, 0.0);
      std::vector<size_t> best_end(n + 1, 0);
      for (size_t k = n; k-- > 0;) {
        std::vector<size_t> ends;
        for (size_t i = k; i < n; ++i) {
          const int64_t f = dict.get(s.substr(k, i - k + 1));
          if (f < 0) break;
          if (f > 0) ends.push_back(i);
        }
        if (ends.empty()) ends.push_back(k);
        bool first = true;
        for (size_t x : ends) {
          const int64_t f = dict.get(s.substr(k, x - k + 1));
          const double sc =
              (std::log(static_cast<double>(f > 0 ? f : 1)) - log_total) + score[x + 1];
          if (first || sc >= score[k]) {
            score[k] = sc;
            best_end[k] = x;
            first = false;
          }
        }
      }
      std::u32string buf;
      for (size_t x = 0; x < n;) {
        const size_t y = best_end[x] + 1;
        if (y - x == 1 && is_ascii_alnum(s[x])) {
          buf += s[x];
        } else {
          if (!buf.empty()) out.push_back(std::move(buf));
          buf.clear();
          out.emplace_back(s.substr(x, y - x));
        }
        x = y;
      }
      if (!buf.empty()) out.push_back(std::move(buf));
    }
    pos = end;
  }
  return out;
}

}  // namespace fenlei::seg
