// The inside of fenlei::Classifier, shared with tools (predict, test, serve, explain) that need
// the model directly: the loaded model (engine + tokenizer + labels), immutable after load.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "format/model_file.h"
#include "core/model_bundle.h"
#include "fenlei/classifier.h"
#include "nn/batch.h"

namespace fenlei {

class Classifier::Workspace {
 public:
  core::Scratch scratch;  // the engine's (any engine's) scratch
  nn::Batch batch;
  std::vector<int32_t> ids;
  std::vector<float> probabilities;
};

struct Classifier::Impl {
  core::ModelBundle model;
  ModelInfo info;
  int intra_op_threads = 1;  // LoadOptions::intra_op_threads, handed to the engine per call

  // Probabilities (n x labels) for texts [begin, end), which must be valid UTF-8.
  void probabilities(const std::vector<std::string>& texts, size_t begin, size_t end,
                     Classifier::Workspace& ws, float* out) const;
  // Probabilities (batch.size() x labels) of already encoded texts (ws.batch is not used).
  void run(const nn::Batch& batch, Classifier::Workspace& ws, float* out) const;
};

// The calling thread's scratch for the calls that take no Workspace: one per thread, shared by
// predict, probabilities and explain (they never nest, so they never use it at the same time).
Classifier::Workspace& thread_workspace();

// Builds a classifier from a model the loaders have just parsed: `model` made from `file`,
// which was parsed from `file_bytes` (may be empty). info() is filled here, once: checksum and
// size from the bytes, format version and tensor dtypes from `file`, the rest from the model.
StatusOr<std::shared_ptr<const Classifier>> make_classifier(core::ModelBundle model,
                                                            const format::ModelFile& file,
                                                            std::string_view file_bytes,
                                                            const LoadOptions& options = {});

}  // namespace fenlei
