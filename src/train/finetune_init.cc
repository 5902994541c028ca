// Fine-tuning labels/vocabulary and initial weights (see finetune_init.h).
#include "train/finetune_init.h"

#include <algorithm>

#include "base/string_util.h"
#include "base/time_util.h"
#include "fenlei/log.h"
#include "format/model_file.h"
#include "train/pretrained_vectors.h"

namespace fenlei::train {

StatusOr<TrainableModel> trainable_model(const core::ModelBundle& model, const std::string& name,
                                         const std::string& verb) {
  TrainableModel t;
  t.network = model.engine->trainable_network();
  t.tokenizer = core::trainable_tokenizer(*model.tokenizer);
  if (t.network == nullptr)
    return failed_precondition_error(
        name + " is an " + model.engine->kind() + " model, which has no float weights to train; " +
        verb + " the float model it was made from (and quantize the result if needed)");
  if (t.tokenizer == nullptr)
    return failed_precondition_error(name + " uses the " + model.tokenizer->kind() +
                                     " tokenizer, whose vocabulary fenlei's trainer cannot "
                                     "extend; cannot " + verb + " it");
  return t;
}

StatusOr<std::vector<std::string>> finetune_labels(const core::ModelBundle& base,
                                                   const std::vector<std::string>& data_labels,
                                                   bool allow_new, const std::string& data_name) {
  std::vector<std::string> labels = base.labels;
  for (const std::string& l : data_labels) {
    if (std::find(labels.begin(), labels.end(), l) != labels.end()) continue;
    if (!allow_new) {
      return invalid_argument_error(data_name + ": label '" + l +
                                    "' is not one of the base model's labels (" +
                                    join(base.labels, ", ") + "); pass --allow-new-labels to add it");
    }
    labels.push_back(l);  // data_labels are sorted, so new labels are appended in sorted order
  }
  return labels;
}

vocab::Vocabulary finetune_vocabulary(const core::ModelBundle& base,
                                      const vocab::TokenCounts& counts, size_t max_new,
                                      int64_t min_count) {
  const vocab::Vocabulary& base_vocabulary =
      core::trainable_tokenizer(*base.tokenizer)->vocabulary();
  // Vocabulary::build orders by count (ties by bytes): reuse it for the new tokens' order.
  const vocab::Vocabulary ranked = vocab::Vocabulary::build(counts, 0, min_count);
  std::vector<std::string> fresh;
  for (size_t i = 2; i < ranked.size(); ++i) {
    const std::string& t = ranked.tokens()[i];
    if (base_vocabulary.contains(t)) continue;
    if (max_new > 0 && fresh.size() >= max_new) break;
    fresh.push_back(t);
  }
  FENLEI_LOG(kInfo) << "fine-tuning vocabulary: " << base_vocabulary.size() << " base tokens + "
                    << fresh.size() << " new from the data";
  return base_vocabulary.extend(fresh);
}

namespace {

Status copy_start_weights(const core::ModelBundle& base_model, nn::Network* net) {
  const nn::Network& base = *base_model.engine->trainable_network();
  const nn::Params& from = base.params();
  const bool grew_from_sigmoid =
      base.config().sigmoid_output() && !net->config().sigmoid_output();
  for (nn::Tensor& t : net->params()) {
    const nn::Tensor* b = from.find(t.name);
    if (b == nullptr) return invalid_argument_error("base model lacks tensor '" + t.name + "'");
    if (b->shape == t.shape) {
      t.data = b->data;
      continue;
    }
    const bool out = t.name.rfind("out/", 0) == 0;
    const bool embedding = t.name == "embed/weight";
    if (!(out || embedding) || b->cols() != t.cols() || b->rows() > t.rows())
      return invalid_argument_error("tensor '" + t.name + "' of the base model has an "
                                    "incompatible shape");
    const size_t cols = size_t(t.cols());
    if (out && grew_from_sigmoid) {
      // sigmoid(z) == softmax([0, z]): class 0 gets zeros, class 1 the sigmoid unit.
      std::fill(t.data.begin(), t.data.begin() + long(cols), 0.0f);
      std::copy(b->data.begin(), b->data.end(), t.data.begin() + long(cols));
    } else {
      std::copy(b->data.begin(), b->data.end(), t.data.begin());
    }
  }
  return Status();
}

}  // namespace

StatusOr<nn::Network> grown_network(const core::ModelBundle& start, const nn::ModelConfig& config,
                                    uint64_t seed) {
  FENLEI_ASSIGN_OR_RETURN(nn::Network net, nn::Network::create(config, seed));
  FENLEI_RETURN_IF_ERROR(copy_start_weights(start, &net));
  return net;
}

StatusOr<PreparedData> prepare_data_from(const core::ModelBundle& start, bool allow_new_labels,
                                         const TrainOptions& options, ThreadPool& pool) {
  FENLEI_ASSIGN_OR_RETURN(TrainableModel trainable, trainable_model(start, "the model", "train"));
  FENLEI_ASSIGN_OR_RETURN(TrainingTexts texts, read_training_texts(options));
  FENLEI_ASSIGN_OR_RETURN(
      std::vector<std::string> labels,
      finetune_labels(start, data::sorted_labels(texts.train), allow_new_labels, options.input));
  const core::Preprocessor& preprocessor = trainable.tokenizer->preprocessor();
  std::vector<PackedTokens> tokens = tokenize_texts(preprocessor, texts.train, pool);
  const vocab::TokenCounts counts = count_packed_tokens(tokens, pool);
  auto tokenizer = std::make_shared<const core::VocabTokenizer>(
      trainable.tokenizer->shared_preprocessor(),
      finetune_vocabulary(start, counts, options.vocab_size, options.min_count));
  FENLEI_ASSIGN_OR_RETURN(
      bool multi_label,
      multi_label_training(options, texts.train, start.engine->multi_label()));
  FENLEI_ASSIGN_OR_RETURN(PreparedData out,
                          encode_training_data(options, texts, std::move(tokens),
                                               std::move(labels), std::move(tokenizer),
                                               multi_label, pool));
  out.bundle.lineage = options.lineage;
  return out;
}

Status apply_pretrained_vectors(const TrainOptions& options, const vocab::Vocabulary& vocabulary,
                                nn::Network* network, nlohmann::json* training) {
  nn::Network& net = *network;
  if (!options.pretrained_vectors.empty()) {
    nn::Tensor& table = net.params()[net.embed_index()];
    FENLEI_ASSIGN_OR_RETURN(
        VectorCoverage cov,
        apply_pretrained_vectors_file(options.pretrained_vectors, vocabulary,
                                      net.config().embed_dim, table.data.data()));
    FENLEI_LOG(kInfo) << "pretrained vectors: " << cov.matched << " of " << cov.vocabulary
                      << " vocabulary tokens covered (" << int(cov.fraction() * 1000) / 10.0
                      << "%) from " << cov.file_words << " vectors"
                      << (options.freeze == Freeze::kEmbedding ? "; embeddings frozen" : "");
    (*training)["pretrained_vectors"] = {{"file", options.pretrained_vectors},
                                              {"matched", cov.matched},
                                              {"vocabulary", cov.vocabulary},
                                              {"frozen", options.freeze == Freeze::kEmbedding}};
  }
  return Status();
}

nlohmann::json lineage_from_base(const std::string& base_path, std::string_view base_bytes,
                                 const nlohmann::json& base_lineage, const TrainOptions& options) {
  return {{"base_model", base_path},
          {"base_checksum", format::checksum_hex(base_bytes)},
          {"base_lineage", base_lineage},
          {"data", options.input},
          {"valid", options.valid},
          {"date", utc_now_iso8601()},
          {"epochs", options.epochs},
          {"lr", options.optimizer.lr}};
}

}  // namespace fenlei::train
