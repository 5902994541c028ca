// libFuzzer target: config.json, tokenizer_config.json, special_tokens_map.json,
// tokenizer.json and vocab.txt readers, then the WordPiece tokenizer built from what they accept.
// Any input gives settings or a Status naming the file and field, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hf/config.h"
#include "hf/tokenizer_files.h"
#include "transformer/wordpiece.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fenlei::hf::parse_encoder_config(bytes, "config.json").status().ignore();
  fenlei::hf::WordPieceSettings s;
  s.vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "##b"};
  fenlei::hf::apply_tokenizer_config(bytes, "tokenizer_config.json", &s).ignore();
  fenlei::hf::apply_special_tokens_map(bytes, "special_tokens_map.json", &s).ignore();
  fenlei::hf::apply_tokenizer_json(bytes, "tokenizer.json", &s).ignore();
  if (s.vocab.size() > 4096) return 0;  // keep each run short
  auto tokenizer = fenlei::transformer::WordPieceTokenizer::create(s);
  if (tokenizer.ok()) tokenizer->encode(bytes, 64);
  auto vocab = fenlei::hf::parse_vocab_txt(bytes, "vocab.txt");
  if (vocab.ok()) {
    s.vocab = *vocab;
    for (const char* t : {"[PAD]", "[UNK]", "[CLS]", "[SEP]"}) s.vocab.push_back(t);
    auto t2 = fenlei::transformer::WordPieceTokenizer::create(s);
    if (t2.ok()) t2->encode("a ab ba [SEP] héllo 中文", 16);
  }
  return 0;
}
