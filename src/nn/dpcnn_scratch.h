// Per-thread scratch of the dpcnn layers (nn/dpcnn.h); part of nn::Workspace. Buffers only grow.
#pragma once

#include <cstdint>
#include <vector>

namespace fenlei::nn {

// One stage of the pyramid over the examples still active in it (rows of all of them stacked).
struct DpcnnStage {
  std::vector<int32_t> example;    // [m] index in the segment of each active example
  std::vector<int32_t> row_start;  // [m+1] first row of each active example
  std::vector<float> x;            // [rows, C] stage input: region embedding, or pooled output
  std::vector<int32_t> pool_src;   // [rows, C] row of the previous stage's h each max came from
  std::vector<float> col1, col2;   // [rows, 3C] im2col of relu(x) and relu(c1)
  std::vector<float> c1;           // [rows, C] first conv's output
  std::vector<float> h;            // [rows, C] x + second conv's output
};

struct DpcnnScratch {
  std::vector<float> col0;           // [rows, 3*dim] im2col of the embeddings (region conv)
  std::vector<DpcnnStage> stage;     // blocks + 1
  std::vector<int32_t> final_stage;  // [m] stage whose output feeds the example's feature
  std::vector<int32_t> final_row;    // [m] the example's first row in that stage
  std::vector<int32_t> final_src;    // [m, C] row of that stage's h each feature came from
  std::vector<float> dh, dnext, dtmp, dcol;  // backward buffers
};

}  // namespace fenlei::nn
