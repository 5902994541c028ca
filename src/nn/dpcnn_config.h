// The dpcnn preset's architecture values and the dpcnn-specific checks of ModelConfig, kept
// apart from config.cc so the architecture lives in one place (nn/dpcnn.h has the network).
#pragma once

#include "fenlei/status.h"
#include "nn/config.h"

namespace fenlei::nn {

// Johnson & Zhang (2017), as in the paper's text-only setting: 250 channels everywhere, region
// width 3. Embeddings of 128 (the paper's region embedding reads one-hot or unsupervised
// embeddings; a trained 128-dim table is the CNN-rand analogue). Seven downsampling blocks take
// a text of up to 2^7 = 128 tokens (the preset's max_len) down to one position.
inline void set_dpcnn_preset(ModelConfig* c) {
  c->arch = Arch::kDpcnn;
  c->embed_dim = 128;
  c->widths.clear();
  c->filters = 250;
  c->blocks = 7;
  c->dropout = 0.0f;
}

inline Status validate_dpcnn(const ModelConfig& c) {
  auto bad = [](const std::string& m) { return invalid_argument_error("model config: " + m); };
  if (!c.widths.empty()) return bad("widths apply to cnn models only; a dpcnn's convs are width 3");
  if (c.filters < 1 || c.filters > 4096) return bad("filters must be in [1, 4096] for a dpcnn");
  if (c.blocks < 0 || c.blocks > 16) return bad("blocks must be in [0, 16]");
  return Status();
}

}  // namespace fenlei::nn
