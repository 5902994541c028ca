#include "train/encoded_data.h"

#include <algorithm>
#include <cmath>

#include "data/dataset.h"
#include "base/file_util.h"
#include "fenlei/log.h"
#include "text/script.h"
#include "train/distill.h"

namespace fenlei::train {
namespace {

// Work is split into this many chunks per thread so that uneven texts balance out.
constexpr int kChunksPerThread = 8;

template <typename Fn>
void parallel_chunks(ThreadPool& pool, size_t n, Fn&& fn) {
  const int chunks = static_cast<int>(std::min<size_t>(n, size_t(pool.size()) * kChunksPerThread));
  if (chunks == 0) return;
  pool.run(chunks, [&](int c) {
    const size_t begin = n * static_cast<size_t>(c) / static_cast<size_t>(chunks);
    const size_t end = n * static_cast<size_t>(c + 1) / static_cast<size_t>(chunks);
    fn(begin, end);
  });
}

StatusOr<data::Dataset> read_one(const std::string& path, const data::ReadOptions& read) {
  FENLEI_ASSIGN_OR_RETURN(data::Dataset ds, data::read_dataset(path, read));
  if (ds.bad_rows > 0) {
    FENLEI_LOG(kWarning) << path << ": skipped " << ds.bad_rows << " malformed rows";
    for (const auto& m : ds.bad_row_messages) FENLEI_LOG(kWarning) << "  " << m;
  }
  return ds;
}

}  // namespace

StatusOr<bool> multi_label_training(const TrainOptions& options, const data::Dataset& train,
                                    bool may_become_multi_label) {
  const nn::Output output = options.model.output;
  if (output == nn::Output::kOva) return true;
  if (!data::is_multi_label(train)) return false;
  if (output == nn::Output::kAuto || !options.output_chosen) {
    if (!may_become_multi_label)
      return invalid_argument_error(options.input + ": rows have several labels, but the model "
                                    "is single-label; train it on one label per row");
    FENLEI_LOG(kInfo) << options.input << ": " << train.rows_with_extra_labels
                      << " rows have several labels: training a multi-label model (one "
                         "sigmoid per label, --loss ova; --loss softmax keeps the first label)";
    return true;
  }
  FENLEI_LOG(kWarning) << options.input << ": " << train.rows_with_extra_labels
                       << " rows have several labels; --loss " << nn::output_name(output)
                       << " uses the first of each (--loss ova trains on all of them)";
  return false;
}

namespace {
std::vector<std::string> texts_of(const data::Dataset& ds) {
  std::vector<std::string> texts;
  texts.reserve(ds.examples.size());
  for (const auto& e : ds.examples) texts.push_back(e.text);
  return texts;
}

}  // namespace

namespace {
void add_example(const EncodedSet& set, size_t i, nn::Batch* batch) {
  const int32_t* tokens = set.ids.data() + set.offsets[i];
  const size_t n = static_cast<size_t>(set.offsets[i + 1] - set.offsets[i]);
  const float w = set.weights.empty() ? 1.0f : set.weights[i];
  if (set.multi_label()) {
    const auto& s = set.label_sets;
    batch->add_with_label_set(tokens, n, s.sets.data() + s.offsets[i],
                              static_cast<size_t>(s.offsets[i + 1] - s.offsets[i]), w);
  } else {
    batch->add(tokens, n, set.labels[i], w);
  }
  if (!set.soft_weights.empty()) {
    const size_t classes = set.soft_targets.size() / set.soft_weights.size();
    batch->add_soft_target(set.soft_targets.data() + i * classes, classes, set.soft_weights[i]);
    batch->soft_temperature = set.soft_temperature;
  }
}
}  // namespace

core::TokenizerKind tokenizer_for_script(const text::ScriptCounts& scripts) {
  return scripts.unspaced_share() >= 0.5 ? core::TokenizerKind::kChar : core::TokenizerKind::kWord;
}

void EncodedSet::fill_batch(const std::vector<uint32_t>& indices, nn::Batch* batch) const {
  batch->clear();
  for (uint32_t i : indices) add_example(*this, i, batch);
}

void EncodedSet::fill_range(size_t begin, size_t end, nn::Batch* batch) const {
  for (size_t i = begin; i < end; ++i) add_example(*this, i, batch);
}

void PackedTokens::assign(const std::vector<std::string>& tokens) {
  size_t total = 0;
  for (const std::string& t : tokens) total += t.size();
  bytes.clear();
  bytes.reserve(total);
  ends.clear();
  ends.reserve(tokens.size());
  for (const std::string& t : tokens) {
    bytes += t;
    ends.push_back(static_cast<uint32_t>(bytes.size()));
  }
}

EncodedSet encode_tokens(const std::vector<PackedTokens>& tokens,
                         const std::vector<int>& labels, const vocab::Vocabulary& vocabulary,
                         int max_len, ThreadPool& pool) {
  const size_t limit = max_len > 0 ? static_cast<size_t>(max_len) : SIZE_MAX;
  EncodedSet set;
  set.labels = labels;
  set.weights.assign(labels.size(), 1.0f);
  set.offsets.reserve(tokens.size() + 1);
  set.lengths.reserve(tokens.size());
  for (const auto& t : tokens) {
    const size_t n = std::min(t.size(), limit);
    set.offsets.push_back(set.offsets.back() + static_cast<int64_t>(n));
    set.lengths.push_back(static_cast<uint32_t>(n));
  }
  set.ids.resize(static_cast<size_t>(set.offsets.back()));
  parallel_chunks(pool, tokens.size(), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      int32_t* out = set.ids.data() + set.offsets[i];
      for (uint32_t k = 0; k < set.lengths[i]; ++k) out[k] = vocabulary.id(tokens[i][k]);
    }
  });
  return set;
}

EncodedSet encode_examples(const std::vector<std::string>& texts, const std::vector<int>& labels,
                           const core::Preprocessor& preprocessor,
                           const vocab::Vocabulary& vocabulary, ThreadPool& pool) {
  std::vector<std::vector<int32_t>> per_text(texts.size());
  parallel_chunks(pool, texts.size(), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) preprocessor.encode(texts[i], vocabulary, &per_text[i]);
  });
  EncodedSet set;
  set.labels = labels;
  set.weights.assign(labels.size(), 1.0f);
  size_t total = 0;
  for (const auto& v : per_text) total += v.size();
  set.ids.reserve(total);
  set.offsets.reserve(texts.size() + 1);
  set.lengths.reserve(texts.size());
  for (auto& v : per_text) {
    set.ids.insert(set.ids.end(), v.begin(), v.end());
    set.offsets.push_back(static_cast<int64_t>(set.ids.size()));
    set.lengths.push_back(static_cast<uint32_t>(v.size()));
    std::vector<int32_t>().swap(v);
  }
  return set;
}

StatusOr<TrainingTexts> read_training_texts(const TrainOptions& options) {
  TrainingTexts texts;
  if (options.train_data) {
    texts.train = *options.train_data;
  } else {
    FENLEI_ASSIGN_OR_RETURN(texts.train, read_one(options.input, options.read));
  }
  if (options.valid_data) {
    texts.valid = *options.valid_data;
    texts.valid_name = options.valid;
  } else if (!options.valid.empty()) {
    FENLEI_ASSIGN_OR_RETURN(texts.valid, read_one(options.valid, options.read));
    texts.valid_name = options.valid;
  } else {
    FENLEI_ASSIGN_OR_RETURN(auto split, data::split_validation(std::move(texts.train),
                                                                options.validation_split));
    texts.train = std::move(split.train);
    texts.valid = std::move(split.validation);
    texts.valid_name = options.input + " (validation split)";
  }
  FENLEI_RETURN_IF_ERROR(data::check_trainable(texts.train));
  if (texts.valid.examples.empty()) {
    return invalid_argument_error("the validation set is empty: pass --valid FILE or a larger "
                                  "--validation-split");
  }
  return texts;
}

std::vector<PackedTokens> tokenize_texts(const core::Preprocessor& preprocessor,
                                         const data::Dataset& ds, ThreadPool& pool) {
  std::vector<PackedTokens> tokens(ds.examples.size());
  parallel_chunks(pool, tokens.size(), [&](size_t begin, size_t end) {
    std::vector<std::string> text_tokens;
    for (size_t i = begin; i < end; ++i) {
      preprocessor.tokenize(ds.examples[i].text, &text_tokens);
      tokens[i].assign(text_tokens);
    }
  });
  return tokens;
}

vocab::TokenCounts count_packed_tokens(const std::vector<PackedTokens>& tokens, ThreadPool& pool) {
  return vocab::count_tokens(
      tokens.size(),
      [&tokens](size_t i, std::vector<std::string>* text_tokens) {
        text_tokens->clear();
        for (size_t k = 0; k < tokens[i].size(); ++k) text_tokens->emplace_back(tokens[i][k]);
      },
      pool.size());
}

data::LengthStats token_length_stats(const std::vector<PackedTokens>& tokens) {
  std::vector<size_t> lengths(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) lengths[i] = tokens[i].size();
  return data::length_stats(lengths);
}

StatusOr<PreparedData> encode_training_data(const TrainOptions& options,
                                            const TrainingTexts& texts,
                                            std::vector<PackedTokens> train_tokens,
                                            std::vector<std::string> labels,
                                            std::shared_ptr<const core::VocabTokenizer> tokenizer,
                                            bool multi_label, ThreadPool& pool) {
  PreparedData out;
  core::ModelBundle& bundle = out.bundle;
  bundle.labels = std::move(labels);
  out.multi_label = multi_label;
  const data::Dataset& train_ds = texts.train;
  const data::Dataset& valid_ds = texts.valid;
  FENLEI_ASSIGN_OR_RETURN(auto train_labels,
                          data::label_ids(train_ds, bundle.labels, options.input));
  FENLEI_ASSIGN_OR_RETURN(auto valid_labels,
                          data::label_ids(valid_ds, bundle.labels, texts.valid_name));
  const data::LengthStats stats = token_length_stats(train_tokens);
  out.tokenizer = std::move(tokenizer);
  bundle.tokenizer = out.tokenizer;
  const core::Preprocessor& pre = out.tokenizer->preprocessor();
  const vocab::Vocabulary& vocab = out.tokenizer->vocabulary();
  // The training texts were segmented once, by the caller: their ids come from those tokens
  // (the first max_len of each, exactly what the preprocessor's encode() gives).
  out.train = encode_tokens(train_tokens, train_labels, vocab, pre.config().max_len, pool);
  std::vector<PackedTokens>().swap(train_tokens);
  out.valid = encode_examples(texts_of(valid_ds), valid_labels, pre, vocab, pool);
  if (out.multi_label) {
    FENLEI_ASSIGN_OR_RETURN(out.train.label_sets,
                            data::label_sets(train_ds, bundle.labels, options.input));
    FENLEI_ASSIGN_OR_RETURN(out.valid.label_sets,
                            data::label_sets(valid_ds, bundle.labels, texts.valid_name));
  }

  // Class weights apply to training examples only; validation loss stays unweighted.
  std::vector<int64_t> label_counts(bundle.labels.size(), 0);
  if (out.multi_label) {
    for (int32_t y : out.train.label_sets.sets) ++label_counts[static_cast<size_t>(y)];
    if (!options.class_weight.empty())
      return invalid_argument_error("--class-weight weighs each example by its one label; a "
                                    "multi-label model has several per example (drop the flag)");
  } else {
    // Distillation's unlabelled texts (the last ones) carry a placeholder label: not counted.
    for (size_t i = 0; i < train_labels.size() - texts.unlabeled; ++i)
      ++label_counts[static_cast<size_t>(train_labels[i])];
  }
  FENLEI_ASSIGN_OR_RETURN(auto class_weights,
                          parse_class_weights(options.class_weight, bundle.labels, label_counts));
  for (size_t i = 0; i < out.train.size(); ++i) {
    out.train.weights[i] = class_weights[static_cast<size_t>(out.train.labels[i])];
  }

  FENLEI_LOG(kInfo) << "data: " << train_ds.examples.size() << " training and "
                    << valid_ds.examples.size() << " validation examples, "
                    << bundle.labels.size() << " labels, vocabulary " << vocab.size();
  nlohmann::json label_summary = nlohmann::json::object();
  for (size_t i = 0; i < bundle.labels.size(); ++i) label_summary[bundle.labels[i]] = label_counts[i];
  bundle.training = {
      {"data",
       {{"train_file", options.input},
        {"valid_file", options.valid},
        {"validation_split", options.valid.empty() ? options.validation_split : 0.0},
        {"train_examples", out.train.size()},
        {"valid_examples", out.valid.size()},
        {"label_counts", label_summary},
        {"token_length", {{"median", stats.p50}, {"p95", stats.p95}, {"max", stats.max}}}}},
      {"options", training_options_json(options)}};
  return out;
}

StatusOr<PreparedData> prepare_data(const TrainOptions& options, ThreadPool& pool) {
  FENLEI_ASSIGN_OR_RETURN(TrainingTexts texts, read_training_texts(options));
  std::vector<std::string> labels = data::sorted_labels(texts.train);
  const Distillation* distill = options.distillation.get();
  if (distill) {
    FENLEI_RETURN_IF_ERROR(check_teachers(*distill, labels));
    // Distillation's unlabelled texts train (and build the vocabulary) after the labelled ones;
    // their label is a placeholder until the teacher's choice replaces it.
    for (const std::string& t : distill->unlabeled_texts)
      texts.train.examples.push_back(data::Example{t, labels.front()});
    texts.unlabeled = distill->unlabeled_texts.size();
  }
  const data::Dataset& train_ds = texts.train;

  // Preprocessing: the user dictionary's text travels inside the model.
  core::PreprocessConfig preprocess = options.preprocess;
  nlohmann::json tokenizer_choice;
  if (options.tokenizer_by_script) {
    const text::ScriptCounts scripts = text::count_scripts(texts_of(train_ds));
    preprocess.tokenizer = tokenizer_for_script(scripts);
    tokenizer_choice = {{"tokenizer", core::tokenizer_kind_name(preprocess.tokenizer)},
                        {"rule", "char when >= half of the letters are of unspaced scripts"},
                        {"unspaced_letter_share", scripts.unspaced_share()}};
    FENLEI_LOG(kInfo) << "tokenizer " << core::tokenizer_kind_name(preprocess.tokenizer) << " ("
                      << static_cast<int>(scripts.unspaced_share() * 100 + 0.5)
                      << "% of the letters are Chinese/Japanese/Thai-like; --tokenizer to change)";
  }
  if (!options.user_dict_path.empty()) {
    FENLEI_ASSIGN_OR_RETURN(preprocess.user_dictionary, read_file(options.user_dict_path));
  }
  seg::SegmenterOptions seg_options;
  seg_options.dict_path = options.dict_path;
  FENLEI_ASSIGN_OR_RETURN(std::shared_ptr<const core::Preprocessor> preprocessor,
                          core::Preprocessor::create(preprocess, seg_options));

  // Tokenise the training texts once: for the vocabulary, the length statistics and the ids.
  std::vector<PackedTokens> tokens = tokenize_texts(*preprocessor, train_ds, pool);
  if (preprocess.max_len == 0) {
    // Ragged batches cost nothing for short texts, so the limit only trims the long tail: the
    // 95th percentile keeps nearly every text whole while bounding the cost of outliers.
    const data::LengthStats stats = token_length_stats(tokens);
    size_t chosen = (stats.p95 + 7) / 8 * 8;
    chosen = std::clamp<size_t>(chosen, 16, 512);
    preprocess.max_len = static_cast<int>(chosen);
    FENLEI_LOG(kInfo) << "max_len " << chosen << " (95th percentile of training token counts, "
                      << "rounded up; median " << stats.p50 << ", max " << stats.max
                      << "; --max-len to change)";
    FENLEI_ASSIGN_OR_RETURN(preprocessor, core::Preprocessor::create(preprocess, seg_options));
  }
  const vocab::TokenCounts counts = count_packed_tokens(tokens, pool);
  FENLEI_LOG(kInfo) << counts.size() << " distinct tokens in the training texts";
  auto tokenizer = std::make_shared<const core::VocabTokenizer>(
      std::move(preprocessor),
      vocab::Vocabulary::build(counts, options.vocab_size, options.min_count));
  FENLEI_ASSIGN_OR_RETURN(bool multi_label, multi_label_training(options, train_ds, true));
  if (distill && multi_label)
    return invalid_argument_error(options.input + ": distillation trains single-label students; "
                                  "this data is multi-label");
  FENLEI_ASSIGN_OR_RETURN(PreparedData out,
                          encode_training_data(options, texts, std::move(tokens), labels,
                                               std::move(tokenizer), multi_label, pool));
  if (!tokenizer_choice.is_null()) out.bundle.training["tokenizer_choice"] = tokenizer_choice;
  if (distill)
    FENLEI_RETURN_IF_ERROR(attach_soft_targets(*distill, texts_of(train_ds),
                                               train_ds.examples.size() - texts.unlabeled,
                                               out.bundle.labels, pool, &out.train,
                                               &out.bundle.training));
  return out;
}

}  // namespace fenlei::train
