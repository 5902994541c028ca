#include <algorithm>
#include <map>
#include <numeric>

#include "core/classifier_impl.h"
#include "base/file_util.h"
#include "format/model_file.h"
#include "text/utf8.h"

namespace fenlei {
namespace {

// Texts are classified in chunks so that a huge request never builds a huge batch.
constexpr size_t kChunk = 256;

Status check_texts(const std::vector<std::string>& texts) {
  for (size_t i = 0; i < texts.size(); ++i) {
    const size_t bad = utf8::find_invalid(texts[i]);
    if (bad != std::string_view::npos) {
      return invalid_argument_error("text " + std::to_string(i) + " is not valid UTF-8 (byte " +
                                    std::to_string(bad) + ")");
    }
  }
  return Status();
}

Status check_load_options(const LoadOptions& options) {
  if (options.intra_op_threads < 1 || options.intra_op_threads > kMaxIntraOpThreads)
    return invalid_argument_error("intra_op_threads must be in [1, " +
                                  std::to_string(kMaxIntraOpThreads) + "], got " +
                                  std::to_string(options.intra_op_threads));
  return Status();
}

// order: scratch reused across a batch's texts (one allocation per call of predict, not per text).
Prediction make_prediction(const float* probs, const std::vector<std::string>& labels,
                           const PredictOptions& options, std::vector<int>& order) {
  const int c = static_cast<int>(labels.size());
  order.resize(static_cast<size_t>(c));
  std::iota(order.begin(), order.end(), 0);
  const int k = std::max(1, std::min(options.k, c));
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
    return probs[a] > probs[b] || (probs[a] == probs[b] && a < b);
  });
  Prediction p;
  p.label = labels[static_cast<size_t>(order[0])];
  p.score = probs[order[0]];
  p.top_k.reserve(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) {
    const float s = probs[order[static_cast<size_t>(i)]];
    if (s < options.threshold) break;
    p.top_k.push_back({labels[static_cast<size_t>(order[static_cast<size_t>(i)])], s});
  }
  return p;
}

// The weight tensors as the file stores them, by dtype (ModelInfo::tensor_dtypes).
std::map<std::string, TensorDTypeCount> tensor_dtype_counts(const format::ModelFile& file) {
  std::map<std::string, TensorDTypeCount> counts;
  for (const format::Tensor& t : file.tensors) {
    TensorDTypeCount& c = counts[format::dtype_name(t.dtype)];
    ++c.tensors;
    c.bytes += t.bytes().size();
  }
  return counts;
}

}  // namespace

void Classifier::Impl::probabilities(const std::vector<std::string>& texts, size_t begin,
                                     size_t end, Classifier::Workspace& ws, float* out) const {
  ws.batch.clear();
  for (size_t i = begin; i < end; ++i) {
    model.tokenizer->encode(texts[i], &ws.ids);
    ws.batch.add(ws.ids);
  }
  run(ws.batch, ws, out);
}

void Classifier::Impl::run(const nn::Batch& batch, Classifier::Workspace& ws, float* out) const {
  // Per call: one thread's workspace serves every model it runs (a server holds several).
  ws.scratch.intra_op_threads = intra_op_threads;
  model.engine->predict_proba(batch, ws.scratch, out);
}

PredictOptions default_predict_options(const ModelInfo& info) {
  PredictOptions o;
  if (info.multi_label) {
    o.k = static_cast<int>(info.labels.size());
    o.threshold = 0.5f;
  }
  return o;
}

Classifier::Classifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Classifier::~Classifier() = default;

const ModelInfo& Classifier::info() const { return impl_->info; }

void Classifier::warm_up() const { impl_->model.engine->warm_up(); }

StatusOr<std::shared_ptr<const Classifier>> make_classifier(core::ModelBundle model,
                                                            const format::ModelFile& file,
                                                            std::string_view file_bytes,
                                                            const LoadOptions& options) {
  if (!model.engine || !model.tokenizer)
    return invalid_argument_error("a model needs an engine and a tokenizer");
  FENLEI_RETURN_IF_ERROR(check_load_options(options));
  auto impl = std::make_unique<Classifier::Impl>();
  impl->intra_op_threads = options.intra_op_threads;
  ModelInfo& info = impl->info;
  const core::Engine& engine = *model.engine;
  info.architecture = engine.architecture_name();
  info.labels = model.labels;
  info.max_len = model.tokenizer->max_len();
  info.quantized = engine.quantized();
  info.precision = engine.precision();
  info.multi_label = engine.multi_label();
  info.vocab_size = model.tokenizer->vocab_size();
  info.parameter_count = engine.parameter_count();
  info.tokenizer = model.tokenizer->description();
  info.format_version = file.format_version;
  info.tensor_dtypes = tensor_dtype_counts(file);
  // The bytes were parsed with checksums verified: the stored CRC is the file's checksum.
  if (!file_bytes.empty()) info.checksum = format::stored_checksum_hex(file_bytes);
  info.file_bytes = file_bytes.size();
  info.metadata_json = core::bundle_metadata(model).dump();
  impl->model = std::move(model);
  return std::shared_ptr<const Classifier>(std::make_shared<Classifier>(std::move(impl)));
}

StatusOr<std::shared_ptr<const Classifier>> Classifier::load(const std::string& path,
                                                             const LoadOptions& options) {
  FENLEI_RETURN_IF_ERROR(check_load_options(options));  // before reading a large file
  // Mapped, not read: large float weights are used in place (format::map_model_file).
  std::string_view bytes;
  FENLEI_ASSIGN_OR_RETURN(format::ModelFile file, format::map_model_file(path, &bytes));
  FENLEI_ASSIGN_OR_RETURN(core::ModelBundle bundle, core::bundle_from_model_file(file, path));
  return make_classifier(std::move(bundle), file, bytes, options);
}

StatusOr<std::shared_ptr<const Classifier>> Classifier::load_from_memory(
    std::string_view bytes, const std::string& name, const LoadOptions& options) {
  FENLEI_RETURN_IF_ERROR(check_load_options(options));
  FENLEI_ASSIGN_OR_RETURN(format::ModelFile file, format::parse_model_file(bytes, name));
  FENLEI_ASSIGN_OR_RETURN(core::ModelBundle bundle, core::bundle_from_model_file(file, name));
  return make_classifier(std::move(bundle), file, bytes, options);
}

Classifier::Workspace& thread_workspace() {
  thread_local Classifier::Workspace workspace;
  return workspace;
}

StatusOr<std::vector<Prediction>> Classifier::predict(const std::vector<std::string>& texts,
                                                      const PredictOptions& options) const {
  return predict(texts, options, &thread_workspace());
}

StatusOr<std::vector<Prediction>> Classifier::predict(const std::vector<std::string>& texts,
                                                      const PredictOptions& options,
                                                      Workspace* ws) const {
  FENLEI_RETURN_IF_ERROR(check_texts(texts));
  const size_t c = impl_->info.labels.size();
  std::vector<Prediction> out;
  out.reserve(texts.size());
  std::vector<int> order;
  for (size_t begin = 0; begin < texts.size(); begin += kChunk) {
    const size_t end = std::min(texts.size(), begin + kChunk);
    ws->probabilities.resize((end - begin) * c);
    impl_->probabilities(texts, begin, end, *ws, ws->probabilities.data());
    for (size_t i = 0; i < end - begin; ++i) {
      out.push_back(make_prediction(ws->probabilities.data() + i * c, impl_->info.labels, options,
                                    order));
    }
  }
  return out;
}

StatusOr<Prediction> Classifier::predict_one(std::string_view text,
                                             const PredictOptions& options) const {
  FENLEI_ASSIGN_OR_RETURN(auto all, predict({std::string(text)}, options));
  return std::move(all[0]);
}

StatusOr<std::vector<std::vector<float>>> Classifier::probabilities(
    const std::vector<std::string>& texts) const {
  FENLEI_RETURN_IF_ERROR(check_texts(texts));
  Workspace& ws = thread_workspace();
  const size_t c = impl_->info.labels.size();
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (size_t begin = 0; begin < texts.size(); begin += kChunk) {
    const size_t end = std::min(texts.size(), begin + kChunk);
    ws.probabilities.resize((end - begin) * c);
    impl_->probabilities(texts, begin, end, ws, ws.probabilities.data());
    for (size_t i = 0; i < end - begin; ++i) {
      out.emplace_back(ws.probabilities.begin() + static_cast<long>(i * c),
                       ws.probabilities.begin() + static_cast<long>((i + 1) * c));
    }
  }
  return out;
}

}  // namespace fenlei
