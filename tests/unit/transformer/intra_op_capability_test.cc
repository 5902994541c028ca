// Engine::uses_intra_op_threads: what `fenlei test` asks (instead of the engine's kind) to divide
// the cores between texts and threads per text. Transformer encoders split a text; the float
// network does not.
#include <gtest/gtest.h>

#include <string>

#include "core/model_bundle.h"

namespace fenlei::core {
namespace {

bool uses_intra_op_threads(const std::string& compat_model) {
  auto bundle = load_bundle(std::string(FENLEI_TEST_DATA_DIR) + "/compat/" + compat_model);
  EXPECT_TRUE(bundle.ok()) << bundle.status().to_string();
  return bundle.ok() && bundle->engine->uses_intra_op_threads();
}

TEST(IntraOpCapability, TransformerEnginesSplitATextOthersDoNot) {
  EXPECT_TRUE(uses_intra_op_threads("v1-bert.bf16.fenlei"));
  EXPECT_FALSE(uses_intra_op_threads("v1-fasttext.fenlei"));
  EXPECT_FALSE(uses_intra_op_threads("v1-seed-cnn-char.fenlei"));
  EXPECT_FALSE(uses_intra_op_threads("v1-seed-cnn-char.int8.fenlei"));
}

}  // namespace
}  // namespace fenlei::core
