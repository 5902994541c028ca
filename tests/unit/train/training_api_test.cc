// fenlei/training.h: training from memory and from files, evaluation, quantisation and saving
// through the public facade, with the CLI's error messages.
#include "fenlei/training.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "test_util.h"

namespace fenlei {
namespace {

// A separable two-class toy set: the label is in the characters, so a fastText model on
// characters learns it in a few epochs.
LabelledTexts toy_data(int copies) {
  LabelledTexts d;
  const std::vector<std::string> pos = {"房间很干净", "服务很好", "早餐好吃", "干净舒适"};
  const std::vector<std::string> neg = {"太吵了", "隔音太差", "脏乱差", "服务太差了"};
  for (int c = 0; c < copies; ++c) {
    for (const auto& t : pos) d.texts.push_back(t), d.labels.push_back("pos");
    for (const auto& t : neg) d.texts.push_back(t), d.labels.push_back("neg");
  }
  return d;
}

TrainSettings small_fasttext() {
  TrainSettings s;
  s.model = "fasttext";
  s.bigram_buckets = 1000;
  s.epochs = 8;
  s.lr = 0.05f;
  s.threads = 1;
  return s;
}

TEST(TrainingApi, TrainsFromMemoryAndPredictsWhatItLearned) {
  const LabelledTexts data = toy_data(8);
  auto model = train_classifier(data, &data, small_fasttext());
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->info().architecture, "fasttext");
  EXPECT_EQ((*model)->info().labels, (std::vector<std::string>{"neg", "pos"}));
  auto metrics = evaluate_classifier(**model, data);
  ASSERT_TRUE(metrics.ok()) << metrics.status().message();
  EXPECT_EQ(metrics->n, static_cast<int64_t>(data.texts.size()));
  EXPECT_GE(metrics->accuracy, 0.99);
  ASSERT_EQ(metrics->per_class.size(), 2u);
  EXPECT_EQ(metrics->per_class[1].label, "pos");
}

TEST(TrainingApi, TrainsFromAFileAndSavesWhereAsked) {
  fenlei::testing::TempDir dir;
  const LabelledTexts data = toy_data(8);
  std::string tsv = "label\ttext\n";
  for (size_t i = 0; i < data.texts.size(); ++i) tsv += data.labels[i] + "\t" + data.texts[i] + "\n";
  fenlei::testing::write_text_file(dir.file("train.tsv"), tsv);
  TrainSettings s = small_fasttext();
  s.valid = dir.file("train.tsv");
  s.output = dir.file("m.fenlei");
  auto model = train_classifier(dir.file("train.tsv"), s);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_TRUE(std::filesystem::exists(s.output));
  auto reloaded = Classifier::load(s.output);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ((*reloaded)->info().checksum, (*model)->info().checksum);
  auto metrics = evaluate_classifier(**model, dir.file("train.tsv"));
  ASSERT_TRUE(metrics.ok()) << metrics.status().message();
  EXPECT_GE(metrics->accuracy, 0.99);
}

TEST(TrainingApi, SaveThenLoadGivesTheSameProbabilities) {
  fenlei::testing::TempDir dir;
  const LabelledTexts data = toy_data(4);
  auto model = train_classifier(data, nullptr, small_fasttext());
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_TRUE(save_classifier(**model, dir.file("a.fenlei")).ok());
  auto loaded = Classifier::load(dir.file("a.fenlei"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  auto a = (*model)->probabilities(data.texts);
  auto b = (*loaded)->probabilities(data.texts);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(TrainingApi, QuantizesOnceAndRefusesAnInt8Model) {
  const LabelledTexts data = toy_data(8);
  auto model = train_classifier(data, &data, small_fasttext());
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto int8 = quantize_classifier(**model);
  ASSERT_TRUE(int8.ok()) << int8.status().message();
  EXPECT_TRUE((*int8)->info().quantized);
  EXPECT_LT((*int8)->info().file_bytes, (*model)->info().file_bytes);
  auto metrics = evaluate_classifier(**int8, data);
  ASSERT_TRUE(metrics.ok());
  EXPECT_GE(metrics->accuracy, 0.9);
  auto again = quantize_classifier(**int8);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
}

TEST(TrainingApi, ReportsBadInputsWithTheCliMessages) {
  LabelledTexts data = toy_data(1);
  TrainSettings s = small_fasttext();
  s.model = "nope";
  auto bad_model = train_classifier(data, nullptr, s);
  ASSERT_FALSE(bad_model.ok());
  EXPECT_EQ(bad_model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_model.status().message().find("unknown model preset 'nope'"), std::string::npos);

  s = small_fasttext();
  s.epochs = 0;
  auto bad_epochs = train_classifier(data, nullptr, s);
  ASSERT_FALSE(bad_epochs.ok());
  EXPECT_EQ(bad_epochs.status().message(), "--epochs must be at least 1");

  data.labels.pop_back();
  auto mismatch = train_classifier(data, nullptr, small_fasttext());
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("8 texts but 7 labels"), std::string::npos);

  data = toy_data(1);
  data.texts[3] = "bad \xff byte";
  auto bad_utf8 = train_classifier(data, nullptr, small_fasttext());
  ASSERT_FALSE(bad_utf8.ok());
  EXPECT_NE(bad_utf8.status().message().find("example 3 text"), std::string::npos)
      << bad_utf8.status().message();
  data = toy_data(1);
  data.labels[2] = " \t";
  auto empty_label = train_classifier(data, nullptr, small_fasttext());
  ASSERT_FALSE(empty_label.ok());
  EXPECT_NE(empty_label.status().message().find("example 2: empty label"), std::string::npos)
      << empty_label.status().message();

  auto missing = train_classifier("/nonexistent/train.tsv", small_fasttext());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(TrainingApi, InMemoryTextsMayHoldTabsAndNewlinesAndLabelsAreTrimmed) {
  LabelledTexts data = toy_data(4);
  for (size_t i = 0; i < data.texts.size(); i += 2) data.texts[i] += "\t\n第二行";
  for (auto& l : data.labels) l = " " + l + "\t";
  auto model = train_classifier(data, nullptr, small_fasttext());
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->info().labels, (std::vector<std::string>{"neg", "pos"}));
}

TEST(TrainingApi, EvaluateNamesTheLabelsTheModelKnows) {
  const LabelledTexts data = toy_data(4);
  auto model = train_classifier(data, nullptr, small_fasttext());
  ASSERT_TRUE(model.ok()) << model.status().message();
  LabelledTexts other{{"房间很干净"}, {"meh"}};
  auto metrics = evaluate_classifier(**model, other);
  ASSERT_FALSE(metrics.ok());
  EXPECT_NE(metrics.status().message().find("the model knows: neg, pos"), std::string::npos);
}

}  // namespace
}  // namespace fenlei
