// `fenlei train --model transformer` end to end: a tiny from-scratch encoder trains on a tiny
// synthetic dataset, two single-threaded runs with one seed write byte-identical files, and the
// model serves every path the other presets do: predict, test, explain, info, and int8
// quantization (whose result predicts too).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace fenlei::testing {
namespace {

void write_topics(const std::string& path, int n, int offset) {
  const char* labels[] = {"sport", "food", "tech"};
  const char* words[][3] = {{"football", "goal", "match"},
                            {"noodles", "spicy", "dinner"},
                            {"laptop", "software", "chip"}};
  const char* filler[] = {"today", "really", "the", "news", "about", "some", "very"};
  std::string s = "label\ttext\n";
  for (int i = 0; i < n; ++i) {
    const int c = (i + offset) % 3, j = i + offset;
    s += std::string(labels[c]) + "\t" + filler[j % 7] + " " + words[c][j % 3] + " " +
         filler[(j / 3) % 7] + " " + words[c][(j / 2) % 3] + " " + filler[(j / 5) % 7] + "\n";
  }
  write_text_file(path, s);
}

class TransformerPresetCli : public ::testing::Test {
 protected:
  void SetUp() override {
    write_topics(dir_.file("train.tsv"), 90, 0);
    write_topics(dir_.file("dev.tsv"), 30, 1);
  }
  // A tiny shape so the test runs in seconds; the preset's own training defaults otherwise.
  CommandResult train(const std::string& output, const std::string& extra = "", int epochs = 10) {
    return run_fenlei("train --model transformer -i '" + dir_.file("train.tsv") + "' --valid '" +
                      dir_.file("dev.tsv") + "' -o '" + output +
                      "' --layers 1 --hidden-size 32 --heads 2 --ffn-size 64 --max-len 16"
                      " --epochs " + std::to_string(epochs) + " --batch-size 8 --lr 3e-3 --patience 0 " + extra);
  }
  TempDir dir_;
};

TEST_F(TransformerPresetCli, TrainsAndServesEveryPath) {
  const std::string m = dir_.file("m.fenlei");
  auto trained = train(m, "--threads 2");
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_NE(trained.err.find("from scratch"), std::string::npos) << trained.err;
  EXPECT_FALSE(std::filesystem::exists(m + ".scratch-init.tmp"));

  auto tested = run_fenlei("test '" + m + "' '" + dir_.file("dev.tsv") + "' --json");
  ASSERT_EQ(tested.exit_code, 0) << tested.err;
  EXPECT_GE(nlohmann::json::parse(tested.out)["accuracy"].get<double>(), 0.9);  // chance 1/3

  auto predicted = run_fenlei("predict '" + m + "'", "the spicy noodles for dinner\nsome laptop chip\n");
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  EXPECT_EQ(predicted.out.substr(0, 4), "food") << predicted.out;
  EXPECT_NE(predicted.out.find("\ntech"), std::string::npos) << predicted.out;

  auto explained = run_fenlei("explain '" + m + "' --json", "very football goal today\n");
  ASSERT_EQ(explained.exit_code, 0) << explained.err;
  const auto e = nlohmann::json::parse(explained.out);
  EXPECT_EQ(e["label"], "sport");
  ASSERT_EQ(e["tokens"].size(), 4u);
  EXPECT_EQ(e["tokens"][1]["token"], "football");

  auto info = run_fenlei("info '" + m + "' --json");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const auto meta = nlohmann::json::parse(info.out)["metadata"];
  EXPECT_EQ(meta["engine"], "transformer");
  EXPECT_EQ(meta["lineage"]["preset"], "transformer");
  // The temporary start file is not a model the user has: the lineage does not name it.
  EXPECT_FALSE(meta["lineage"].contains("fine_tuned_from")) << meta["lineage"].dump();
  EXPECT_FALSE(meta["lineage"].contains("scratch_start")) << meta["lineage"].dump();
  EXPECT_EQ(meta["architecture"]["config"]["hidden_size"], 32);
  EXPECT_EQ(meta["training"]["options"]["lr"].get<double>(), 3e-3f);

  const std::string q = dir_.file("q.fenlei");
  auto quantized = run_fenlei("quantize '" + m + "' -o '" + q + "'");
  ASSERT_EQ(quantized.exit_code, 0) << quantized.err;
  auto qtested = run_fenlei("test '" + q + "' '" + dir_.file("dev.tsv") + "' --json");
  ASSERT_EQ(qtested.exit_code, 0) << qtested.err;
  EXPECT_GE(nlohmann::json::parse(qtested.out)["accuracy"].get<double>(), 0.9);
  auto qexplained = run_fenlei("explain '" + q + "'", "some laptop chip\n");
  ASSERT_EQ(qexplained.exit_code, 0) << qexplained.err;
  EXPECT_EQ(qexplained.out.substr(0, 4), "tech") << qexplained.out;
}

TEST_F(TransformerPresetCli, OneThreadSameSeedByteIdentical) {
  const std::string m = dir_.file("m.fenlei");
  auto a = train(m, "--threads 1 --seed 11", 2);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const std::string first = read_text_file(m);
  auto b = train(m, "--threads 1 --seed 11", 2);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_TRUE(first == read_text_file(m)) << "two runs with --threads 1 --seed 11 differ";
}

// The preset goes through the fine-tuning loop's command line, so it has that loop's --mpi: two
// processes train the same model as two threads (the output path is the same for both runs, as
// the metadata records the data and output paths).
TEST_F(TransformerPresetCli, MpiInheritedFromFineTuning) {
  if (!FENLEI_TEST_HAVE_MPI) GTEST_SKIP() << "built without MPI";
  const std::string m = dir_.file("m.fenlei");
  const std::string mpirun =
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
      "OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1 "
      "ASAN_OPTIONS=detect_leaks=0 timeout 300 '" + std::string(FENLEI_MPIEXEC) + "' -np 2 '" +
      fenlei_binary() + "' train --model transformer -i '" + dir_.file("train.tsv") +
      "' --valid '" + dir_.file("dev.tsv") + "' -o '" + m +
      "' --layers 1 --hidden-size 32 --heads 2 --ffn-size 64 --max-len 16 --epochs 2"
      " --batch-size 8 --lr 3e-3 --seed 4 --mpi -q";
  auto a = run_command(mpirun);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const std::string by_processes = read_text_file(m);
  auto b = train(m, "--threads 2 --seed 4", 2);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_TRUE(by_processes == read_text_file(m)) << "2 MPI processes and 2 threads differ";
  EXPECT_FALSE(std::filesystem::exists(m + ".scratch-init.tmp"));
}

TEST_F(TransformerPresetCli, HelpAndUsageErrors) {
  auto help = run_fenlei("train --model transformer --help");
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("--hidden-size"), std::string::npos) << help.out;
  auto both = run_fenlei("train --model transformer --init x.fenlei -i '" + dir_.file("train.tsv") +
                         "' -o '" + dir_.file("y.fenlei") + "'");
  EXPECT_EQ(both.exit_code, 2) << both.err;
  auto heads = train(dir_.file("y.fenlei"), "--heads 3");
  EXPECT_EQ(heads.exit_code, 2) << heads.err;
  // A flag neither the preset nor the fine-tuning loop knows.
  auto unknown = train(dir_.file("y.fenlei"), "--widths 3 4");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
}

}  // namespace
}  // namespace fenlei::testing
