#include "transformer/encoder.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "transformer/checkpoint.h"
#include "transformer/cls_attention.h"
#include "transformer/dense_kernels.h"
#include "transformer/packed_parallel.h"

namespace fenlei::transformer {
namespace {

class Picker {
 public:
  Picker(const hf::TensorMap& t, std::string prefix, std::string where)
      : t_(t), prefix_(std::move(prefix)), where_(std::move(where)) {}

  bool has(const std::string& name) const { return find(name) != nullptr; }

  StatusOr<std::vector<float>> get(const std::string& name, std::vector<int64_t> shape) const {
    const hf::Tensor* t = find(name);
    if (!t) return invalid_argument_error(where_ + ": tensor '" + prefix_ + name + "' is missing");
    if (t->shape != shape) {
      auto dims = [](const std::vector<int64_t>& s) {
        std::string out = "[";
        for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
        return out + "]";
      };
      return invalid_argument_error(where_ + ": tensor '" + prefix_ + name + "' has shape " +
                                    dims(t->shape) + ", the config implies " + dims(shape));
    }
    return t->data;
  }

  StatusOr<Linear> linear(const std::string& name, int in, int out) const {
    Linear l;
    l.in = in;
    l.out = out;
    FENLEI_ASSIGN_OR_RETURN(l.w, get(name + ".weight", {out, in}));
    FENLEI_ASSIGN_OR_RETURN(l.b, get(name + ".bias", {out}));
    return l;
  }

  Status layer_norm(const std::string& name, int dim, std::vector<float>* g,
                    std::vector<float>* b) const {
    const bool old = !has(name + ".weight") && has(name + ".gamma");
    FENLEI_ASSIGN_OR_RETURN(*g, get(name + (old ? ".gamma" : ".weight"), {dim}));
    FENLEI_ASSIGN_OR_RETURN(*b, get(name + (old ? ".beta" : ".bias"), {dim}));
    return Status();
  }

  Picker unprefixed() const { return Picker(t_, "", where_); }

 private:
  const hf::Tensor* find(const std::string& name) const {
    auto it = t_.find(prefix_ + name);
    return it == t_.end() ? nullptr : &it->second;
  }

  const hf::TensorMap& t_;
  std::string prefix_;
  std::string where_;
};

Linear fuse(const Linear& q, const Linear& k, const Linear& v) {
  Linear f;
  f.in = q.in;
  f.out = q.out + k.out + v.out;
  for (const Linear* p : {&q, &k, &v}) {
    f.w.insert(f.w.end(), p->w.begin(), p->w.end());
    f.b.insert(f.b.end(), p->b.begin(), p->b.end());
  }
  return f;
}

struct Ops {
  void (*linear)(const float*, int, const Linear&, float*);
  void (*layer_norm)(float*, int, int, const float*, const float*, float);
  bool reference;
  PackedInt8Fn int8 = nullptr;  // int8 dense layers of a quantised encoder (nullptr: the best)
};

// The fast path's dense layer: weights read in place by dense_kernels (no per-call packing).
void dense_into(const float* x, int rows, const Linear& l, float* y, bool accumulate) {
  DenseCall c;
  c.x = x;
  c.rows = rows;
  c.ldx = l.in;
  c.w = l.w.data();
  c.n = l.out;
  c.k = l.in;
  c.ldw = l.in;
  c.bias = l.b.data();
  c.y = y;
  c.ldy = l.out;
  c.accumulate = accumulate;
  best_dense_f32()(c);
}

// FENLEI_F32_KERNEL=blas keeps the float encoder on OpenBLAS (linear, self_attention): the
// previous path, for benchmarks that compare both in one run.
bool use_blas() {
  static const bool blas = [] {
    const char* env = std::getenv("FENLEI_F32_KERNEL");
    return env && std::string(env) == "blas";
  }();
  return blas;
}

void linear_fast(const float* x, int rows, const Linear& l, float* y) {
  if (use_blas()) {
    linear(x, rows, l, y);
    return;
  }
  dense_into(x, rows, l, y, false);
}

void act(const Ops& ops, hf::Activation a, float* x, long n) {
  if (!ops.reference) {
    activate(a, x, n);
    return;
  }
  for (long i = 0; i < n; ++i) x[i] = activate_ref(a, x[i]);
}

// Self-attention on the packed float kernels (attention.h). With s->pool, the heads are split
// over its threads (each head computed as one thread computes it).
void self_attention_fast(const float* qkv, int len, int query_rows, int hidden, int heads,
                         float* ctx, EncoderScratch* s) {
  const int tasks = intra_op_tasks(s->pool, 2 * int64_t{query_rows} * len * hidden, heads,
                                   s->min_parallel_macs);
  if (static_cast<int>(s->attention.size()) < tasks) s->attention.resize(tasks);
  const PackedF32Fn fn = best_packed_f32();
  if (tasks == 1) {
    attend_heads(fn, qkv, len, query_rows, hidden, heads, 0, heads, ctx, &s->attention[0]);
    return;
  }
  s->pool->run(tasks, [&](int t) {
    int h_begin, h_end;
    split_range(heads, tasks, t, &h_begin, &h_end);
    attend_heads(fn, qkv, len, query_rows, hidden, heads, h_begin, h_end, ctx, &s->attention[t]);
  });
}

// The last layer's attention output for [CLS] alone, without every row's keys and values
// (cls_attention.h): the query of row 0, then the heads split over s->pool's threads (each head
// computed as one thread computes it). Leaves row 0 of ctx.
void cls_attention(const ClsQkv& w, const float* x, int len, int hidden, int heads, float* ctx,
                   EncoderScratch* s) {
  // u and W_v xbar (h^2 each) stream their weights at ~40 % of the packed kernel's rate
  // (bench/cls_attention): counted twice, so that 768-wide layers split and 256-wide ones,
  // ~15 us in all, stay on the caller's thread.
  const int64_t macs = 4 * int64_t{hidden} * hidden + 2 * int64_t{heads} * len * hidden;
  const int tasks = intra_op_tasks(s->pool, macs, heads, s->min_parallel_macs);
  if (static_cast<int>(s->cls.size()) < tasks) s->cls.resize(tasks);
  s->cls_q.resize(static_cast<size_t>(hidden + kPanelWidth));
  cls_query(w, x, hidden, s->cls_q.data(), &s->cls[0], IntraOp{s->pool, s->min_parallel_macs});
  // int8 / bf16: the rows as their kernels see them, read by every thread's heads (cls[0].seen
  // is written here only).
  const float* rows = cls_rows_as_seen(w, x, len, hidden, &s->cls[0]);
  if (tasks == 1) {
    cls_attention_heads(w, rows, len, s->cls_q.data(), hidden, heads, 0, heads, ctx, &s->cls[0]);
    return;
  }
  s->pool->run(tasks, [&](int t) {
    int h_begin, h_end;
    split_range(heads, tasks, t, &h_begin, &h_end);
    cls_attention_heads(w, rows, len, s->cls_q.data(), hidden, heads, h_begin, h_end, ctx, &s->cls[t]);
  });
}

// y = x W^T + b with the weights packed at load (packed_dense.h).
// Split over s.pool's threads when large enough (packed_parallel.h).
// `next`: the weights run after these, prefetched during their last panel.
void packed_dense(const float* x, int rows, const PackedF32& w, const float* bias, float* y,
                  PackedEpilogue epilogue, const EncoderScratch& s, const PackedF32* next,
                  int panel_begin = 0, int panel_end = -1) {
  PackedCall c;
  c.panel_begin = panel_begin;
  c.panel_end = panel_end;
  c.x = x;
  c.rows = rows;
  c.ldx = w.k;
  c.w = &w;
  c.bias = bias;
  c.y = y;
  c.ldy = w.n;
  c.epilogue = epilogue;
  c.prefetch_next = next;
  packed_parallel(best_packed_f32(), c, s.pool, s.min_parallel_macs);
}

// Runs the encoder into s->x; with `cls_only`, the last layer computes only row 0 (all a
// classifier reads). Leaves rows x hidden in s->x, rows = 1 (cls_only) or ids.size().
void forward(const EncoderWeights& w, const std::vector<int32_t>& ids, const Ops& ops,
             bool cls_only, EncoderScratch* s) {
  const hf::EncoderConfig& c = w.config;
  const int len = std::clamp(static_cast<int>(ids.size()), 1, c.max_position_embeddings);
  const int e = c.embedding_size, h = c.hidden_size;
  std::vector<float>& x = s->x;
  x.resize(static_cast<size_t>(len) * h);
  std::vector<float>& emb = w.has_projection ? s->emb : x;
  emb.resize(static_cast<size_t>(len) * e);
  auto word_row = [&](int i) {
    const int32_t id = i < static_cast<int>(ids.size()) ? std::clamp<int32_t>(ids[i], 0, c.vocab_size - 1) : 0;
    return w.word_embeddings.data() + static_cast<long>(id) * e;
  };
  // Word rows are scattered over the table (MBs: in L3 or memory), so each is fetched a few
  // rows ahead of its use; without it the gather waited on ~half of a long text's lines.
  constexpr int kAhead = 4;
  for (int i = 0; i < len; ++i) {
    if (i + kAhead < len) {
      const char* next = reinterpret_cast<const char*>(word_row(i + kAhead));
      for (long b = 0; b < static_cast<long>(e) * 4; b += 64) __builtin_prefetch(next + b);
    }
    const float* word = word_row(i);
    const float* pos = w.position_embeddings.data() + static_cast<long>(i) * e;
    const float* type = w.token_type_embeddings.data();
    float* out = emb.data() + static_cast<long>(i) * e;
    for (int j = 0; j < e; ++j) out[j] = word[j] + pos[j] + type[j];
  }
  ops.layer_norm(emb.data(), len, e, w.embedding_ln_gamma.data(), w.embedding_ln_beta.data(),
                 c.layer_norm_eps);
  if (w.has_projection) ops.linear(emb.data(), len, w.projection, x.data());
  s->qkv.resize(static_cast<size_t>(len) * 3 * h);
  s->ctx.resize(static_cast<size_t>(len) * h);
  s->tmp.resize(static_cast<size_t>(len) * h);
  s->inter.resize(static_cast<size_t>(len) * c.intermediate_size);
  float* qkv = s->qkv.data();
  float* ctx = s->ctx.data();
  float* tmp = s->tmp.data();
  float* inter = s->inter.data();
  const PackedInt8Fn int8 = ops.int8 ? ops.int8 : best_packed_int8();
  const bool fast_float = !ops.reference && !w.quantized() && !w.bf16() && !use_blas();
  const bool pk = !ops.reference && w.packed();
  const IntraOp threads{s->pool, s->min_parallel_macs};  // int8 and bf16 layers split as float
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const EncoderLayer& layer = w.layers[l];
    const Int8Layer* q8 = w.quantized() ? &w.int8_layers[l] : nullptr;
    const Bf16Layer* b16 = w.bf16() ? &w.bf16_layers[l] : nullptr;
    // Int8Layer and Bf16Layer name their members alike; the int8 member picks the bf16 one.
    auto bf16_of = [&](const Int8Linear Int8Layer::*member) -> const Bf16Linear& {
      if (member == &Int8Layer::qkv) return b16->qkv;
      if (member == &Int8Layer::attention_out) return b16->attention_out;
      if (member == &Int8Layer::intermediate) return b16->intermediate;
      return b16->output;
    };
    auto dense = [&](const float* in, int n, const Linear& f, const Int8Linear Int8Layer::*member,
                     float* out) {
      if (b16) {
        linear_bf16(in, n, bf16_of(member), f.b.data(), out, PackedEpilogue::kStore, &s->xb, threads);
      } else if (q8) {
        linear_int8(in, n, q8->*member, out, int8, &s->int8, PackedEpilogue::kStore, threads);
      } else {
        ops.linear(in, n, f, out);
      }
    };
    // x += dense(in): the float fast path adds in the kernel's epilogue.
    auto dense_residual = [&](const float* in, int n, const Linear& f,
                              const Int8Linear Int8Layer::*member) {
      if (fast_float) {
        dense_into(in, n, f, x.data(), /*accumulate=*/true);
        return;
      }
      if (b16) {
        linear_bf16(in, n, bf16_of(member), f.b.data(), x.data(), PackedEpilogue::kAccumulate,
                    &s->xb, threads);
        return;
      }
      if (q8) {
        linear_int8(in, n, q8->*member, x.data(), int8, &s->int8, PackedEpilogue::kAccumulate,
                    threads);
        return;
      }
      dense(in, n, f, member, tmp);
      for (long i = 0; i < static_cast<long>(n) * h; ++i) x[i] += tmp[i];
    };
    const bool last = l + 1 == w.layers.size();
    const int rows = cls_only && last ? 1 : len;
    if (pk) {
      // Packed float weights: bias, residual and GELU in the kernels' epilogue.
      const PackedLayer& p = w.packed_layers[l];
      const PackedF32* next_qkv = last ? nullptr : &w.packed_layers[l + 1].qkv;
      const bool gelu = c.hidden_act == hf::Activation::kGeluErf;
      if (rows < len) {
        // Only [CLS] queries: its attention by algebra, no keys or values (cls_attention.h).
        ClsQkv kv;
        kv.f32 = &p.qkv;
        kv.bias = layer.qkv.b.data();
        cls_attention(kv, x.data(), len, h, c.num_heads, ctx, s);
      } else {
        packed_dense(x.data(), len, p.qkv, layer.qkv.b.data(), qkv, PackedEpilogue::kStore, *s,
                     &p.attention_out);
        self_attention_fast(qkv, len, rows, h, c.num_heads, ctx, s);
      }
      packed_dense(ctx, rows, p.attention_out, layer.attention_out.b.data(), x.data(),
                   PackedEpilogue::kAccumulate, *s, &p.intermediate);
      ops.layer_norm(x.data(), rows, h, layer.ln1_gamma.data(), layer.ln1_beta.data(),
                     c.layer_norm_eps);
      packed_dense(x.data(), rows, p.intermediate, layer.intermediate.b.data(), inter,
                   gelu ? PackedEpilogue::kGelu : PackedEpilogue::kStore, *s, &p.output);
      if (!gelu) act(ops, c.hidden_act, inter, static_cast<long>(rows) * c.intermediate_size);
      packed_dense(inter, rows, p.output, layer.output.b.data(), x.data(), PackedEpilogue::kAccumulate,
                   *s, next_qkv);
      ops.layer_norm(x.data(), rows, h, layer.ln2_gamma.data(), layer.ln2_beta.data(),
                     c.layer_norm_eps);
      continue;
    }
    if (rows < len && (q8 || b16) && !ops.reference) {
      // Only [CLS] queries: its attention by algebra on the bf16 / int8 weights.
      ClsQkv kv;
      kv.bf16 = b16 ? &b16->qkv : nullptr;
      kv.int8 = b16 ? nullptr : &q8->qkv;
      kv.bias = layer.qkv.b.data();
      kv.int8_kernel = int8;
      cls_attention(kv, x.data(), len, h, c.num_heads, ctx, s);
    } else {
      dense(x.data(), len, layer.qkv, &Int8Layer::qkv, qkv);
      if (ops.reference) {
        self_attention_ref(qkv, len, h, c.num_heads, ctx);
      } else if (use_blas()) {
        self_attention(qkv, len, rows, h, c.num_heads, ctx);
      } else {
        self_attention_fast(qkv, len, rows, h, c.num_heads, ctx, s);
      }
    }
    dense_residual(ctx, rows, layer.attention_out, &Int8Layer::attention_out);
    ops.layer_norm(x.data(), rows, h, layer.ln1_gamma.data(), layer.ln1_beta.data(),
                   c.layer_norm_eps);
    if (b16 && c.hidden_act == hf::Activation::kGeluErf) {  // GELU in the kernel's epilogue
      linear_bf16(x.data(), rows, b16->intermediate, layer.intermediate.b.data(), inter,
                  PackedEpilogue::kGelu, &s->xb, threads);
    } else if (q8 && c.hidden_act == hf::Activation::kGeluErf) {
      linear_int8(x.data(), rows, q8->intermediate, inter, int8, &s->int8, PackedEpilogue::kGelu,
                  threads);
    } else {
      dense(x.data(), rows, layer.intermediate, &Int8Layer::intermediate, inter);
      act(ops, c.hidden_act, inter, static_cast<long>(rows) * c.intermediate_size);
    }
    dense_residual(inter, rows, layer.output, &Int8Layer::output);
    ops.layer_norm(x.data(), rows, h, layer.ln2_gamma.data(), layer.ln2_beta.data(),
                   c.layer_norm_eps);
  }
}

std::vector<float> forward_copy(const EncoderWeights& w, const std::vector<int32_t>& ids,
                                const Ops& ops, bool cls_only) {
  EncoderScratch s;
  forward(w, ids, ops, cls_only, &s);
  if (cls_only) s.x.resize(w.config.hidden_size);
  return std::move(s.x);
}

EncoderScratch& thread_scratch() {
  thread_local EncoderScratch s;
  return s;
}

std::vector<float> head(const EncoderWeights& w, const float* cls, const Ops& ops) {
  std::vector<float> hidden(w.head_dense.out), logits(w.head_out.out);
  ops.linear(cls, 1, w.head_dense, hidden.data());
  if (w.head == HeadKind::kBertPooler) {
    for (float& v : hidden) v = std::tanh(v);
  } else {
    act(ops, hf::Activation::kGeluErf, hidden.data(), static_cast<long>(hidden.size()));
  }
  ops.linear(hidden.data(), 1, w.head_out, logits.data());
  return logits;
}

const Ops kFast{linear_fast, layer_norm, false, nullptr};
const Ops kRef{linear_ref, layer_norm_ref, true, nullptr};

}  // namespace

StatusOr<EncoderWeights> build_encoder(const hf::EncoderConfig& c, const hf::TensorMap& tensors,
                                       const std::string& where) {
  EncoderWeights w;
  w.config = c;
  const std::string prefix = c.model_type + ".";
  const bool prefixed = tensors.count(prefix + "embeddings.word_embeddings.weight") > 0;
  const Picker top(tensors, "", where);
  const Picker p = prefixed ? Picker(tensors, prefix, where) : top;
  const int e = c.embedding_size, h = c.hidden_size;
  FENLEI_ASSIGN_OR_RETURN(w.word_embeddings,
                          p.get("embeddings.word_embeddings.weight", {c.vocab_size, e}));
  FENLEI_ASSIGN_OR_RETURN(w.position_embeddings, p.get("embeddings.position_embeddings.weight",
                                                       {c.max_position_embeddings, e}));
  FENLEI_ASSIGN_OR_RETURN(w.token_type_embeddings, p.get("embeddings.token_type_embeddings.weight",
                                                         {c.type_vocab_size, e}));
  FENLEI_RETURN_IF_ERROR(
      p.layer_norm("embeddings.LayerNorm", e, &w.embedding_ln_gamma, &w.embedding_ln_beta));
  if (p.has("embeddings_project.weight") || e != h) {
    w.has_projection = true;
    FENLEI_ASSIGN_OR_RETURN(w.projection, p.linear("embeddings_project", e, h));
  }
  for (int i = 0; i < c.num_layers; ++i) {
    const std::string at = "encoder.layer." + std::to_string(i) + ".";
    EncoderLayer layer;
    FENLEI_ASSIGN_OR_RETURN(Linear q, p.linear(at + "attention.self.query", h, h));
    FENLEI_ASSIGN_OR_RETURN(Linear k, p.linear(at + "attention.self.key", h, h));
    FENLEI_ASSIGN_OR_RETURN(Linear v, p.linear(at + "attention.self.value", h, h));
    layer.qkv = fuse(q, k, v);
    FENLEI_ASSIGN_OR_RETURN(layer.attention_out, p.linear(at + "attention.output.dense", h, h));
    FENLEI_RETURN_IF_ERROR(
        p.layer_norm(at + "attention.output.LayerNorm", h, &layer.ln1_gamma, &layer.ln1_beta));
    FENLEI_ASSIGN_OR_RETURN(layer.intermediate,
                            p.linear(at + "intermediate.dense", h, c.intermediate_size));
    FENLEI_ASSIGN_OR_RETURN(layer.output, p.linear(at + "output.dense", c.intermediate_size, h));
    FENLEI_RETURN_IF_ERROR(p.layer_norm(at + "output.LayerNorm", h, &layer.ln2_gamma, &layer.ln2_beta));
    w.layers.push_back(std::move(layer));
  }
  if (top.has("classifier.out_proj.weight")) {
    w.head = HeadKind::kElectra;
    FENLEI_ASSIGN_OR_RETURN(w.head_dense, top.linear("classifier.dense", h, h));
    const int labels = static_cast<int>(tensors.at("classifier.out_proj.weight").shape.at(0));
    FENLEI_ASSIGN_OR_RETURN(w.head_out, top.linear("classifier.out_proj", h, labels));
  } else if (top.has("classifier.weight") && p.has("pooler.dense.weight")) {
    w.head = HeadKind::kBertPooler;
    FENLEI_ASSIGN_OR_RETURN(w.head_dense, p.linear("pooler.dense", h, h));
    const int labels = static_cast<int>(tensors.at("classifier.weight").shape.at(0));
    FENLEI_ASSIGN_OR_RETURN(w.head_out, top.linear("classifier", h, labels));
  } else if (c.model_type == "bert" && p.has("pooler.dense.weight")) {
    // A bare BertModel: no head, but its pretrained pooler is kept for fine-tuning to start from.
    FENLEI_ASSIGN_OR_RETURN(w.head_dense, p.linear("pooler.dense", h, h));
  }
  if (w.head != HeadKind::kNone) {
    if (w.head_out.out < 1 || w.head_out.out > 100000)
      return invalid_argument_error(where + ": classifier has " + std::to_string(w.head_out.out) +
                                    " labels");
    if (!c.labels.empty() && static_cast<int>(c.labels.size()) != w.head_out.out)
      return invalid_argument_error(where + ": config.json id2label has " +
                                    std::to_string(c.labels.size()) + " labels, the classifier " +
                                    std::to_string(w.head_out.out));
  }
  return w;
}

std::vector<float> classify_logits(const EncoderWeights& w, const std::vector<int32_t>& ids,
                                   PackedInt8Fn int8, EncoderScratch* scratch) {
  Ops ops = kFast;
  ops.int8 = int8;
  EncoderScratch* s = scratch ? scratch : &thread_scratch();
  forward(w, ids, ops, /*cls_only=*/true, s);
  return head(w, s->x.data(), kFast);
}

EncoderWeights quantize_encoder(const EncoderWeights& f) {
  EncoderWeights w = f;
  w.int8_layers.clear();
  for (EncoderLayer& layer : w.layers) {
    Int8Layer q;
    q.qkv = quantize_linear(layer.qkv);
    q.attention_out = quantize_linear(layer.attention_out);
    q.intermediate = quantize_linear(layer.intermediate);
    q.output = quantize_linear(layer.output);
    for (Linear* l : {&layer.qkv, &layer.attention_out, &layer.intermediate, &layer.output}) {
      l->w.clear();
      l->w.shrink_to_fit();
    }
    w.int8_layers.push_back(std::move(q));
  }
  return w;
}

EncoderWeights bf16_encoder(const EncoderWeights& f) {
  EncoderWeights w = f;
  w.bf16_layers.clear();
  for (EncoderLayer& layer : w.layers) {
    Bf16Layer b;
    b.qkv = to_bf16_linear(layer.qkv);
    b.attention_out = to_bf16_linear(layer.attention_out);
    b.intermediate = to_bf16_linear(layer.intermediate);
    b.output = to_bf16_linear(layer.output);
    for (Linear* l : {&layer.qkv, &layer.attention_out, &layer.intermediate, &layer.output}) {
      l->w.clear();
      l->w.shrink_to_fit();
    }
    w.bf16_layers.push_back(std::move(b));
  }
  return w;
}

std::vector<float> encode_hidden(const EncoderWeights& w, const std::vector<int32_t>& ids) {
  return forward_copy(w, ids, kFast, /*cls_only=*/false);
}

std::vector<float> encode_cls(const EncoderWeights& w, const std::vector<int32_t>& ids,
                              EncoderScratch* scratch) {
  EncoderScratch* s = scratch ? scratch : &thread_scratch();
  forward(w, ids, kFast, /*cls_only=*/true, s);
  return std::vector<float>(s->x.begin(), s->x.begin() + w.config.hidden_size);
}

std::vector<float> classify_logits_ref(const EncoderWeights& w, const std::vector<int32_t>& ids) {
  if (w.packed()) return classify_logits_ref(unpack_encoder(w), ids);
  const std::vector<float> hidden = forward_copy(w, ids, kRef, /*cls_only=*/false);
  return head(w, hidden.data(), kRef);
}

EncoderWeights pack_encoder(EncoderWeights w) {
  if (w.quantized() || w.bf16() || w.packed()) return w;
  for (EncoderLayer& layer : w.layers) {
    PackedLayer p;
    PackedF32* out[] = {&p.qkv, &p.attention_out, &p.intermediate, &p.output};
    Linear* in[] = {&layer.qkv, &layer.attention_out, &layer.intermediate, &layer.output};
    for (int i = 0; i < 4; ++i) {
      *out[i] = pack_f32(in[i]->w.data(), in[i]->out, in[i]->in, in[i]->in);
      in[i]->w.clear();  // held once: the packed copy replaces it
      in[i]->w.shrink_to_fit();
    }
    w.packed_layers.push_back(std::move(p));
  }
  return w;
}

EncoderWeights unpack_encoder(const EncoderWeights& packed) {
  EncoderWeights w = packed;
  w.packed_layers.clear();
  for (size_t l = 0; l < w.layers.size() && packed.packed(); ++l) {
    const PackedLayer& p = packed.packed_layers[l];
    w.layers[l].qkv.w = unpack_f32(p.qkv);
    w.layers[l].attention_out.w = unpack_f32(p.attention_out);
    w.layers[l].intermediate.w = unpack_f32(p.intermediate);
    w.layers[l].output.w = unpack_f32(p.output);
  }
  return w;
}

int64_t encoder_parameter_count(const EncoderWeights& w) {
  int64_t n = 0;
  if (!w.packed()) {
    for (const auto& t : encoder_to_tensors(w)) n += t.numel();
    return n;
  }
  auto linear = [](const Linear& l) { return static_cast<int64_t>(l.in) * l.out + static_cast<int64_t>(l.b.size()); };
  n += static_cast<int64_t>(w.word_embeddings.size() + w.position_embeddings.size() +
                            w.token_type_embeddings.size() + w.embedding_ln_gamma.size() +
                            w.embedding_ln_beta.size());
  if (w.has_projection) n += linear(w.projection);
  for (const EncoderLayer& l : w.layers)
    n += linear(l.qkv) + linear(l.attention_out) + linear(l.intermediate) + linear(l.output) +
         static_cast<int64_t>(l.ln1_gamma.size() + l.ln1_beta.size() + l.ln2_gamma.size() + l.ln2_beta.size());
  if (!w.head_dense.b.empty()) n += linear(w.head_dense);
  if (w.head != HeadKind::kNone) n += linear(w.head_out);
  return n;
}

void softmax_in_place(std::vector<float>* v) {
  if (v->empty()) return;
  const float mx = *std::max_element(v->begin(), v->end());
  double sum = 0;
  for (float& x : *v) sum += (x = std::exp(x - mx));
  for (float& x : *v) x = static_cast<float>(x / sum);
}

}  // namespace fenlei::transformer
