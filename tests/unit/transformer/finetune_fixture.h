// The fine-tuning tests' fixtures: the tiny BERT/ELECTRA checkpoints of tests/data/hf saved as
// fenlei models, and a labelled task they can learn.
#pragma once

#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/model_bundle.h"
#include "transformer/checkpoint.h"
#include "transformer/encoder_engine.h"

namespace fenlei::train {

// Saves the fixture checkpoint as a fenlei model; `headless` drops its head (as `fenlei import`
// makes of a bare BertModel).
inline std::string save_fixture(const std::string& type, const std::string& path,
                                bool headless = false) {
  auto ck = transformer::read_checkpoint(std::string(FENLEI_TEST_DATA_DIR) + "/hf/" + type);
  EXPECT_TRUE(ck.ok()) << ck.status().to_string();
  auto tokenizer = transformer::WordPieceTokenizer::create(ck->tokenizer);
  EXPECT_TRUE(tokenizer.ok());
  core::ModelBundle bundle;
  const int64_t vocab_size = ck->encoder.config.vocab_size;
  if (headless) {
    ck->encoder.head = transformer::HeadKind::kNone;
    if (type != "bert") ck->encoder.head_dense = {};
    ck->encoder.head_out = {};
    ck->encoder.config.labels.clear();
    ck->labels.clear();
  }
  bundle.engine = std::make_shared<transformer::EncoderEngine>(ck->encoder, ck->source);
  bundle.tokenizer =
      std::make_shared<transformer::WordPieceCoreTokenizer>(std::move(*tokenizer), vocab_size);
  bundle.labels = ck->labels;
  EXPECT_TRUE(core::save_bundle(path, bundle).ok());
  return path;
}

// A task the tiny random encoders can learn: the label is which of two word groups the text
// uses.
inline void write_data(const std::string& path, int n, int offset) {
  std::ofstream f(path);
  f << "label\ttext\n";
  const char* good[] = {"good", "great", "excellent", "nice", "happy"};
  const char* bad[] = {"bad", "awful", "terrible", "poor", "sad"};
  for (int i = 0; i < n; ++i) {
    const bool pos = (i + offset) % 2 == 0;
    const char** words = pos ? good : bad;
    f << (pos ? "yes" : "no") << "\tthe " << words[(i * 7 + offset) % 5] << " one "
      << words[(i * 3 + 1) % 5] << "\n";
  }
}

}  // namespace fenlei::train
