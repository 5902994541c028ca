// `fenlei segment`: cut text into words exactly as jieba 0.42.1 does, one input line per output
// line. Useful to inspect what the classifier sees and to diff against Python jieba.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli_common.h"
#include "command.h"
#include "line_input.h"
#include "fenlei/segmenter.h"
#include "text/utf8.h"

namespace fenlei::cli {
namespace {

constexpr const char* kDescription =
    "Segment Chinese text into words, token for token identical to jieba 0.42.1.\n"
    "Reads FILE (or standard input for '-' or nothing) line by line and prints one line of\n"
    "tokens per input line; empty lines stay empty. Only '\\n' ends a line: a '\\r' before it\n"
    "is kept and cut as a whitespace token, as jieba would.\n\n"
    "Examples:\n"
    "  echo 我来到北京清华大学 | fenlei segment            # 我 / 来到 / 北京 / 清华大学\n"
    "  fenlei segment --mode full --delimiter ' ' news.txt\n"
    "  fenlei segment --mode search --json --user-dict my_words.txt reviews.txt\n"
    "  fenlei segment --no-hmm --replace-invalid-utf8 dirty.txt\n\n"
    "The dictionary comes from $FENLEI_JIEBA_DIR (else python3-jieba's install dir) and is\n"
    "cached in $FENLEI_CACHE_DIR, $XDG_CACHE_HOME/fenlei or ~/.cache/fenlei.";

int run_segment(int argc, char** argv) {
  auto app = make_app("segment", kDescription);
  std::string mode_name = "default";
  bool no_hmm = false;
  std::vector<std::string> user_dicts;
  std::string dict_path;
  std::string delimiter = " / ";
  bool json = false;
  bool replace_invalid = false;
  bool no_cache = false;
  std::string input = "-";
  app->add_option("--mode", mode_name,
                  "default: jieba.cut (accurate); full: cut_all=True (every dictionary word, "
                  "overlapping); search: cut_for_search (words plus their 2/3-character sub-words)")
      ->check(CLI::IsMember({"default", "full", "search"}));
  app->add_flag("--no-hmm", no_hmm,
                "Do not join unknown characters with the HMM (jieba's HMM=False; full mode "
                "ignores it)");
  app->add_option("--user-dict", user_dicts,
                  "User dictionary in jieba's format ('word [freq] [tag]' per line, UTF-8); "
                  "repeatable, applied in order")
      ->check(CLI::ExistingFile);
  app->add_option("--dict", dict_path,
                  "Main dictionary instead of jieba's dict.txt ('word freq [tag]' per line); the "
                  "HMM tables still come from the jieba directory")
      ->check(CLI::ExistingFile);
  app->add_option("--delimiter", delimiter, "String printed between tokens (jieba's CLI: ' / ')");
  app->add_flag("--json", json,
                "Print each line's tokens as one JSON array of strings (UTF-8, not escaped); "
                "the only lossless form when tokens contain the delimiter or whitespace");
  app->add_flag("--replace-invalid-utf8", replace_invalid,
                "Replace invalid UTF-8 with U+FFFD instead of failing with file:line and byte "
                "offset");
  app->add_flag("--no-cache", no_cache, "Neither read nor write the binary dictionary cache");
  app->add_option("input", input, "Text file, or '-' for standard input")->capture_default_str();
  const int parsed = parse(*app, argc, argv);
  if (parsed >= 0) return parsed;

  const seg::CutMode mode = mode_name == "full"     ? seg::CutMode::kFull
                            : mode_name == "search" ? seg::CutMode::kSearch
                                                    : seg::CutMode::kDefault;
  seg::SegmenterOptions options;
  options.dict_path = dict_path;
  options.user_dict_paths = user_dicts;
  options.use_cache = !no_cache;
  auto segmenter = seg::Segmenter::load(options);
  if (!segmenter.ok()) return fail("segment", segmenter.status());
  auto in = LineInput::open(input);
  if (!in.ok()) return fail("segment", in.status());
  const std::string name = (*in)->name();

  std::ios::sync_with_stdio(false);
  std::string line, fixed, out;
  std::vector<std::string_view> tokens;
  while (true) {
    auto got = (*in)->next(&line);
    if (!got.ok()) {
      std::fflush(stdout);
      return fail("segment", got.status());
    }
    if (!*got) break;
    const size_t line_no = (*in)->line_number();
    std::string_view text = line;
    if (!utf8::is_valid(text)) {
      if (!replace_invalid) {
        std::fflush(stdout);
        return fail("segment", utf8::validate(text, name + ":" + std::to_string(line_no)).message() +
"");
      }
      fixed = utf8::replace_invalid(text);
      text = fixed;
    }
    (*segmenter)->cut(text, mode, !no_hmm, &tokens);
    out.clear();
    if (json) {
      nlohmann::json arr = nlohmann::json::array();
      for (auto t : tokens) arr.push_back(std::string(t));
      out = arr.dump(-1, ' ', false);
    } else {
      for (size_t i = 0; i < tokens.size(); ++i) {
        if (i) out += delimiter;
        out += tokens[i];
      }
    }
    out += '\n';
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
      return fail("segment", "cannot write to standard output");
    }
    // Nothing more waiting: answer now (an interactive writer waits for this line).
    if (!(*in)->ready() && std::fflush(stdout) != 0)
      return fail("segment", "cannot write to standard output");
  }
  if (std::fflush(stdout) != 0) return fail("segment", "cannot write to standard output");
  return kExitOk;
}

FENLEI_REGISTER_COMMAND("segment", "Cut Chinese text into words (jieba 0.42.1-identical)", 10,
                        run_segment);

}  // namespace
}  // namespace fenlei::cli
