// The inside of fenlei::Classifier, shared with tools (predict, test, serve, explain) that need
// the engine directly: the loaded bundle plus its preprocessor, immutable after load.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/model_bundle.h"
#include "core/preprocessor.h"
#include "fenlei/classifier.h"
#include "nn/batch.h"
#include "nn/token_projection.h"
#include "nn/workspace.h"
#include "quant/int8_model.h"

namespace fenlei {

class Classifier::Workspace {
 public:
  nn::Workspace nn;
  quant::Int8Workspace int8;  // scratch of the int8 engine (quantised models)
  nn::Batch batch;
  std::vector<int32_t> ids;
  std::vector<float> probabilities;
};

struct Classifier::Impl {
  core::ModelBundle bundle;
  std::shared_ptr<const core::Preprocessor> preprocessor;
  ModelInfo info;
  // Per-token conv projections of a float cnn (null otherwise): the fast inference path.
  std::unique_ptr<const nn::TokenProjection> projection;

  // Probabilities (n x labels) for texts [begin, end), which must be valid UTF-8.
  void probabilities(const std::vector<std::string>& texts, size_t begin, size_t end,
                     Classifier::Workspace& ws, float* out) const;
  // Probabilities (batch.size() x labels) of already encoded texts (ws.batch is not used).
  void run(const nn::Batch& batch, Classifier::Workspace& ws, float* out) const;
};

// The calling thread's scratch for the calls that take no Workspace: one per thread, shared by
// predict, probabilities and explain (they never nest, so they never use it at the same time).
Classifier::Workspace& thread_workspace();

// Builds a classifier from a bundle already in memory (used by training to evaluate and by
// the loaders). `file_bytes` (may be empty) fills the checksum and size in info(), and
// `format_version` the version the file was written with.
StatusOr<std::shared_ptr<const Classifier>> make_classifier(core::ModelBundle bundle,
                                                            std::string_view file_bytes,
                                                            uint32_t format_version);

}  // namespace fenlei
