// Checks of the labels a dataset read produced, for mistakes that would otherwise pass silently:
// a header row repeated in the middle of the file (it becomes a label of its own), and labels that
// differ only in case or Unicode normalisation ("pos", "Pos", "ｐｏｓ", "é" composed or not), which
// would be trained as separate classes. Internal to the data module.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"

namespace fenlei::data::internal {

// The label in Unicode NFKC with case folding: the form two labels that mean the same share.
std::string label_key(const std::string& label);

// Sets of distinct labels with the same label_key, each sorted, in order of first occurrence.
std::vector<std::vector<std::string>> confusable_label_groups(const Dataset& dataset);

// Replaces every label by its label_key (so train, validation and test files agree).
void normalize_labels(Dataset* dataset);

// Logs a warning per problem (repeated header rows, confusable labels, with their lines and what
// to do); with normalize, merges confusable labels instead. `name` is the file.
void check_labels(const std::string& name, const ReadOptions& options, Dataset* dataset);

}  // namespace fenlei::data::internal
