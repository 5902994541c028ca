// fenlei export --to hf through the CLI: import -> export -> import predicts identically, an
// existing directory is kept unless --force, and cnn/fasttext and int8 models get one clear
// error without leaving a directory behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_util.h"

namespace fenlei::testing {
namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

std::string fixture_texts(const std::string& model, size_t n) {
  std::istringstream in(read_text_file(test_data_dir() + "/hf/" + model + "/expected.jsonl"));
  std::string line, texts;
  for (size_t i = 0; i < n && std::getline(in, line); ++i) {
    const std::string text = nlohmann::json::parse(line)["text"];
    if (text.find_first_of("\r\n") == std::string::npos) texts += text + "\n";
  }
  return texts;
}

TEST(ExportCli, ImportExportImportPredictsIdentically) {
  for (const std::string model : {"bert", "electra"}) {
    TempDir dir;
    const std::string first = dir.file("first.fenlei"), again = dir.file("again.fenlei");
    const std::string out = dir.file("hf");
    auto r = run_fenlei("import " + q(test_data_dir() + "/hf/" + model) + " --output " + q(first));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_fenlei("export " + q(first) + " --to hf " + q(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("exported"), std::string::npos) << r.err;
    for (const char* f : {"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json",
                          "special_tokens_map.json"})
      EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
    r = run_fenlei("import " + q(out) + " --output " + q(again));
    ASSERT_EQ(r.exit_code, 0) << r.err;

    const std::string texts = fixture_texts(model, 400);
    auto p1 = run_fenlei("predict " + q(first) + " --k 3 --json", texts);
    auto p2 = run_fenlei("predict " + q(again) + " --k 3 --json", texts);
    ASSERT_EQ(p1.exit_code, 0) << p1.err;
    ASSERT_EQ(p2.exit_code, 0) << p2.err;
    EXPECT_FALSE(p1.out.empty());
    EXPECT_EQ(p1.out, p2.out) << model;

    // An existing, non-empty directory stays as it is unless --force.
    r = run_fenlei("export " + q(again) + " --to hf " + q(out));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
    r = run_fenlei("export " + q(again) + " --to hf " + q(out) + " --force");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_text_file(out + "/model.safetensors"),
              read_text_file(test_data_dir() + "/hf/" + model + "/model.safetensors"));
  }
}

TEST(ExportCli, OnlyFloatTransformerModelsExport) {
  TempDir dir;
  for (const char* name : {"v1-fasttext.fenlei", "v1-textcnn-word.fenlei"}) {
    auto r = run_fenlei("export " + q(test_data_dir() + "/compat/" + name) + " --to hf " +
                        q(dir.file("hf")));
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_NE(r.err.find("only transformer models"), std::string::npos) << r.err;
  }
  const std::string model = dir.file("bert.fenlei"), int8 = dir.file("bert.int8.fenlei");
  ASSERT_EQ(run_fenlei("import " + q(test_data_dir() + "/hf/bert") + " --output " + q(model)).exit_code, 0);
  ASSERT_EQ(run_fenlei("quantize " + q(model) + " --output " + q(int8)).exit_code, 0);
  auto r = run_fenlei("export " + q(int8) + " --to hf " + q(dir.file("hf")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("int8"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("hf")));

  r = run_fenlei("export " + q(model) + " --to onnx " + q(dir.file("hf")));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_fenlei("export " + q(model) + " " + q(dir.file("hf")));
  EXPECT_EQ(r.exit_code, 2) << r.err;  // --to is required
  r = run_fenlei("export --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--to"), std::string::npos);
  EXPECT_NE(r.out.find("int8"), std::string::npos);
  // Nothing but the two model files is left: no DIR, no DIR.tmp-*.
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 2u);
}

}  // namespace
}  // namespace fenlei::testing
