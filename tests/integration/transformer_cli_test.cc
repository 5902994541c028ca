// fenlei import / tokenize / predict / quantize / info on the committed Hugging Face fixtures
// (tests/data/hf, made by bench/make_transformer_fixtures.py with transformers).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_util.h"

namespace fenlei::testing {
namespace {

std::string hf_dir(const std::string& model) { return test_data_dir() + "/hf/" + model; }

std::vector<nlohmann::json> expected(const std::string& model, size_t n) {
  std::istringstream in(read_text_file(hf_dir(model) + "/expected.jsonl"));
  std::vector<nlohmann::json> rows;
  std::string line;
  while (rows.size() < n && std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    const std::string text = j["text"];
    // One text per input line: skip texts that contain line breaks.
    if (text.find_first_of("\r\n\x0b\x0c\xe2") == std::string::npos) rows.push_back(j);
  }
  return rows;
}

TEST(TransformerCli, ImportTokenizePredictAndQuantize) {
  for (const std::string model : {"bert", "electra"}) {
    TempDir dir;
    const std::string out = dir.file(model + ".fenlei");
    auto imported = run_fenlei("import '" + hf_dir(model) + "' --output '" + out + "'");
    ASSERT_EQ(imported.exit_code, 0) << imported.err;

    auto info = run_fenlei("info '" + out + "' --json");
    ASSERT_EQ(info.exit_code, 0) << info.err;
    const auto j = nlohmann::json::parse(info.out);
    EXPECT_EQ(j["tokenizer"], "wordpiece");
    EXPECT_EQ(j["metadata"]["architecture"]["source"]["model_type"], model);
    EXPECT_EQ(j["labels"], nlohmann::json({"neg", "neu", "pos"}));

    const auto rows = expected(model, 300);
    std::string texts;
    for (const auto& r : rows) texts += r["text"].get<std::string>() + "\n";
    auto tok = run_fenlei("tokenize '" + out + "' --json", texts);
    ASSERT_EQ(tok.exit_code, 0) << tok.err;
    std::istringstream tok_lines(tok.out);
    auto pred = run_fenlei("predict '" + out + "' --k 3 --json", texts);
    ASSERT_EQ(pred.exit_code, 0) << pred.err;
    std::istringstream pred_lines(pred.out);
    std::string tl, pl;
    for (const auto& r : rows) {
      ASSERT_TRUE(std::getline(tok_lines, tl));
      ASSERT_TRUE(std::getline(pred_lines, pl));
      EXPECT_EQ(nlohmann::json::parse(tl)["ids"], r["ids"]) << r["text"];
      const auto p = nlohmann::json::parse(pl);
      const std::vector<std::string> labels = {"neg", "neu", "pos"};
      for (const auto& s : p["top_k"]) {
        const size_t k = std::find(labels.begin(), labels.end(), s["label"]) - labels.begin();
        ASSERT_LT(k, 3u);
        EXPECT_NEAR(s["score"].get<double>(), r["probs"][k].get<double>(), 1e-4) << r["text"];
      }
    }

    const std::string int8 = dir.file(model + ".int8.fenlei");
    auto q = run_fenlei("quantize '" + out + "' --output '" + int8 + "'");
    ASSERT_EQ(q.exit_code, 0) << q.err;
    auto qp = run_fenlei("predict '" + int8 + "'", "房间很干净，服务也好\n");
    EXPECT_EQ(qp.exit_code, 0) << qp.err;
    auto again = run_fenlei("quantize '" + int8 + "' --output '" + dir.file("x.fenlei") + "'");
    EXPECT_NE(again.exit_code, 0);

    // bf16: same probabilities as float within bf16's precision, and read back from the file.
    const std::string bf16 = dir.file(model + ".bf16.fenlei");
    auto b = run_fenlei("quantize '" + out + "' --output '" + bf16 + "' --precision bf16");
    ASSERT_EQ(b.exit_code, 0) << b.err;
    auto fp = run_fenlei("predict '" + out + "' --json --k 3", "房间很干净，服务也好\n");
    auto bp = run_fenlei("predict '" + bf16 + "' --json --k 3", "房间很干净，服务也好\n");
    ASSERT_EQ(fp.exit_code, 0) << fp.err;
    ASSERT_EQ(bp.exit_code, 0) << bp.err;
    const auto fj = nlohmann::json::parse(fp.out), bj = nlohmann::json::parse(bp.out);
    ASSERT_EQ(fj["top_k"].size(), bj["top_k"].size());
    // Stored as the bf16 dtype (model format v2), which info shows; the float file stays v1.
    auto bi = run_fenlei("info --json '" + bf16 + "'");
    auto fi = run_fenlei("info --json '" + out + "'");
    ASSERT_EQ(bi.exit_code, 0) << bi.err;
    ASSERT_EQ(fi.exit_code, 0) << fi.err;
    const auto bij = nlohmann::json::parse(bi.out), fij = nlohmann::json::parse(fi.out);
    EXPECT_EQ(bij["format_version"], 2);
    EXPECT_EQ(fij["format_version"], 1);
    EXPECT_EQ(bij["tensor_dtypes"]["bf16"], 12) << bi.out;  // 2 layers x 6 dense weights
    EXPECT_EQ(bij["tensor_dtype_bytes"]["bf16"].get<double>() * 2,
              fij["tensor_dtype_bytes"]["f32"].get<double>() -
                  bij["tensor_dtype_bytes"]["f32"].get<double>())
        << bi.out << fi.out;  // the same dense weights, half the bytes
    EXPECT_EQ(bij["precision"], "bf16");
    EXPECT_EQ(fij["precision"], "float32");
    EXPECT_FALSE(fij["tensor_dtypes"].contains("bf16")) << fi.out;
    EXPECT_LT(bij["file_bytes"].get<double>(), fij["file_bytes"].get<double>());
    auto text_info = run_fenlei("info '" + bf16 + "'");
    EXPECT_NE(text_info.out.find(" (bf16), "), std::string::npos) << text_info.out;
    EXPECT_NE(text_info.out.find(" 12 bf16"), std::string::npos) << text_info.out;
    for (const auto& f : fj["top_k"]) {
      for (const auto& g : bj["top_k"]) {
        if (g["label"] == f["label"]) {
          EXPECT_NEAR(f["score"].get<double>(), g["score"].get<double>(), 0.05) << f["label"];
        }
      }
    }
  }
}

// --intra-op-threads on predict, explain and test: the same output as without it; out of range
// is a usage error; a cnn model accepts and ignores it. (Bit-identity with splits that really
// happen is intra_op_threads_test; the fixtures are too small to split.)
TEST(TransformerCli, IntraOpThreadsFlag) {
  TempDir dir;
  const std::string model = dir.file("bert.fenlei");
  auto imported = run_fenlei("import '" + hf_dir("bert") + "' --output '" + model + "'");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  std::string texts, labelled = "label\ttext\n";
  for (const auto& r : expected("bert", 40)) {
    texts += r["text"].get<std::string>() + "\n";
    labelled += "pos\t" + r["text"].get<std::string>() + "\n";
  }
  const std::string data = dir.file("test.tsv");
  write_text_file(data, labelled);
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"predict '" + model + "' --k 3 --json", texts},
      {"explain '" + model + "' --json", "房间很干净，服务也好\n"},
      {"test '" + model + "' '" + data + "' --json", ""}};
  for (const auto& [command, input] : commands) {
    auto plain = run_fenlei(command, input);
    ASSERT_EQ(plain.exit_code, 0) << command << plain.err;
    for (const char* n : {"1", "2", "3"}) {
      auto threaded = run_fenlei(command + " --intra-op-threads " + n, input);
      ASSERT_EQ(threaded.exit_code, 0) << command << threaded.err;
      EXPECT_EQ(threaded.out, plain.out) << command << " --intra-op-threads " << n;
    }
    for (const char* bad : {"0", "257", "x"}) {
      auto r = run_fenlei(command + " --intra-op-threads " + bad, input);
      EXPECT_EQ(r.exit_code, 2) << command << " " << bad;
      EXPECT_NE(r.err.find("--intra-op-threads"), std::string::npos) << r.err;
    }
  }
  for (const char* command : {"predict", "explain", "test", "serve"}) {
    auto help = run_fenlei(std::string(command) + " --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("--intra-op-threads"), std::string::npos) << command;
  }
  const std::string cnn = test_data_dir() + "/compat/v1-seed-cnn-char.fenlei";
  auto plain = run_fenlei("predict '" + cnn + "'", "房间很干净\n");
  auto threaded = run_fenlei("predict '" + cnn + "' --intra-op-threads 2", "房间很干净\n");
  ASSERT_EQ(threaded.exit_code, 0) << threaded.err;
  EXPECT_EQ(threaded.out, plain.out);
}

TEST(TransformerCli, TokenizeWorksForEveryKindOfModel) {
  // A cnn model from the compatibility set: jieba words or characters, no special tokens.
  const std::string compat = test_data_dir() + "/compat";
  for (const auto& entry : std::filesystem::directory_iterator(compat)) {
    if (entry.path().extension() != ".fenlei") continue;
    auto r = run_fenlei("tokenize '" + entry.path().string() + "'", "房间很干净\n");
    ASSERT_EQ(r.exit_code, 0) << entry.path() << r.err;
    EXPECT_NE(r.out.find('\t'), std::string::npos);
    break;
  }
}

TEST(TransformerCli, BadCheckpointsGetOneClearError) {
  TempDir dir;
  const std::string ck = dir.file("ck");
  std::filesystem::create_directory(ck);
  auto none = run_fenlei("import '" + ck + "' --output '" + dir.file("m.fenlei") + "'");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("config.json"), std::string::npos) << none.err;

  for (const char* f : {"config.json", "vocab.txt", "tokenizer_config.json"})
    std::filesystem::copy_file(hf_dir("bert") + "/" + f, ck + "/" + f);
  std::string weights = read_text_file(hf_dir("bert") + "/model.safetensors");
  weights.resize(weights.size() / 2);  // offsets now point past the end
  write_text_file(ck + "/model.safetensors", weights);
  auto cut = run_fenlei("import '" + ck + "' --output '" + dir.file("m.fenlei") + "'");
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_NE(cut.err.find("model.safetensors"), std::string::npos) << cut.err;
  EXPECT_NE(cut.err.find("data_offsets"), std::string::npos) << cut.err;

  std::filesystem::remove(ck + "/model.safetensors");
  std::string config = read_text_file(hf_dir("bert") + "/config.json");
  config.replace(config.find("\"bert\""), 6, "\"gpt2\"");
  write_text_file(ck + "/config.json", config);
  auto type = run_fenlei("import '" + ck + "' --output '" + dir.file("m.fenlei") + "'");
  EXPECT_EQ(type.exit_code, 1);
  EXPECT_NE(type.err.find("model_type"), std::string::npos) << type.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.fenlei")));
}

}  // namespace
}  // namespace fenlei::testing
