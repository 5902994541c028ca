// The server's view of a model: anything that classifies batches of texts. The server never names
// fenlei::Classifier, so it can be tested with fakes; tools/fenlei/cmd_serve.cc adapts the real one.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fenlei/classifier.h"
#include "fenlei/status.h"

namespace fenlei::server {

// Implementations must be thread-safe: predict() is called from several worker threads at once.
class Predictor {
 public:
  virtual ~Predictor() = default;
  // One Prediction per text, in order. INVALID_ARGUMENT for a text the model cannot take.
  virtual StatusOr<std::vector<Prediction>> predict(const std::vector<std::string>& texts,
                                                    const PredictOptions& options) const = 0;
  virtual const ModelInfo& info() const = 0;
  // Leave-one-out token weights of one text (Classifier::explain). Models that cannot explain
  // (test fakes) keep this default: UNIMPLEMENTED, answered 501.
  virtual StatusOr<Explanation> explain(std::string_view text,
                                        const ExplainOptions& options) const {
    (void)text;
    (void)options;
    return Status(StatusCode::kUnimplemented, "this model cannot explain its predictions");
  }
};

// Loads and validates the model file at `path` (used at start-up and on every reload).
using PredictorLoader =
    std::function<StatusOr<std::shared_ptr<const Predictor>>(const std::string& path)>;

}  // namespace fenlei::server
