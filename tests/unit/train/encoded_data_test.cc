// The training data's packed token lists: tokens read back exactly as given (multi-byte,
// empty texts), and encode_tokens gives the ids, lengths and offsets of each text's first
// max_len tokens.
#include "train/encoded_data.h"

#include <gtest/gtest.h>

namespace fenlei::train {
namespace {

TEST(PackedTokensTest, ReadsBackEveryTokenAndEncodesTheFirstMaxLen) {
  const std::vector<std::vector<std::string>> texts = {
      {"房间", "很", "干净", "!"}, {}, {"a", "房间", "unknown", "很"}};
  std::vector<PackedTokens> packed(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    packed[i].assign(texts[i]);
    ASSERT_EQ(packed[i].size(), texts[i].size());
    for (size_t k = 0; k < texts[i].size(); ++k) EXPECT_EQ(packed[i][k], texts[i][k]);
  }
  packed[1].assign(texts[0]);  // reuse: assign replaces what was there
  packed[1].assign(texts[1]);
  EXPECT_EQ(packed[1].size(), 0u);

  auto vocab = vocab::Vocabulary::from_tokens({"<pad>", "<unk>", "房间", "很", "干净", "!", "a"});
  ASSERT_TRUE(vocab.ok()) << vocab.status().to_string();
  ThreadPool pool(2);
  const EncodedSet set = encode_tokens(packed, {0, 1, 0}, *vocab, 3, pool);
  EXPECT_EQ(set.lengths, (std::vector<uint32_t>{3, 0, 3}));
  EXPECT_EQ(set.offsets, (std::vector<int64_t>{0, 3, 3, 6}));
  const int32_t unk = vocab->id("unknown");
  EXPECT_EQ(set.ids, (std::vector<int32_t>{vocab->id("房间"), vocab->id("很"), vocab->id("干净"),
                                           vocab->id("a"), vocab->id("房间"), unk}));
}

}  // namespace
}  // namespace fenlei::train
