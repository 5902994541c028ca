// Transformer fine-tuning through the CLI: a headless checkpoint (the BERT fixture without
// classifier.*) imports, predict refuses it with a message to fine-tune, `fenlei train --init`
// gives it a head, and the result predicts, tests, quantises and fine-tunes again
// (`fenlei finetune` on a transformer model).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "hf/safetensors.h"
#include "test_util.h"

namespace fenlei::testing {
namespace {

// Writes `tensors` as a safetensors file (F32 only: 8-byte header length, JSON header, data).
void write_safetensors(const std::string& path, const hf::TensorMap& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, t] : tensors) {
    const size_t begin = data.size();
    data.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
    header[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {begin, data.size()}}};
  }
  const std::string h = header.dump();
  std::string out(8, '\0');
  const uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  write_text_file(path, out + h + data);
}

// The BERT fixture as a bare BertModel checkpoint (no classifier, no id2label).
std::string headless_bert(const TempDir& dir) {
  namespace fs = std::filesystem;
  const std::string src = test_data_dir() + "/hf/bert", dst = dir.file("bare");
  fs::create_directories(dst);
  for (const char* f : {"vocab.txt", "tokenizer_config.json"}) fs::copy_file(src + "/" + f, dst + "/" + f);
  auto config = nlohmann::json::parse(read_text_file(src + "/config.json"));
  config.erase("id2label");
  config.erase("label2id");
  config["architectures"] = {"BertModel"};
  write_text_file(dst + "/config.json", config.dump());
  auto tensors = hf::read_safetensors(src + "/model.safetensors");
  EXPECT_TRUE(tensors.ok());
  tensors->erase("classifier.weight");
  tensors->erase("classifier.bias");
  write_safetensors(dst + "/model.safetensors", *tensors);
  return dst;
}

void write_data(const std::string& path, int n, int offset) {
  std::string s = "label\ttext\n";
  const char* good[] = {"good", "great", "nice"};
  const char* bad[] = {"bad", "awful", "poor"};
  for (int i = 0; i < n; ++i) {
    const bool pos = (i + offset) % 2 == 0;
    s += std::string(pos ? "yes" : "no") + "\tit was " + (pos ? good : bad)[i % 3] + " and " +
         (pos ? good : bad)[(i + 1) % 3] + "\n";
  }
  write_text_file(path, s);
}

TEST(TransformerFinetuneCli, HeadlessImportTrainPredictFinetune) {
  TempDir dir;
  const std::string bare = dir.file("bare.fenlei"), tuned = dir.file("tuned.fenlei");
  auto imported = run_fenlei("import '" + headless_bert(dir) + "' -o '" + bare + "'");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.err.find("without a classification head"), std::string::npos) << imported.err;

  auto refused = run_fenlei("predict '" + bare + "'", "good\n");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("fine-tune it first"), std::string::npos) << refused.err;

  write_data(dir.file("train.tsv"), 64, 0);
  write_data(dir.file("dev.tsv"), 16, 1);
  auto trained = run_fenlei("train --init '" + bare + "' -i '" + dir.file("train.tsv") +
                            "' --valid '" + dir.file("dev.tsv") + "' -o '" + tuned +
                            "' --epochs 3 --batch-size 8 --lr 2e-3 --threads 2");
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_NE(trained.err.find("examples/s"), std::string::npos) << trained.err;

  auto predicted = run_fenlei("predict '" + tuned + "'", "it was great and nice\n");
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  EXPECT_EQ(predicted.out.substr(0, 3), "yes") << predicted.out;
  auto tested = run_fenlei("test '" + tuned + "' '" + dir.file("dev.tsv") + "' --json");
  ASSERT_EQ(tested.exit_code, 0) << tested.err;
  EXPECT_GE(nlohmann::json::parse(tested.out)["accuracy"].get<double>(), 0.9);
  auto quantized = run_fenlei("quantize '" + tuned + "' -o '" + dir.file("q.fenlei") + "'");
  EXPECT_EQ(quantized.exit_code, 0) << quantized.err;

  // `fenlei finetune` recognises a transformer base and continues with its head and labels,
  // also after a flag that takes no value (the base is not mistaken for `--no-dropout`'s value).
  auto again = run_fenlei("finetune --no-dropout '" + tuned + "' -i '" + dir.file("train.tsv") + "' -o '" +
                          dir.file("again.fenlei") + "' --epochs 1 --validation-split 0");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err.find("new classification head"), std::string::npos) << again.err;
  auto info = run_fenlei("info '" + dir.file("again.fenlei") + "' --json");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(nlohmann::json::parse(info.out)["metadata"]["lineage"]["fine_tuned_from"], tuned);

  // Flags the transformer trainer does not know are usage errors.
  auto bad = run_fenlei("train --init '" + bare + "' -i x.tsv -o y.fenlei --optimizer adam");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

// Checkpoints through the CLI: removed after a successful run unless --keep-checkpoint; a kept
// one resumes with more epochs (constant schedule: the same run as one with those epochs, byte
// for byte); resuming with another --lr fails and names it.
TEST(TransformerFinetuneCli, CheckpointKeepAndResume) {
  TempDir dir;
  const std::string base = dir.file("base.fenlei");
  auto imported = run_fenlei("import '" + test_data_dir() + "/hf/bert' -o '" + base + "'");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  write_data(dir.file("train.tsv"), 32, 0);
  write_data(dir.file("dev.tsv"), 8, 1);
  const std::string common = "train --init '" + base + "' -i '" + dir.file("train.tsv") +
                             "' --valid '" + dir.file("dev.tsv") +
                             "' --batch-size 8 --lr-schedule constant --threads 1 --seed 5 -q";
  auto full = run_fenlei(common + " --lr 2e-3 --epochs 3 -o '" + dir.file("full.fenlei") + "'");
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("full.fenlei.ckpt")));

  auto first = run_fenlei(common + " --lr 2e-3 --epochs 2 --keep-checkpoint --checkpoint '" +
                          dir.file("run.ckpt") + "' -o '" + dir.file("first.fenlei") + "'");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_TRUE(std::filesystem::exists(dir.file("run.ckpt")));
  auto resumed = run_fenlei(common + " --lr 2e-3 --epochs 3 --resume '" + dir.file("run.ckpt") +
                            "' -o '" + dir.file("resumed.fenlei") + "'");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(read_text_file(dir.file("full.fenlei")) == read_text_file(dir.file("resumed.fenlei")))
      << "the resumed model differs from the uninterrupted one";

  auto refused = run_fenlei(common + " --epochs 3 --lr 1e-3 --resume '" + dir.file("run.ckpt") +
                            "' -o '" + dir.file("other.fenlei") + "'");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("--lr: the checkpoint's run used 0.002"), std::string::npos)
      << refused.err;
}

}  // namespace
}  // namespace fenlei::testing
