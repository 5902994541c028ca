// Reads any BERT/ELECTRA checkpoint directory (a head is not needed) and prints, per input line,
// {"ids": [...], "mean": [...]}: fenlei's WordPiece ids and the mean of the final hidden states
// (sentence-transformers' pooling). bench/reference/check_real_checkpoint.py compares both with
// transformers on a real checkpoint (e.g. all-MiniLM-L6-v2, which ships only tokenizer.json).
//   ./transformer_embed DIR < texts.txt
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "hf/config.h"
#include "hf/safetensors.h"
#include "hf/tokenizer_files.h"
#include "transformer/encoder.h"
#include "transformer/wordpiece.h"

int main(int argc, char** argv) {
  using namespace fenlei;
  if (argc < 2) {
    std::cerr << "usage: transformer_embed DIR < texts\n";
    return 2;
  }
  const std::string dir = argv[1];
  auto config = hf::read_encoder_config(dir + "/config.json");
  if (!config.ok()) return std::cerr << config.status().to_string() << "\n", 1;
  auto tensors = hf::read_safetensors(dir + "/model.safetensors");
  if (!tensors.ok()) return std::cerr << tensors.status().to_string() << "\n", 1;
  auto w = transformer::build_encoder(*config, *tensors, dir);
  if (!w.ok()) return std::cerr << w.status().to_string() << "\n", 1;
  auto settings = hf::read_tokenizer_files(dir, config->max_position_embeddings);
  if (!settings.ok()) return std::cerr << settings.status().to_string() << "\n", 1;
  auto tok = transformer::WordPieceTokenizer::create(*settings);
  if (!tok.ok()) return std::cerr << tok.status().to_string() << "\n", 1;
  std::string line;
  while (std::getline(std::cin, line)) {
    const auto e = tok->encode(line);
    const auto h = transformer::encode_hidden(*w, e.ids);
    const int d = config->hidden_size;
    std::vector<float> mean(d, 0.0f);
    for (size_t i = 0; i < e.ids.size(); ++i)
      for (int j = 0; j < d; ++j) mean[j] += h[i * d + j] / e.ids.size();
    std::cout << nlohmann::json({{"ids", e.ids}, {"mean", mean}}).dump() << "\n";
  }
  return 0;
}
