// A float model against its int8 quantisation, in one process, on the same texts: test
// accuracy of both, then the held-out texts repeated to --texts (24,000 by default) and timed
// (1) as model compute only (texts encoded once, batches of --batch through the engine) and
// (2) end to end through Classifier::predict (segmentation included). Both models' lazy tables
// are filled first (warm_up; its cost is reported), and the rounds alternate float and int8 so
// that the shared machine's load hits both alike; the best round is reported. Times are the
// calling thread's CPU time (everything runs on it): on the oversubscribed 2-core VM wall
// time is mostly waiting for a core (wall times are reported too, *_wall_ms). One JSON object.
//   quant_speed FLOAT.fenlei INT8.fenlei TEST.tsv [--texts 24000] [--rounds 5] [--batch 256]
//               [--int8-conv gemm]
// FENLEI_CONV_KERNEL=gemm runs both engines' conv GEMM paths instead of their projections;
// --int8-conv gemm only the int8 engine's (the state before the int8 projections).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/classifier_impl.h"
#include "fenlei/classifier.h"
#include "data/dataset.h"

using Clock = std::chrono::steady_clock;
using fenlei::Classifier;

namespace {

double ms_since(Clock::time_point s) {
  return std::chrono::duration<double, std::milli>(Clock::now() - s).count();
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

struct Model {
  std::shared_ptr<const Classifier> classifier;
  std::vector<fenlei::nn::Batch> batches;  // the encoded texts
  double load_ms = 0, warm_up_ms = 0, accuracy = 0;
  double best_compute_ms = 1e300, best_predict_ms = 1e300;
  double best_compute_wall_ms = 1e300, best_predict_wall_ms = 1e300;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s FLOAT INT8 TEST.tsv [--texts N] [--rounds R] [--batch B]\n",
                 argv[0]);
    return 2;
  }
  size_t total = 24000, batch = 256;
  int rounds = 5;
  bool int8_gemm = false;
  for (int i = 4; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--int8-conv")) int8_gemm = !std::strcmp(argv[i + 1], "gemm");
    if (!std::strcmp(argv[i], "--texts")) total = std::stoul(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--batch")) batch = std::stoul(argv[i + 1]);
  }
  auto data = fenlei::data::read_dataset(argv[3], {});
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().message().c_str());
    return 1;
  }
  std::vector<std::string> texts;
  while (texts.size() < total)
    for (const auto& e : data->examples)
      if (texts.size() < total) texts.push_back(e.text);
  const fenlei::PredictOptions options;

  Model models[2];
  for (int k = 0; k < 2; ++k) {
    Model& m = models[k];
    if (k == 1 && int8_gemm) setenv("FENLEI_CONV_KERNEL", "gemm", 1);
    const auto s = Clock::now();
    auto c = Classifier::load(argv[1 + k]);
    if (k == 1 && int8_gemm) unsetenv("FENLEI_CONV_KERNEL");
    if (!c.ok()) {
      std::fprintf(stderr, "%s\n", c.status().message().c_str());
      return 1;
    }
    m.load_ms = ms_since(s);
    m.classifier = *c;
    const Classifier::Impl& impl = m.classifier->impl();
    const auto w = Clock::now();
    m.classifier->warm_up();
    m.warm_up_ms = ms_since(w);
    size_t correct = 0;
    for (const auto& e : data->examples) {
      auto p = m.classifier->predict_one(e.text, options);
      if (!p.ok()) return 1;
      correct += p->label == e.label;
    }
    m.accuracy = double(correct) / double(data->examples.size());
    std::vector<int32_t> ids;
    for (size_t b = 0; b < texts.size(); b += batch) {
      fenlei::nn::Batch nb;
      for (size_t i = b; i < std::min(texts.size(), b + batch); ++i) {
        impl.model.tokenizer->encode(texts[i], &ids);
        nb.add(ids);
      }
      m.batches.push_back(std::move(nb));
    }
  }

  std::vector<float> out(batch * 64);
  for (int r = 0; r < rounds; ++r) {
    for (Model& m : models) {
      const Classifier::Impl& impl = m.classifier->impl();
      Classifier::Workspace ws;
      const size_t classes = m.classifier->info().labels.size();
      out.resize(batch * classes);
      const auto s = Clock::now();
      const double c = thread_cpu_ms();
      for (const auto& b : m.batches) impl.run(b, ws, out.data());
      m.best_compute_ms = std::min(m.best_compute_ms, thread_cpu_ms() - c);
      m.best_compute_wall_ms = std::min(m.best_compute_wall_ms, ms_since(s));
    }
    for (Model& m : models) {
      const auto s = Clock::now();
      const double c = thread_cpu_ms();
      for (size_t b = 0; b < texts.size(); b += batch) {
        const std::vector<std::string> chunk(
            texts.begin() + long(b), texts.begin() + long(std::min(texts.size(), b + batch)));
        if (!m.classifier->predict(chunk, options).ok()) return 1;
      }
      m.best_predict_ms = std::min(m.best_predict_ms, thread_cpu_ms() - c);
      m.best_predict_wall_ms = std::min(m.best_predict_wall_ms, ms_since(s));
    }
  }
  auto report = [](const Model& m) {
    return nlohmann::json{{"load_ms", m.load_ms},
                          {"warm_up_ms", m.warm_up_ms},
                          {"accuracy", m.accuracy},
                          {"compute_ms", m.best_compute_ms},
                          {"predict_ms", m.best_predict_ms},
                          {"compute_wall_ms", m.best_compute_wall_ms},
                          {"predict_wall_ms", m.best_predict_wall_ms}};
  };
  const nlohmann::json j = {
      {"model", models[0].classifier->info().architecture},
      {"texts", texts.size()},
      {"test_examples", data->examples.size()},
      {"rounds", rounds},
      {"int8_conv", int8_gemm ? "gemm" : "default"},
      {"batch", batch},
      {"float", report(models[0])},
      {"int8", report(models[1])},
      {"compute_speedup", models[0].best_compute_ms / models[1].best_compute_ms},
      {"predict_speedup", models[0].best_predict_ms / models[1].best_predict_ms},
      {"accuracy_delta_points", 100.0 * (models[1].accuracy - models[0].accuracy)}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
