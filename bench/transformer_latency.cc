// Encoder latency and throughput of fenlei on a Hugging Face checkpoint directory: model compute
// only (texts are tokenised first), one thread. bench/transformer_bench.sh runs it next to
// PyTorch and ONNX Runtime on the same ids.
//   ./transformer_latency DIR IDS.jsonl [--int8 | --bf16 | --unpacked] [--single N] [--batches N]
//                         [--threads N] [--wall]
// --threads N (N > 1): one text's packed float layers and attention heads split over N threads
// (EncoderScratch::pool); times are then wall-clock (CPU time would add the threads up), as
// with --wall.
// Float runs on weights packed at load as EncoderEngine holds them; --unpacked keeps the
// [out][in] weights and the dot-product kernels (the path before packing).
// IDS.jsonl: one JSON array of token ids per line (what the reference script wrote).
// Prints one JSON object: single-text p50/p99 in ms, batch-of-32 texts/s, GFLOP/s, resident
// memory (whole process, and what loading the model added). Times are this process's CPU time
// (one thread): on a shared machine wall time measures the neighbours.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "transformer/checkpoint.h"
#include "transformer/dense_kernels.h"
#include "transformer/packed_parallel.h"

namespace {

using namespace fenlei;
double rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  return 0;
}

double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Multiply-adds x2 of one text of `len` tokens through the encoder (dense layers + attention),
// with the last layer computing only [CLS] as fenlei does: its query, u = W_k^T q per head,
// the scores and the weighted sum of the rows per head, the values' product, attention output
// and FFN for the one row (src/transformer/cls_attention.h). What fenlei computes, not what a
// full layer would (that counted 2 len h^2 for the keys and values).
double flops(const hf::EncoderConfig& c, int len) {
  const double h = c.hidden_size, f = c.intermediate_size;
  const double full = len * (4 * h * h + 2 * h * f) + 2.0 * len * len * h;
  const double last = 4 * h * h + 2 * h * f + 2.0 * c.num_heads * len * h;
  double e = 0;
  if (c.embedding_size != c.hidden_size) e = len * double(c.embedding_size) * h;
  return 2 * ((c.num_layers - 1) * full + last + e);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: transformer_latency DIR IDS.jsonl [--int8] [--single N] [--batches N]\n";
    return 2;
  }
  bool int8 = false, bf16 = false, unpacked = false, wall_clock = false;
  int single = 100, batches = 4, threads = 1;
  bool spin = true;
  for (int i = 3; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--int8")) int8 = true;
    if (!std::strcmp(argv[i], "--bf16")) bf16 = true;
    if (!std::strcmp(argv[i], "--unpacked")) unpacked = true;
    if (!std::strcmp(argv[i], "--wall")) wall_clock = true;
    if (!std::strcmp(argv[i], "--no-spin")) spin = false;
    if (!std::strcmp(argv[i], "--single") && i + 1 < argc) single = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--batches") && i + 1 < argc) batches = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
  }
  // As the engine's intra-op pools (encoder_engine.cc); --no-spin: threads that always sleep.
  ThreadPool pool(threads, spin ? transformer::kIntraOpSpinMicroseconds : 0);
  transformer::EncoderScratch scratch;
  scratch.pool = &pool;
  const bool wall = threads > 1 || wall_clock;
  const auto now_ms = [&] {
    return wall ? std::chrono::duration<double, std::milli>(
                      std::chrono::steady_clock::now().time_since_epoch()).count()
                : cpu_ms();
  };
  const double rss_before = rss_mb();
  transformer::EncoderWeights w;
  {
    auto ck = transformer::read_checkpoint(argv[1]);
    if (!ck.ok()) {
      std::cerr << ck.status().to_string() << "\n";
      return 1;
    }
    w = int8   ? transformer::quantize_encoder(ck->encoder)
        : bf16 ? transformer::bf16_encoder(ck->encoder)
               : std::move(ck->encoder);
  }
  const char* env = std::getenv("FENLEI_F32_KERNEL");
  const bool blas = !int8 && !bf16 && env && std::string(env) == "blas";
  if (!blas && !unpacked) w = transformer::pack_encoder(std::move(w));  // the checkpoint's tensors are freed here, as after `fenlei import`
  malloc_trim(0);  // hand freed heap back, so that RSS counts what the model holds
  std::vector<std::vector<int32_t>> texts;
  std::ifstream in(argv[2]);
  std::string line;
  while (std::getline(in, line)) texts.push_back(nlohmann::json::parse(line).get<std::vector<int32_t>>());
  if (texts.empty()) return 1;

  for (int i = 0; i < 3; ++i) transformer::classify_logits(w, texts[i % texts.size()], nullptr, &scratch);  // warm-up
  std::vector<double> lat;
  double total_flops = 0, total_ms = 0;
  for (int i = 0; i < single; ++i) {
    const auto& ids = texts[i % texts.size()];
    const double t = now_ms();
    transformer::classify_logits(w, ids, nullptr, &scratch);
    lat.push_back(now_ms() - t);
    total_flops += flops(w.config, static_cast<int>(ids.size()));
    total_ms += lat.back();
  }
  std::sort(lat.begin(), lat.end());
  const auto pct = [&](double p) { return lat[std::min(lat.size() - 1, size_t(p * lat.size()))]; };

  // Batches of 32 consecutive texts; each text runs at its own length (no padding).
  double batch_ms = 0;
  int batch_texts = 0;
  for (int b = 0; b < batches; ++b) {
    const double t = now_ms();
    for (int i = 0; i < 32; ++i)
      transformer::classify_logits(w, texts[(b * 32 + i) % texts.size()], nullptr, &scratch);
    batch_ms += now_ms() - t;
    batch_texts += 32;
  }
  // FENLEI_F32_KERNEL=blas: the float encoder on OpenBLAS, as before the own kernels.
  const char* kernel = int8   ? transformer::best_packed_int8_name()
                       : bf16 ? transformer::best_packed_bf16_name()
                       : blas ? "openblas"
                              : transformer::best_dense_f32_name();
  const char* system = int8       ? "fenlei-int8"
                       : bf16     ? "fenlei-bf16"
                       : blas     ? "fenlei-openblas"
                       : unpacked ? "fenlei-unpacked"
                                  : "fenlei";
  nlohmann::json out = {{"system", system},
                        {"threads", threads},
                        {"clock", wall ? "wall" : "process_cpu"},
                        {"kernel", kernel},
                        {"rss_mb", rss_mb()},
                        {"rss_model_mb", rss_mb() - rss_before},
                        {"p50_ms", pct(0.5)},
                        {"p99_ms", pct(0.99)},
                        {"batch32_texts_per_s", batch_texts / (batch_ms / 1000.0)},
                        {"gflops", total_flops / (total_ms / 1000.0) / 1e9}};
  std::cout << out.dump() << "\n";
  return 0;
}
