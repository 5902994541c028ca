#include "data/label_check.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <unordered_map>

#include "fenlei/log.h"

namespace fenlei::data::internal {

std::string label_key(const std::string& label) {
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(err);
  if (U_FAILURE(err) || nfkc_cf == nullptr) return label;  // no ICU data: compare as written
  const icu::UnicodeString folded =
      nfkc_cf->normalize(icu::UnicodeString::fromUTF8(icu::StringPiece(label.data(),
                                                                         static_cast<int32_t>(label.size()))),
                         err);
  if (U_FAILURE(err)) return label;
  std::string out;
  folded.toUTF8String(out);
  return out;
}

std::vector<std::vector<std::string>> confusable_label_groups(const Dataset& dataset) {
  // Distinct labels first (usually few), then one key per distinct label.
  std::vector<std::string> distinct;
  std::unordered_map<std::string, size_t> seen;
  for (const Example& e : dataset.examples) {
    if (seen.emplace(e.label, distinct.size()).second) distinct.push_back(e.label);
  }
  std::unordered_map<std::string, size_t> group_of_key;
  std::vector<std::vector<std::string>> groups;
  for (const std::string& label : distinct) {
    const auto [it, added] = group_of_key.emplace(label_key(label), groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(label);
  }
  std::vector<std::vector<std::string>> out;
  for (auto& g : groups) {
    if (g.size() < 2) continue;
    std::sort(g.begin(), g.end());
    out.push_back(std::move(g));
  }
  return out;
}

void normalize_labels(Dataset* dataset) {
  std::unordered_map<std::string, std::string> cache;
  for (Example& e : dataset->examples) {
    auto it = cache.find(e.label);
    if (it == cache.end()) it = cache.emplace(e.label, label_key(e.label)).first;
    e.label = it->second;
  }
}

void check_labels(const std::string& name, const ReadOptions& options, Dataset* dataset) {
  if (dataset->repeated_header_rows > 0) {
    FENLEI_LOG(kWarning) << name << ":" << dataset->first_repeated_header_line
                         << ": this row repeats the header (" << options.label_column << ", "
                         << options.text_column << ")"
                         << (dataset->repeated_header_rows > 1
                                 ? " as do " + std::to_string(dataset->repeated_header_rows - 1) +
                                       " more rows"
                                 : std::string())
                         << "; it is read as an example labelled '" << options.label_column
                         << "' (were files concatenated?): delete such rows";
  }
  const auto groups = confusable_label_groups(*dataset);
  if (groups.empty()) return;
  if (options.normalize_labels) {
    normalize_labels(dataset);
    for (const auto& g : groups) {
      std::string list;
      for (const auto& l : g) list += (list.empty() ? "'" : ", '") + l + "'";
      FENLEI_LOG(kInfo) << name << ": labels " << list << " merged into '" << label_key(g[0])
                        << "' (--normalize-labels)";
    }
    return;
  }
  constexpr size_t kShown = 5;
  for (size_t i = 0; i < groups.size() && i < kShown; ++i) {
    std::string list;
    for (const auto& l : groups[i]) list += (list.empty() ? "'" : ", '") + l + "'";
    FENLEI_LOG(kWarning) << name << ": labels " << list
                         << " differ only in case or Unicode normalisation and are separate "
                            "classes; pass --normalize-labels to merge them";
  }
  if (groups.size() > kShown) {
    FENLEI_LOG(kWarning) << name << ": " << groups.size() - kShown
                         << " more groups of labels that differ only in case or Unicode "
                            "normalisation";
  }
}

}  // namespace fenlei::data::internal
