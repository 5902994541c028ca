#include "train/pretrain.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <random>
#include <thread>

#include "base/file_util.h"
#include "base/thread_pool.h"
#include "core/model_bundle.h"
#include "data/dataset.h"
#include "nn/network.h"
#include "nn/rng.h"
#include "train/wordpiece_vocab.h"
#include "transformer/encoder_engine.h"
#include "transformer/encoder_optimizer.h"
#include "transformer/encoder_train.h"
#include "transformer/mlm_head.h"
#include "transformer/trainable_encoder.h"

namespace fenlei::train {
namespace {

// Tokens per stacked encoder chunk, as in encoder_finetune.cc: a chunk's dense layers run as
// one GEMM over all its rows.
constexpr size_t kChunkTokens = 512;

using transformer::EncoderGrads;
using transformer::EncoderWeights;
using transformer::Linear;

std::vector<std::string> read_texts(const std::string& contents) {
  std::vector<std::string> texts;
  size_t start = 0;
  while (start <= contents.size()) {
    size_t end = contents.find('\n', start);
    if (end == std::string::npos) end = contents.size();
    std::string line = contents.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos) texts.push_back(std::move(line));
    start = end + 1;
  }
  return texts;
}

}  // namespace

// A fresh encoder as transformers initialises one (pretrain.h).
EncoderWeights random_encoder(const hf::EncoderConfig& c, uint64_t seed) {
  EncoderWeights w;
  w.config = c;
  const int e = c.embedding_size, h = c.hidden_size, f = c.intermediate_size;
  auto lin = [](int in, int out) {
    Linear l;
    l.in = in;
    l.out = out;
    l.w.assign(static_cast<size_t>(in) * out, 0.0f);
    l.b.assign(out, 0.0f);
    return l;
  };
  w.word_embeddings.assign(static_cast<size_t>(c.vocab_size) * e, 0.0f);
  w.position_embeddings.assign(static_cast<size_t>(c.max_position_embeddings) * e, 0.0f);
  w.token_type_embeddings.assign(static_cast<size_t>(c.type_vocab_size) * e, 0.0f);
  w.embedding_ln_gamma.assign(e, 1.0f);
  w.embedding_ln_beta.assign(e, 0.0f);
  if (e != h) {
    w.has_projection = true;
    w.projection = lin(e, h);
  }
  for (int i = 0; i < c.num_layers; ++i) {
    transformer::EncoderLayer l;
    l.qkv = lin(h, 3 * h);
    l.attention_out = lin(h, h);
    l.ln1_gamma.assign(h, 1.0f);
    l.ln1_beta.assign(h, 0.0f);
    l.intermediate = lin(h, f);
    l.output = lin(f, h);
    l.ln2_gamma.assign(h, 1.0f);
    l.ln2_beta.assign(h, 0.0f);
    w.layers.push_back(std::move(l));
  }
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, c.initializer_range);
  for (const transformer::ParamView& v : transformer::param_views(&w)) {
    const bool is_weight = v.name.size() > 7 && v.name.compare(v.name.size() - 7, 7, ".weight") == 0;
    if (!is_weight || v.name.find("LayerNorm") != std::string::npos) continue;
    for (long i = 0; i < v.size; ++i) v.data[i] = normal(rng);
  }
  if (c.pad_token_id >= 0 && c.pad_token_id < c.vocab_size)
    std::fill_n(w.word_embeddings.begin() + static_cast<long>(c.pad_token_id) * e, e, 0.0f);
  return w;
}

namespace {

// AdamW (torch) on one tensor of the MLM head, with its moments.
struct HeadParam {
  float* p;
  const float* g;
  std::vector<float>* m;
  std::vector<float>* v;
  long n;
  bool decay;
};

void adamw_step(const HeadParam& t, float lr, float wd, int64_t step) {
  const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  const double bc1 = 1.0 - std::pow(0.9, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(0.999, static_cast<double>(step));
  const float step_size = static_cast<float>(lr / bc1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const float decay = t.decay ? 1.0f - lr * wd : 1.0f;
  float* m = t.m->data();
  float* v = t.v->data();
  for (long i = 0; i < t.n; ++i) {
    const float g = t.g[i];
    t.p[i] *= decay;
    m[i] += (g - m[i]) * (1.0f - b1);
    v[i] = v[i] * b2 + (1.0f - b2) * g * g;
    t.p[i] -= step_size * (m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps));
  }
}

bool is_special_token(const std::string& t) {
  return t.size() > 2 && t.front() == '[' && t.back() == ']';
}

}  // namespace

hf::EncoderConfig scratch_bert_config(const std::string& arch, const ScratchBertShape& shape) {
  hf::EncoderConfig c;
  c.model_type = arch;
  c.architecture = arch == "electra" ? "ElectraModel" : "BertModel";
  c.num_layers = shape.layers;
  c.hidden_size = shape.hidden;
  c.embedding_size = shape.embedding > 0 ? shape.embedding : shape.hidden;
  c.num_heads = shape.heads;
  c.intermediate_size = shape.ffn;
  c.max_position_embeddings = shape.max_positions;
  c.type_vocab_size = 2;
  c.pad_token_id = 0;
  c.layer_norm_eps = 1e-12f;
  c.hidden_act = hf::Activation::kGeluErf;
  c.hidden_act_name = "gelu";
  return c;
}

StatusOr<hf::EncoderConfig> pretrain_config(const std::string& arch, const std::string& size) {
  if (arch != "bert" && arch != "electra")
    return invalid_argument_error("--arch must be bert or electra, not '" + arch + "'");
  ScratchBertShape shape;  // tiny
  if (size == "small") {
    shape = {4, 256, 4, 1024, arch == "electra" ? 128 : 0, 512};  // ELECTRA-small factorises
  } else if (size == "base") {
    shape = {12, 768, 12, 3072, 0, 512};
  } else if (size != "tiny") {
    return invalid_argument_error("--size must be tiny, small or base, not '" + size + "'");
  }
  return scratch_bert_config(arch, shape);
}

Status PretrainOptions::validate() const {
  if (input.empty()) return invalid_argument_error("--input is required");
  if (output.empty()) return invalid_argument_error("--output is required");
  if (epochs < 0) return invalid_argument_error("--epochs must be >= 0");
  if (batch_size < 1) return invalid_argument_error("--batch-size must be at least 1");
  if (max_len < 3) return invalid_argument_error("--max-len must be at least 3");
  if (!(lr > 0)) return invalid_argument_error("--lr must be positive");
  if (!(masking.mask_prob > 0 && masking.mask_prob < 1))
    return invalid_argument_error("--mask-prob must be in (0, 1)");
  if (threads < 0) return invalid_argument_error("--threads must be >= 0");
  if (!init.empty() && !vocab.empty())
    return invalid_argument_error("--vocab and --init exclude each other (--init keeps its model's "
                                  "vocabulary)");
  if (init.empty()) FENLEI_RETURN_IF_ERROR(pretrain_config(arch, size).status());
  return Status();
}

StatusOr<PretrainResult> pretrain_encoder(const PretrainOptions& o) {
  FENLEI_RETURN_IF_ERROR(o.validate());
  // Parallelism comes from the examples of a batch; OpenBLAS threads inside each would
  // oversubscribe the cores (and spin), many times slower on a busy machine.
  nn::use_single_threaded_blas();
  auto say = [&](const std::string& line) {
    if (o.on_message) o.on_message(line);
  };
  FENLEI_ASSIGN_OR_RETURN(std::string contents, read_file(o.input));
  const std::vector<std::string> texts = read_texts(contents);
  contents.clear();
  if (texts.empty()) return invalid_argument_error(o.input + ": no usable text (every line is empty)");

  // The encoder and its tokenizer settings.
  EncoderWeights w;
  hf::WordPieceSettings settings;
  nlohmann::json source, lineage = nlohmann::json::object();
  if (!o.init.empty()) {
    FENLEI_ASSIGN_OR_RETURN(transformer::TrainableEncoder model,
                            transformer::load_trainable_encoder(o.init));
    w = std::move(model.weights);
    settings = model.tokenizer->wordpiece().settings();
    if (w.head != transformer::HeadKind::kNone) {
      // The classification head has nothing to do with MLM; a BERT pooler stays.
      if (w.head == transformer::HeadKind::kElectra) w.head_dense = {};
      w.head = transformer::HeadKind::kNone;
      w.head_out = {};
      w.config.labels.clear();
    }
    source = model.source;
    lineage = model.lineage;
    lineage["pretrained_from"] = o.init;
  } else {
    FENLEI_ASSIGN_OR_RETURN(hf::EncoderConfig config, pretrain_config(o.arch, o.size));
    settings = pretrain_tokenizer_settings();
    if (!o.vocab.empty()) {
      FENLEI_ASSIGN_OR_RETURN(std::string text, read_file(o.vocab));
      FENLEI_ASSIGN_OR_RETURN(settings.vocab, hf::parse_vocab_txt(text, o.vocab));
    } else {
      VocabBuildOptions vo;
      vo.max_size = o.vocab_size;
      FENLEI_ASSIGN_OR_RETURN(settings.vocab, build_wordpiece_vocab(texts, vo));
    }
    config.vocab_size = static_cast<int>(settings.vocab.size());
    const auto pad = std::find(settings.vocab.begin(), settings.vocab.end(), settings.pad_token);
    config.pad_token_id = pad == settings.vocab.end() ? 0 : static_cast<int>(pad - settings.vocab.begin());
    w = random_encoder(config, o.seed);
    source = {{"pretrained_by", "fenlei pretrain"}, {"arch", o.arch}, {"size", o.size},
              {"architecture", config.architecture}, {"model_type", config.model_type}};
  }
  const hf::EncoderConfig& config = w.config;
  settings.model_max_length = std::min(o.max_len, config.max_position_embeddings);
  FENLEI_ASSIGN_OR_RETURN(transformer::WordPieceTokenizer tokenizer,
                          transformer::WordPieceTokenizer::create(settings));
  const int32_t mask_id = tokenizer.id_of(settings.mask_token);
  if (mask_id < 0 || mask_id >= config.vocab_size)
    return invalid_argument_error("the vocabulary has no mask token '" + settings.mask_token + "'");
  std::vector<bool> special(config.vocab_size, false);
  for (size_t i = 0; i < settings.vocab.size() && i < special.size(); ++i)
    special[i] = is_special_token(settings.vocab[i]);

  FENLEI_ASSIGN_OR_RETURN(std::shared_ptr<const seg::Segmenter> segmenter,
                          seg::Segmenter::load(seg::SegmenterOptions{}));
  const int threads = o.threads > 0 ? o.threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool pool(threads);
  std::vector<WholeWordText> encoded(texts.size());
  pool.run(threads, [&](int t) {
    for (size_t i = t; i < texts.size(); i += threads)
      encoded[i] = encode_whole_words(*segmenter, tokenizer, texts[i],
                                      static_cast<int>(settings.model_max_length));
  });
  std::vector<WholeWordText> data;
  PretrainResult result;
  for (WholeWordText& e : encoded) {
    if (e.words() == 0) continue;
    result.tokens += static_cast<int64_t>(e.ids.size()) - 2;
    data.push_back(std::move(e));
  }
  encoded.clear();
  if (data.empty())
    return invalid_argument_error(o.input + ": no usable text (" + std::to_string(texts.size()) +
                                  " lines, none with a token)");
  const size_t n = data.size();
  result.texts = static_cast<int64_t>(n);
  result.vocab_size = config.vocab_size;
  for (const auto& v : transformer::param_views(&w)) result.parameters += v.size;

  transformer::MlmHead head = transformer::MlmHead::init(config, o.seed ^ 0x5bd1e995ULL);
  say("pretraining " + config.model_type + "-L" + std::to_string(config.num_layers) + "-H" +
      std::to_string(config.hidden_size) + " (" + std::to_string(result.parameters) +
      " parameters, vocabulary " + std::to_string(config.vocab_size) + ") on " +
      std::to_string(n) + " texts, " + std::to_string(result.tokens) + " tokens");

  const int64_t steps_per_epoch = static_cast<int64_t>((n + o.batch_size - 1) / o.batch_size);
  const int64_t total_steps = steps_per_epoch * o.epochs;
  const int64_t warmup = o.warmup_steps >= 0 ? o.warmup_steps : total_steps / 10;
  transformer::EncoderOptimizerConfig oc;
  oc.weight_decay = o.weight_decay;
  transformer::EncoderOptimizer optimizer(oc, w);
  std::vector<std::vector<float>> head_m, head_v;
  std::vector<EncoderGrads> grads;
  std::vector<transformer::MlmHeadGrads> head_grads;
  std::vector<transformer::TrainWorkspacePtr> workspaces;
  std::vector<transformer::MlmWorkspace> mlm_ws(threads);
  for (int t = 0; t < threads; ++t) {
    grads.push_back(EncoderGrads::zeros_like(w));
    head_grads.push_back(transformer::MlmHeadGrads::zeros_like(head, config.vocab_size));
    workspaces.push_back(transformer::make_train_workspace());
  }
  auto head_params = [&](transformer::MlmHeadGrads& g) {
    std::vector<HeadParam> p;
    p.push_back({head.dense.w.data(), g.dense.w.data(), nullptr, nullptr,
                 static_cast<long>(head.dense.w.size()), true});
    p.push_back({head.dense.b.data(), g.dense.b.data(), nullptr, nullptr,
                 static_cast<long>(head.dense.b.size()), false});
    p.push_back({head.ln_gamma.data(), g.ln_gamma.data(), nullptr, nullptr,
                 static_cast<long>(head.ln_gamma.size()), false});
    p.push_back({head.ln_beta.data(), g.ln_beta.data(), nullptr, nullptr,
                 static_cast<long>(head.ln_beta.size()), false});
    p.push_back({head.decoder_bias.data(), g.decoder_bias.data(), nullptr, nullptr,
                 static_cast<long>(head.decoder_bias.size()), false});
    if (head_m.empty())
      for (const HeadParam& q : p) {
        head_m.emplace_back(q.n, 0.0f);
        head_v.emplace_back(q.n, 0.0f);
      }
    for (size_t i = 0; i < p.size(); ++i) {
      p[i].m = &head_m[i];
      p[i].v = &head_v[i];
    }
    return p;
  };
  transformer::DropoutSpec dropout_rates;
  if (o.dropout) dropout_rates = transformer::DropoutSpec::from_config(config);
  const int e = config.embedding_size;

  int64_t step = 0;
  double train_seconds = 0;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    const std::vector<size_t> order = data::shuffled_indices(n, o.seed + static_cast<uint64_t>(epoch));
    double epoch_loss = 0;
    int64_t epoch_masked = 0, epoch_correct = 0, epoch_texts = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t b = 0; b < steps_per_epoch; ++b) {
      const size_t begin = static_cast<size_t>(b) * o.batch_size;
      const size_t end = std::min(n, begin + o.batch_size);
      // Masks first: the loss is the mean over the batch's masked tokens, as transformers'.
      std::vector<MaskedText> masked(end - begin);
      int64_t batch_masked = 0;
      for (size_t k = begin; k < end; ++k) {
        const uint64_t key = nn::mix64(nn::mix64(o.seed * 0x9e3779b97f4a7c15ULL + epoch) + order[k]);
        masked[k - begin] = mask_whole_words(data[order[k]], o.masking, mask_id, special, key);
        batch_masked += static_cast<int64_t>(masked[k - begin].positions.size());
      }
      const float scale = 1.0f / static_cast<float>(std::max<int64_t>(1, batch_masked));
      std::vector<double> losses(threads, 0.0);
      std::vector<int64_t> correct(threads, 0);
      const size_t count = end - begin;
      pool.run(threads, [&](int t) {
        // Chunks of this thread's texts up to kChunkTokens tokens run as one stacked encoder
        // forward/backward (one GEMM per dense layer); text k's dropout key depends only on k.
        std::vector<float> hidden, dhidden;
        std::vector<int> offsets;
        std::vector<const std::vector<int32_t>*> ids;
        std::vector<uint64_t> keys;
        std::vector<size_t> chunk;
        size_t k = t;
        while (k < count) {
          ids.clear();
          keys.clear();
          chunk.clear();
          size_t tokens = 0;
          do {
            ids.push_back(&masked[k].input);
            keys.push_back(nn::mix64(nn::mix64(o.seed ^ 0x7f4a7c159e3779b9ULL) +
                                     static_cast<uint64_t>(step) * 4096 + k));
            chunk.push_back(k);
            tokens += masked[k].input.size();
            k += threads;
          } while (k < count && tokens + masked[k].input.size() <= kChunkTokens);
          transformer::forward_hidden(w, ids, keys, dropout_rates, workspaces[t].get(), &hidden,
                                      &offsets);
          dhidden.assign(hidden.size(), 0.0f);
          for (size_t c = 0; c < chunk.size(); ++c) {
            const MaskedText& m = masked[chunk[c]];
            const long row0 = static_cast<long>(offsets[c]) * config.hidden_size;
            const transformer::MlmResult r = transformer::mlm_forward_backward(
                head, w.word_embeddings, config.vocab_size, hidden.data() + row0,
                offsets[c + 1] - offsets[c], config.hidden_size, m.positions, m.targets, scale,
                &mlm_ws[t], &head_grads[t], dhidden.data() + row0);
            losses[t] += r.loss;
            correct[t] += r.correct;
          }
          transformer::backward_hidden(w, dropout_rates, workspaces[t].get(), dhidden.data(),
                                       &grads[t]);
        }
      });
      for (int t = 0; t < threads; ++t) {
        epoch_loss += losses[t];
        epoch_correct += correct[t];
      }
      epoch_masked += batch_masked;
      epoch_texts += static_cast<int64_t>(count);
      for (int t = 1; t < threads; ++t) {
        grads[0].add(grads[t]);
        grads[t].clear();
        head_grads[0].add(head_grads[t]);
        head_grads[t].clear();
      }
      // The tied decoder's gradient joins the word table's (every row: the decoder sees them all).
      for (int32_t r = 0; r < config.vocab_size; ++r) {
        float* dst = grads[0].word.row(r);
        const float* src = head_grads[0].word.data() + static_cast<long>(r) * e;
        for (int j = 0; j < e; ++j) dst[j] += src[j];
      }
      std::fill(head_grads[0].word.begin(), head_grads[0].word.end(), 0.0f);
      if (o.clip_norm > 0) {
        const double norm = std::sqrt(grads[0].squared_norm() + head_grads[0].squared_norm());
        const double coef = o.clip_norm / (norm + 1e-6);
        if (coef < 1) {
          grads[0].scale(static_cast<float>(coef));
          head_grads[0].scale(static_cast<float>(coef));
        }
      }
      const float lr = static_cast<float>(
          o.lr * transformer::lr_factor(transformer::EncoderLrSchedule::kLinear, step, warmup, total_steps));
      optimizer.step(&w, grads[0], lr);
      for (const HeadParam& p : head_params(head_grads[0])) adamw_step(p, lr, o.weight_decay, step + 1);
      grads[0].clear();
      head_grads[0].clear();
      ++step;
      if (o.on_progress) {
        PretrainOptions::Progress p;
        p.epoch = epoch + 1;
        p.epochs = o.epochs;
        p.texts_done = epoch_texts;
        p.texts_total = static_cast<int64_t>(n);
        p.loss = epoch_loss / std::max<int64_t>(1, epoch_masked);
        p.accuracy = static_cast<double>(epoch_correct) / std::max<int64_t>(1, epoch_masked);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        p.texts_per_second = s > 0 ? epoch_texts / s : 0;
        p.epoch_end = b + 1 == steps_per_epoch;
        o.on_progress(p);
      }
    }
    train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double mean = epoch_loss / std::max<int64_t>(1, epoch_masked);
    if (epoch == 0) result.first_epoch_loss = mean;
    result.last_epoch_loss = mean;
    result.last_epoch_accuracy = static_cast<double>(epoch_correct) / std::max<int64_t>(1, epoch_masked);
  }
  result.steps = step;
  result.train_seconds = train_seconds;

  core::ModelBundle bundle;
  bundle.engine = std::make_shared<transformer::EncoderEngine>(w, source);
  bundle.tokenizer =
      std::make_shared<transformer::WordPieceCoreTokenizer>(std::move(tokenizer), config.vocab_size);
  bundle.lineage = lineage;
  bundle.training = {{"data", o.input},
                     {"objective", "masked language modelling, whole-word masking on jieba words"},
                     {"texts", result.texts},
                     {"tokens", result.tokens},
                     {"epochs", o.epochs},
                     {"steps", step},
                     {"mlm_loss", result.last_epoch_loss},
                     {"mlm_accuracy", result.last_epoch_accuracy},
                     {"options",
                      {{"lr", o.lr},
                       {"warmup_steps", warmup},
                       {"weight_decay", o.weight_decay},
                       {"batch_size", o.batch_size},
                       {"max_len", settings.model_max_length},
                       {"mask_prob", o.masking.mask_prob},
                       {"clip_norm", o.clip_norm},
                       {"dropout", o.dropout},
                       {"seed", o.seed}}}};
  FENLEI_RETURN_IF_ERROR(core::save_bundle(o.output, bundle));
  return result;
}

}  // namespace fenlei::train
