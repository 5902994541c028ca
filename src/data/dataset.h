// Labelled text datasets: readers for TSV, CSV (RFC 4180), JSON Lines and fastText files, plus the
// helpers training needs around them: label ids, a Keras-style validation split, deterministic
// shuffling and length statistics.
//
//   fenlei::data::ReadOptions options;            // format from the extension, columns text/label
//   auto ds = fenlei::data::read_dataset("train.tsv", options);
//   if (!ds.ok()) return ds.status();              // "train.tsv:12: expected 2 fields, found 3 ..."
//   FENLEI_RETURN_IF_ERROR(fenlei::data::check_trainable(*ds));
//   std::vector<std::string> labels = fenlei::data::sorted_labels(*ds);
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fenlei/status.h"

namespace fenlei::data {

struct Example {
  std::string text;   // valid UTF-8; may be empty (a legitimate input: it predicts from <unk>)
  std::string label;  // valid UTF-8, never empty, surrounding ASCII whitespace removed
  // The row's other labels when it has several (fastText rows with several __label__s, JSONL
  // label arrays): distinct, none equal to `label`, in file order. Multi-label training uses
  // all of them; single-label training uses `label` only.
  std::vector<std::string> more_labels = {};
};

// How many bad-row messages a Dataset keeps for display.
inline constexpr size_t kMaxBadRowMessages = 10;

struct Dataset {
  std::vector<Example> examples;
  size_t bad_rows = 0;                        // rows skipped (only with skip_bad_rows)
  std::vector<std::string> bad_row_messages;  // the first kMaxBadRowMessages, "file:line: what"
  size_t rows_with_extra_labels = 0;          // rows with several labels (see more_labels)
  // Data rows equal to the header (label column name, text column name), e.g. from concatenated
  // files: read as examples, and warned about. first_repeated_header_line is 1-based.
  size_t repeated_header_rows = 0;
  size_t first_repeated_header_line = 0;
};

enum class DataFormat { kAuto, kTsv, kCsv, kJsonl, kFastText };

struct ReadOptions {
  DataFormat format = DataFormat::kAuto;  // kAuto: from the file extension
  // Header column (TSV/CSV) or object key (JSONL) holding the text and the label.
  std::string text_column = "text";
  std::string label_column = "label";
  // false: the first bad row fails the read (INVALID_ARGUMENT naming file:line and how many bad
  // rows the file has). true: bad rows are skipped and counted in Dataset::bad_rows.
  bool skip_bad_rows = false;
  // Replace invalid UTF-8 with U+FFFD instead of treating the row as bad.
  bool replace_invalid_utf8 = false;
  // Store every label in Unicode NFKC case-folded form, so that labels differing only in case or
  // normalisation ("Pos", "pos", "ｐｏｓ") are one class. Without it such labels are kept apart
  // and a warning names them.
  bool normalize_labels = false;
};

// Format rules. Every format: an optional UTF-8 BOM, LF or CRLF line ends, blank lines ignored,
// strict UTF-8 (unless replace_invalid_utf8). Lines are numbered from 1, as editors do.
// - kTsv: a header row naming the columns, then rows split on every tab (no quoting, so a text
//   cannot contain a tab or a newline). Each row must have as many fields as the header.
// - kCsv: a header row, RFC 4180 fields: "quoted, with ""escaped"" quotes, commas and newlines".
//   An unterminated quote at the end of the file is always an error (it swallowed the rest).
// - kJsonl: one JSON object per line; the text must be a string, the label a string or a number
//   (a number becomes its JSON spelling: 1 -> "1"), or a non-empty array of them (several
//   labels). Extra keys are ignored.
// - kFastText: "__label__pos __label__x the text": every leading __label__ is a label (repeats
//   dropped); rows with more than one are counted in rows_with_extra_labels. A row without a
//   label is bad.
// Bad rows: wrong field count, invalid UTF-8, bad JSON, missing or empty label, text/label of the
// wrong JSON type. Empty text is kept (see Example::text).
// Errors: NOT_FOUND (no file), INVALID_ARGUMENT (empty file, header without the text or label
// column -- the message lists the columns it has --, bad rows, no examples at all).
StatusOr<Dataset> read_dataset(const std::string& path, const ReadOptions& options);

// Same, from memory. `format` must not be kAuto unless name_for_errors has a known extension.
StatusOr<Dataset> parse_dataset(std::string_view content, DataFormat format,
                                const ReadOptions& options, const std::string& name_for_errors);

// Texts and labels already in memory (texts[i] has labels[i]), checked as a file's rows are:
// valid UTF-8 (error naming "`name` example i"), labels trimmed and non-empty, the same label
// warnings (and options.normalize_labels). Errors: INVALID_ARGUMENT (sizes differ, a bad
// example, no examples).
StatusOr<Dataset> dataset_from_texts(std::vector<std::string> texts, std::vector<std::string> labels,
                                     const ReadOptions& options, const std::string& name);

// "auto", "tsv", "csv", "jsonl" (or "json"), "fasttext" (or "ft", "txt"); case-insensitive.
StatusOr<DataFormat> parse_data_format(const std::string& name);
const char* data_format_name(DataFormat format);
// From the extension: .tsv, .csv, .jsonl/.json, .txt/.ft. INVALID_ARGUMENT for anything else.
StatusOr<DataFormat> format_from_path(const std::string& path);

// INVALID_ARGUMENT unless the dataset has examples of at least two labels (the message names the
// single label and suggests checking label_column).
Status check_trainable(const Dataset& dataset);

// True if some example has more than one label.
bool is_multi_label(const Dataset& dataset);

// The distinct labels (of every example's label and more_labels) in byte order. Sorted (not first-seen) order makes label ids independent of
// row order, so shuffling or re-exporting a file never renumbers classes.
std::vector<std::string> sorted_labels(const Dataset& dataset);

// Each example's index in `labels` (as from sorted_labels of the training set). INVALID_ARGUMENT
// naming the label and example if one is not in `labels` (e.g. a dev file with an unseen class).
StatusOr<std::vector<int>> label_ids(const Dataset& dataset, const std::vector<std::string>& labels,
                                     const std::string& name_for_errors);

// Each example's label set as indices in `labels`: set i is sets[offsets[i], offsets[i+1]), the
// first entry the example's `label`. INVALID_ARGUMENT as label_ids for an unknown label.
struct LabelSets {
  std::vector<int32_t> sets;
  std::vector<int32_t> offsets{0};
};
StatusOr<LabelSets> label_sets(const Dataset& dataset, const std::vector<std::string>& labels,
                               const std::string& name_for_errors);

struct TrainValidationSplit {
  Dataset train;
  Dataset validation;
};

// Keras validation_split: the LAST fraction of the examples, before any shuffling, is held out
// (split at floor(n * (1 - fraction)), exactly as Keras computes it). fraction must be in [0, 1);
// INVALID_ARGUMENT otherwise or if nothing would be left to train on. Bad-row counts stay with
// train.
StatusOr<TrainValidationSplit> split_validation(Dataset all, double validation_fraction);

// Uniform integer in [0, bound) (bound > 0) by rejection sampling on raw mt19937_64 output. Our
// own because std::uniform_int_distribution is implementation-defined, and shuffles must be
// identical across standard libraries for --seed to reproduce a model.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound);

// Fisher-Yates (Durstenfeld): for i = n-1 .. 1, swap v[i] with v[uniform_below(rng, i + 1)].
template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(uniform_below(rng, i));
    if (j != i - 1) std::swap(v[i - 1], v[j]);
  }
}

// A permutation of 0..n-1 from std::mt19937_64(seed).
std::vector<size_t> shuffled_indices(size_t n, uint64_t seed);

// Length summary used to choose a default max_len. Percentiles use the nearest-rank method: the
// smallest length such that at least q% of the texts are no longer.
struct LengthStats {
  size_t count = 0;
  size_t min = 0, max = 0;
  double mean = 0.0;
  size_t p50 = 0, p90 = 0, p95 = 0, p99 = 0;
};
LengthStats length_stats(std::vector<size_t> lengths);
// Nearest-rank percentile (q in [0, 100]) of a sorted vector; 0 for an empty one.
size_t percentile_sorted(const std::vector<size_t>& sorted, double q);

}  // namespace fenlei::data
