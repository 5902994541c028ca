#include "train/encoded_data.h"

#include <algorithm>
#include <cmath>

#include "fenlei/dataset.h"
#include "fenlei/file_util.h"
#include "fenlei/log.h"
#include "train/finetune_init.h"

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
  if (ds.rows_with_extra_labels > 0) {
    FENLEI_LOG(kWarning) << path << ": " << ds.rows_with_extra_labels
                         << " rows had several labels; the first was used";
  }
  return ds;
}

std::vector<std::string> texts_of(const data::Dataset& ds) {
  std::vector<std::string> texts;
  texts.reserve(ds.examples.size());
  for (const auto& e : ds.examples) texts.push_back(e.text);
  return texts;
}

}  // namespace

void EncodedSet::fill_batch(const std::vector<uint32_t>& indices, nn::Batch* batch) const {
  batch->clear();
  for (uint32_t i : indices) {
    batch->add(ids.data() + offsets[i], static_cast<size_t>(offsets[i + 1] - offsets[i]),
               labels[i], weights.empty() ? 1.0f : weights[i]);
  }
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

StatusOr<PreparedData> prepare_data(const TrainOptions& options, ThreadPool& pool) {
  PreparedData out;
  core::ModelBundle& bundle = out.bundle;

  FENLEI_ASSIGN_OR_RETURN(data::Dataset train_ds, read_one(options.input, options.read));
  data::Dataset valid_ds;
  if (!options.valid.empty()) {
    FENLEI_ASSIGN_OR_RETURN(valid_ds, read_one(options.valid, options.read));
  } else {
    FENLEI_ASSIGN_OR_RETURN(auto split, data::split_validation(std::move(train_ds),
                                                                options.validation_split));
    train_ds = std::move(split.train);
    valid_ds = std::move(split.validation);
  }
  FENLEI_RETURN_IF_ERROR(data::check_trainable(train_ds));
  if (valid_ds.examples.empty()) {
    return invalid_argument_error("the validation set is empty: pass --valid FILE or a larger "
                                  "--validation-split");
  }

  bundle.labels = data::sorted_labels(train_ds);
  if (options.base_model) {  // fine-tuning: the base model's labels first, in its order
    FENLEI_ASSIGN_OR_RETURN(bundle.labels, finetune_labels(*options.base_model, bundle.labels,
                                                           options.allow_new_labels, options.input));
    bundle.lineage = options.lineage;
  }
  FENLEI_ASSIGN_OR_RETURN(auto train_labels, data::label_ids(train_ds, bundle.labels, options.input));
  FENLEI_ASSIGN_OR_RETURN(
      auto valid_labels,
      data::label_ids(valid_ds, bundle.labels,
                      options.valid.empty() ? options.input + " (validation split)" : options.valid));

  // Preprocessing: the user dictionary's text travels inside the model.
  bundle.preprocess = options.base_model ? options.base_model->preprocess : options.preprocess;
  if (!options.user_dict_path.empty() && !options.base_model) {
    FENLEI_ASSIGN_OR_RETURN(bundle.preprocess.user_dictionary, read_file(options.user_dict_path));
  }
  seg::SegmenterOptions seg_options;
  seg_options.dict_path = options.dict_path;
  FENLEI_ASSIGN_OR_RETURN(out.preprocessor,
                          core::Preprocessor::create(bundle.preprocess, seg_options));

  // Tokenise the training texts once: for the vocabulary and the length statistics. Counted as
  // they are tokenised, never all held at once: 50k reviews are ~3M token strings (~100 MB),
  // which was the largest allocation of a seed-cnn run.
  const std::vector<std::string> train_texts = texts_of(train_ds);
  std::vector<size_t> lengths(train_texts.size());
  const core::Preprocessor& counting = *out.preprocessor;
  const vocab::TokenCounts counts = vocab::count_tokens(
      train_texts.size(),
      [&](size_t i, std::vector<std::string>* tokens) {
        tokens->clear();
        counting.tokenize(train_texts[i], tokens);
        lengths[i] = tokens->size();
      },
      pool.size());
  const data::LengthStats stats = data::length_stats(lengths);
  if (bundle.preprocess.max_len == 0) {
    // Ragged batches cost nothing for short texts, so the limit only trims the long tail: the
    // 95th percentile keeps nearly every text whole while bounding the cost of outliers.
    size_t chosen = (stats.p95 + 7) / 8 * 8;
    chosen = std::clamp<size_t>(chosen, 16, 512);
    bundle.preprocess.max_len = static_cast<int>(chosen);
    FENLEI_LOG(kInfo) << "max_len " << chosen << " (95th percentile of training token counts, "
                      << "rounded up; median " << stats.p50 << ", max " << stats.max
                      << "; --max-len to change)";
  }
  FENLEI_ASSIGN_OR_RETURN(out.preprocessor,
                          core::Preprocessor::create(bundle.preprocess, seg_options));
  bundle.vocabulary =
      options.base_model
          ? finetune_vocabulary(*options.base_model, counts, options.vocab_size, options.min_count)
          : vocab::Vocabulary::build(counts, options.vocab_size, options.min_count);
  FENLEI_LOG(kInfo) << "data: " << train_ds.examples.size() << " training and "
                    << valid_ds.examples.size() << " validation examples, "
                    << bundle.labels.size() << " labels, " << counts.size()
                    << " distinct tokens, vocabulary " << bundle.vocabulary.size();

  out.train = encode_examples(train_texts, train_labels, *out.preprocessor, bundle.vocabulary, pool);
  out.valid = encode_examples(texts_of(valid_ds), valid_labels, *out.preprocessor,
                              bundle.vocabulary, pool);

  // Class weights apply to training examples only; validation loss stays unweighted.
  std::vector<int64_t> label_counts(bundle.labels.size(), 0);
  for (int y : train_labels) ++label_counts[static_cast<size_t>(y)];
  FENLEI_ASSIGN_OR_RETURN(auto class_weights,
                          parse_class_weights(options.class_weight, bundle.labels, label_counts));
  for (size_t i = 0; i < out.train.size(); ++i) {
    out.train.weights[i] = class_weights[static_cast<size_t>(out.train.labels[i])];
  }

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
      {"options",
       {{"epochs", options.epochs},
        {"batch_size", options.batch_size},
        {"optimizer", options.optimizer},
        {"lr", options.lr},
        {"lazy_embeddings", options.lazy_embeddings},
        {"lr_schedule", options.lr_schedule},
        {"l2", options.l2},
        {"weight_decay", options.weight_decay},
        {"class_weight", options.class_weight},
        {"patience", options.patience},
        {"monitor", options.monitor},
        {"vocab_size", options.vocab_size},
        {"min_count", options.min_count},
        {"seed", options.seed}}}};
  return out;
}

double cross_entropy(const float* probs, size_t n, int classes, const std::vector<int>& labels,
                     size_t first_label) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const float p = probs[i * static_cast<size_t>(classes) +
                          static_cast<size_t>(labels[first_label + i])];
    sum -= std::log(std::clamp(static_cast<double>(p), 1e-7, 1.0 - 1e-7));
  }
  return sum;
}

EvalResult evaluate_encoded(const nn::Network& net, const EncodedSet& set, ThreadPool& pool,
                            std::vector<nn::Workspace>& workspaces) {
  EvalResult r;
  const size_t n = set.size();
  const int c = net.num_classes();
  r.predicted.assign(n, 0);
  if (n == 0) return r;
  constexpr size_t kBatch = 256;
  constexpr size_t kPredict = 32;
  const size_t n_batches = (n + kBatch - 1) / kBatch;
  std::vector<double> loss(n_batches, 0);
  std::vector<int64_t> correct(n_batches, 0);
  std::vector<nn::Batch> batches(static_cast<size_t>(pool.size()));
  std::vector<std::vector<float>> probs(static_cast<size_t>(pool.size()));
  // Task t handles batches t, t + T, ...: per-batch partial sums are combined in batch order.
  pool.run(pool.size(), [&](int t) {
    std::vector<uint32_t> idx;
    for (size_t b = static_cast<size_t>(t); b < n_batches; b += static_cast<size_t>(pool.size())) {
      const size_t begin = b * kBatch, end = std::min(n, begin + kBatch);
      auto& p = probs[static_cast<size_t>(t)];
      p.resize((end - begin) * static_cast<size_t>(c));
      // Predicted in slices of kPredict: a cnn's im2col scratch grows with the rows of one
      // predict_proba call (256 texts x 128 tokens x 5 x 128 floats = 84 MB per thread for
      // textcnn); the loss is still summed per kBatch batch, as before.
      for (size_t lo = begin; lo < end; lo += kPredict) {
        const size_t hi = std::min(end, lo + kPredict);
        idx.resize(hi - lo);
        for (size_t i = lo; i < hi; ++i) idx[i - lo] = static_cast<uint32_t>(i);
        set.fill_batch(idx, &batches[static_cast<size_t>(t)]);
        nn::predict_proba(net, batches[static_cast<size_t>(t)], workspaces[static_cast<size_t>(t)],
                          p.data() + (lo - begin) * static_cast<size_t>(c));
      }
      loss[b] = cross_entropy(p.data(), end - begin, c, set.labels, begin);
      for (size_t i = begin; i < end; ++i) {
        const float* row = p.data() + (i - begin) * static_cast<size_t>(c);
        const int pred = static_cast<int>(std::max_element(row, row + c) - row);
        r.predicted[i] = pred;
        correct[b] += pred == set.labels[i];
      }
    }
  });
  double loss_sum = 0;
  int64_t correct_sum = 0;
  for (size_t b = 0; b < n_batches; ++b) {
    loss_sum += loss[b];
    correct_sum += correct[b];
  }
  r.loss = loss_sum / static_cast<double>(n);
  r.accuracy = static_cast<double>(correct_sum) / static_cast<double>(n);
  return r;
}

}  // namespace fenlei::train
