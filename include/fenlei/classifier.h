// Classifier: the public inference API. Load a model file once, then classify texts from any
// number of threads.
//
//   auto model = fenlei::Classifier::load("reviews.fenlei");
//   if (!model.ok()) { std::cerr << model.status().message() << "\n"; return 1; }
//   fenlei::PredictOptions options;
//   options.k = 3;
//   auto predictions = (*model)->predict({"房间很干净，服务也好", "太吵了，不会再来"}, options);
//   if (predictions.ok())
//     for (const auto& p : *predictions) std::cout << p.label << "\t" << p.score << "\n";
//
// A loaded Classifier is immutable and thread-safe: predict() may be called concurrently; each
// call uses scratch space owned by the calling thread (or the Workspace passed in).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fenlei/status.h"

namespace fenlei {

struct ScoredLabel {
  std::string label;
  float score = 0.0f;
};

struct Prediction {
  std::string label;               // the most probable label (always set)
  float score = 0.0f;              // its probability
  std::vector<ScoredLabel> top_k;  // up to k labels, best first, each with score >= threshold
};

struct PredictOptions {
  int k = 1;                // how many labels to return in top_k (clamped to the label count)
  float threshold = 0.0f;   // labels below this probability are left out of top_k
};

// One token's share in a prediction (Classifier::explain).
struct TokenAttribution {
  std::string token;    // as the model read it (after normalisation and segmentation)
  bool known = true;    // false: not in the vocabulary, read as the unknown token
  float weight = 0.0f;  // p(label | text) - p(label | text without this token)
};

// Why a text got a label: leave-one-out occlusion over its tokens.
struct Explanation {
  std::string label;                     // the label explained
  float score = 0.0f;                    // its probability for the whole text
  std::vector<TokenAttribution> tokens;  // in text order
  bool truncated = false;  // the text has more tokens than are explained (see explain())
};

struct ExplainOptions {
  std::string label;  // the label to explain; empty: the predicted one
};

// How a loaded model runs (Classifier::load).
struct LoadOptions {
  // Threads one text's forward pass may use (ONNX Runtime's intra_op_num_threads). A transformer
  // model splits each large dense layer's outputs (float, bf16 and int8) and its attention heads
  // over them; the probabilities are bit-identical for any number. 1 (the default): the calling
  // thread alone. Each thread that calls predict, probabilities or explain (each Workspace) gets
  // its own N - 1 helper threads, started on its first call and asleep between calls, so C
  // concurrent callers run up to C x N threads: keep that within the cores. Parallelism across
  // texts is the caller's (call from several threads, as `fenlei test --threads` does). Other
  // models (cnn, fasttext) run one text on one thread and ignore it.
  // INVALID_ARGUMENT outside [1, kMaxIntraOpThreads].
  int intra_op_threads = 1;
};
inline constexpr int kMaxIntraOpThreads = 256;

// How many of a model file's weight tensors have one element type (ModelInfo::tensor_dtypes).
struct TensorDTypeCount {
  int64_t tensors = 0;
  uint64_t bytes = 0;  // their element bytes (uncompressed), not counting names and shapes
};

// What `fenlei info` and the server's metadata endpoint show.
struct ModelInfo {
  std::string architecture;          // preset name, e.g. "seed-cnn"
  std::vector<std::string> labels;   // output order
  int max_len = 0;                   // tokens per text after truncation
  bool quantized = false;            // int8 or bf16 weights: precision is not "float32"
  // The number format the model computes in: "float32", "int8" (integer weights, quantize) or
  // "bf16" (quantize --precision bf16, transformer encoders). The engine's own answer, not a
  // guess from the file: a bf16 model of format v1 stores its weights widened to f32.
  std::string precision;
  // The model file's weight tensors by element type as stored: "f32", "i8", "i32", "bf16", ...
  // (format::dtype_name) -> how many tensors and bytes. What `fenlei info` lists as "tensors".
  std::map<std::string, TensorDTypeCount> tensor_dtypes;
  // One independent probability per label (trained on rows with several labels): a text may
  // have any number of them. predict() then lists in top_k every label with a probability of at
  // least PredictOptions::threshold among the k best (use k = labels.size() and threshold 0.5
  // for "all labels that apply"); probabilities() rows do not sum to 1.
  bool multi_label = false;
  size_t vocab_size = 0;             // including padding and unknown tokens
  int64_t parameter_count = 0;
  std::string tokenizer;             // "word", "char" or "word+char"
  uint32_t format_version = 0;
  std::string checksum;              // hex CRC-32 of the whole file
  uint64_t file_bytes = 0;
  std::string metadata_json;         // the full metadata section (config, training summary)
};

// What predict() should return when the caller asks for nothing in particular: the best label
// (k 1, threshold 0) for a single-label model; for a multi-label model every label that applies
// (k = all labels, threshold 0.5). The CLI and the server start from these.
PredictOptions default_predict_options(const ModelInfo& info);

class Classifier {
 public:
  // Per-caller scratch space; reuse one per thread to avoid allocation. Not thread-safe itself.
  class Workspace;

  // Loads and validates a model file (float or int8).
  // Errors: NOT_FOUND (no file), DATA_LOSS (truncated/corrupt), UNIMPLEMENTED (newer format),
  // INVALID_ARGUMENT (not a model file), FAILED_PRECONDITION (dictionary unavailable).
  static StatusOr<std::shared_ptr<const Classifier>> load(const std::string& path,
                                                          const LoadOptions& options = {});
  // Same, from the bytes of a model file already in memory.
  static StatusOr<std::shared_ptr<const Classifier>> load_from_memory(
      std::string_view bytes, const std::string& name, const LoadOptions& options = {});

  virtual ~Classifier();

  // Classifies texts. INVALID_ARGUMENT if a text is not valid UTF-8. An empty text, or one made
  // only of unknown tokens, is classified from the unknown-token embedding and gets a valid
  // prediction (usually the prior-like majority label).
  StatusOr<std::vector<Prediction>> predict(const std::vector<std::string>& texts,
                                            const PredictOptions& options) const;
  StatusOr<std::vector<Prediction>> predict(const std::vector<std::string>& texts,
                                            const PredictOptions& options,
                                            Workspace* workspace) const;
  StatusOr<Prediction> predict_one(std::string_view text, const PredictOptions& options) const;

  // Explains one text: for each token, how much the label's probability drops when that token
  // is left out (positive: evidence for the label; negative: against it). Exact for every
  // architecture (it runs the model itself once per token, as one batch), so it shows what the
  // model does rather than an approximation of it. Tokens are the ones the model reads: the
  // first max_len (at most 1024 when the model has no max_len); `truncated` says when more
  // followed. INVALID_ARGUMENT for invalid UTF-8 or a label the model does not have.
  StatusOr<Explanation> explain(std::string_view text, const ExplainOptions& options = {}) const;

  // Full probability vector for each text (labels in info().labels order).
  StatusOr<std::vector<std::vector<float>>> probabilities(const std::vector<std::string>& texts) const;

  const ModelInfo& info() const;

  // Computes now the rows of the per-token tables that cnn models otherwise fill lazily during
  // their first predictions (see docs/engine.md, "Inference") for the most frequent tokens, up
  // to 8 MiB of table (textcnn, 10k words: the first ~1,700 of 46 MiB), so that later calls run
  // at nearly steady-state latency; rarer tokens' rows are still computed on first use, which
  // keeps a server's memory small. A no-op for other models. Results are the same either way,
  // bit for bit. Thread-safe; `fenlei serve` calls it before a model takes traffic.
  void warm_up() const;

  // Implementation detail, public so that the engine can be shared with training and tools.
  struct Impl;
  explicit Classifier(std::unique_ptr<Impl> impl);
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace fenlei
