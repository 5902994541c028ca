// A fake Predictor for the server tests: labels a text "pos" if it contains 好, "neg" if it
// contains 差, else "neutral"; can be slowed down, can fail; records every batch size it sees.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server/predictor.h"

namespace fenlei::server::testing {

// Shared by the fake and the test, which turns the knobs while requests run.
struct FakeControl {
  std::atomic<int> delay_ms{0};
  std::atomic<int> loads{0};
  std::atomic<bool> can_explain{true};  // false: the Predictor default (UNIMPLEMENTED)
  std::mutex mutex;
  std::vector<size_t> batch_sizes;
  std::vector<std::string> versions_used;  // info().architecture of the model of each batch
  std::vector<std::thread::id> threads_used;  // the thread that ran each batch

  std::vector<size_t> batches() {
    std::lock_guard<std::mutex> lock(mutex);
    return batch_sizes;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex);
    batch_sizes.clear();
    versions_used.clear();
    threads_used.clear();
  }
};

class FakePredictor : public Predictor {
 public:
  FakePredictor(std::shared_ptr<FakeControl> control, std::string tag)
      : control_(std::move(control)) {
    info_.architecture = std::move(tag);
    info_.labels = {"neg", "neutral", "pos"};
    info_.max_len = 64;
    info_.vocab_size = 1000;
    info_.checksum = "deadbeef";
    info_.tokenizer = "word";
    info_.metadata_json = R"({"epochs": 3})";
  }

  StatusOr<std::vector<Prediction>> predict(const std::vector<std::string>& texts,
                                            const PredictOptions& options) const override {
    {
      std::lock_guard<std::mutex> lock(control_->mutex);
      control_->batch_sizes.push_back(texts.size());
      control_->versions_used.push_back(info_.architecture);
      control_->threads_used.push_back(std::this_thread::get_id());
    }
    if (int ms = control_->delay_ms.load(); ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
    std::vector<Prediction> out;
    for (const auto& text : texts) {
      if (text == "FAIL") return invalid_argument_error("the fake refuses 'FAIL'");
      std::vector<ScoredLabel> all;
      if (text.find("好") != std::string::npos) {
        all = {{"pos", 0.8f}, {"neutral", 0.15f}, {"neg", 0.05f}};
      } else if (text.find("差") != std::string::npos) {
        all = {{"neg", 0.7f}, {"neutral", 0.2f}, {"pos", 0.1f}};
      } else {
        all = {{"neutral", 0.5f}, {"pos", 0.3f}, {"neg", 0.2f}};
      }
      Prediction p;
      p.label = all[0].label;
      p.score = all[0].score;
      const size_t k = std::min<size_t>(static_cast<size_t>(std::max(options.k, 1)), all.size());
      for (size_t i = 0; i < k; ++i) {
        if (all[i].score >= options.threshold) p.top_k.push_back(all[i]);
      }
      out.push_back(std::move(p));
    }
    return out;
  }

  const ModelInfo& info() const override { return info_; }

  // One token per byte-sequence between spaces; "好" weighs +0.5 for "pos", everything else 0.
  StatusOr<Explanation> explain(std::string_view text,
                                const ExplainOptions& options) const override {
    if (!control_->can_explain.load()) return Predictor::explain(text, options);
    auto predicted = predict({std::string(text)}, PredictOptions{});
    if (!predicted.ok()) return predicted.status();
    Explanation e;
    e.label = options.label.empty() ? (*predicted)[0].label : options.label;
    if (std::find(info_.labels.begin(), info_.labels.end(), e.label) == info_.labels.end())
      return invalid_argument_error("unknown label '" + e.label + "'");
    e.score = (*predicted)[0].score;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find(' ', start);
      if (end == std::string_view::npos) end = text.size();
      if (end > start) {
        TokenAttribution a;
        a.token = std::string(text.substr(start, end - start));
        a.weight = (a.token == "好" && e.label == "pos") ? 0.5f : 0.0f;
        e.tokens.push_back(std::move(a));
      }
      start = end + 1;
    }
    return e;
  }

 private:
  std::shared_ptr<FakeControl> control_;
  ModelInfo info_;
};

// Paths starting with "bad" fail to load; any other path loads a fake tagged "v<load count>".
inline PredictorLoader fake_loader(std::shared_ptr<FakeControl> control) {
  return [control](const std::string& path) -> StatusOr<std::shared_ptr<const Predictor>> {
    if (path.rfind("bad", 0) == 0) return data_loss_error(path + ": truncated model file");
    const int n = ++control->loads;
    return std::shared_ptr<const Predictor>(
        std::make_shared<FakePredictor>(control, "v" + std::to_string(n)));
  };
}

}  // namespace fenlei::server::testing
