// Knowledge distillation (train/distill.h) end to end on small data made here: a student
// trained only on a teacher's soft targets copies the teacher even when the labels it is given
// are noise; unlabelled texts train it; an ensemble's targets are its members' mean; the
// temperature softens as softmax(log p / T); and every bad input fails with one clear message.
#include "train/distill.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "test_util.h"

namespace fenlei::train {
namespace {

using fenlei::testing::TempDir;
using fenlei::testing::write_text_file;

const std::vector<std::string> kPositive = {"好", "棒", "赞", "美", "优"};
const std::vector<std::string> kNegative = {"差", "坏", "烂", "脏", "吵"};
const std::vector<std::string> kFiller = {"的", "了", "是", "在", "人", "有", "我", "他",
                                          "这", "个", "们", "中", "来", "上", "大", "为"};

// A text of filler characters with two signal characters of one class.
std::string make_text(bool positive, std::mt19937& gen) {
  const auto& signal = positive ? kPositive : kNegative;
  std::string t;
  for (int k = 0; k < 6; ++k) {
    const bool pick_signal = k == 1 || k == 4;
    const auto& pool = pick_signal ? signal : kFiller;
    t += pool[gen() % pool.size()];
  }
  return t;
}

struct Texts {
  std::vector<std::string> texts;
  std::vector<std::string> labels;  // the truth
};

Texts make_texts(int n, uint32_t seed) {
  std::mt19937 gen(seed);
  Texts d;
  for (int i = 0; i < n; ++i) {
    const bool pos = i % 2 == 0;
    d.texts.push_back(make_text(pos, gen));
    d.labels.push_back(pos ? "pos" : "neg");
  }
  return d;
}

// TSV with the given labels, or with labels drawn at random (noise) when `noise`.
std::string tsv(const Texts& d, bool noise, uint32_t seed = 5) {
  std::mt19937 gen(seed);
  std::string s = "label\ttext\n";
  for (size_t i = 0; i < d.texts.size(); ++i)
    s += (noise ? (gen() % 2 ? "pos" : "neg") : d.labels[i]) + "\t" + d.texts[i] + "\n";
  return s;
}

TrainOptions small_options(const std::string& preset, const std::string& input,
                           const std::string& output) {
  TrainOptions o;
  o.input = input;
  o.valid = input;
  o.output = output;
  o.model = *nn::ModelConfig::preset(preset);
  o.model.embed_dim = 16;
  o.model.bigram_buckets = 0;
  o.preprocess.tokenizer = core::TokenizerKind::kChar;
  o.preprocess.max_len = 16;
  o.epochs = 8;
  o.optimizer.lr = preset == "fasttext" ? 0.05f : 0.01f;
  o.threads = 1;
  o.seed = 3;
  o.checkpoint = "none";
  o.restore_best = false;
  return o;
}

// Predicted label index (in `labels` order) of every text.
std::vector<int> predictions(const core::ModelBundle& model, const std::vector<std::string>& labels,
                             const std::vector<std::string>& texts) {
  ThreadPool pool(1);
  auto probs = teacher_probabilities({model}, {"model"}, labels, texts, pool);
  EXPECT_TRUE(probs.ok()) << probs.status().message();
  std::vector<int> out;
  const size_t k = labels.size();
  for (size_t i = 0; i < texts.size(); ++i) {
    const float* p = probs->data() + i * k;
    out.push_back(static_cast<int>(std::max_element(p, p + k) - p));
  }
  return out;
}

double agreement(const std::vector<int>& a, const std::vector<int>& b) {
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return double(same) / double(a.size());
}

class DistillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Texts clean = make_texts(200, 1);
    write_text_file(dir_.file("clean.tsv"), tsv(clean, false));
    auto teacher = train_model(small_options("fasttext", dir_.file("clean.tsv"),
                                             dir_.file("teacher.fenlei")));
    ASSERT_TRUE(teacher.ok()) << teacher.status().message();
    teacher_ = std::move(teacher->bundle);
    held_out_ = make_texts(200, 99);
  }

  DistillOptions distill_options(const std::string& input, const std::string& output) {
    DistillOptions d;
    d.teachers = {dir_.file("teacher.fenlei")};
    d.train = small_options("fasttext", input, output);
    return d;
  }

  TempDir dir_;
  core::ModelBundle teacher_;
  Texts held_out_;
};

TEST_F(DistillTest, StudentCopiesTheTeacherWhenItsLabelsAreNoise) {
  const std::vector<std::string> labels = {"neg", "pos"};
  const std::vector<int> teacher = predictions(teacher_, labels, held_out_.texts);
  // The teacher learned the rule.
  std::vector<int> truth;
  for (const auto& l : held_out_.labels) truth.push_back(l == "pos");
  ASSERT_GE(agreement(teacher, truth), 0.95);

  write_text_file(dir_.file("noise.tsv"), tsv(make_texts(200, 2), true));
  auto alone = train_model(small_options("fasttext", dir_.file("noise.tsv"),
                                         dir_.file("alone.fenlei")));
  ASSERT_TRUE(alone.ok()) << alone.status().message();
  DistillOptions d = distill_options(dir_.file("noise.tsv"), dir_.file("student.fenlei"));
  d.alpha = 1.0f;  // the labels are noise: learn from the teacher only
  auto student = distill_model(d);
  ASSERT_TRUE(student.ok()) << student.status().message();

  const double alone_agrees = agreement(predictions(alone->bundle, labels, held_out_.texts), teacher);
  const double student_agrees =
      agreement(predictions(student->bundle, labels, held_out_.texts), teacher);
  EXPECT_GE(student_agrees, 0.9);
  EXPECT_GT(student_agrees, alone_agrees + 0.2) << "alone " << alone_agrees;
  // The model records how it was made.
  const auto& rec = student->bundle.training.at("distillation");
  EXPECT_EQ(rec.at("teachers")[0], dir_.file("teacher.fenlei"));
  EXPECT_FLOAT_EQ(rec.at("alpha").get<float>(), 1.0f);
  EXPECT_FLOAT_EQ(rec.at("temperature").get<float>(), 2.0f);
}

TEST_F(DistillTest, UnlabelledTextsTeachTheStudent) {
  // Four labelled texts are too few; 300 unlabelled ones carry the teacher's knowledge.
  const Texts few = make_texts(4, 3);
  write_text_file(dir_.file("few.tsv"), tsv(few, false));
  std::string unlabeled = "\n";  // a blank line is skipped
  for (const auto& t : make_texts(300, 4).texts) unlabeled += t + "\n";
  write_text_file(dir_.file("unlabeled.txt"), unlabeled);
  DistillOptions d = distill_options(dir_.file("few.tsv"), dir_.file("student.fenlei"));
  d.unlabeled = dir_.file("unlabeled.txt");
  auto student = distill_model(d);
  ASSERT_TRUE(student.ok()) << student.status().message();
  EXPECT_EQ(student->bundle.training.at("distillation").at("unlabeled_texts"), 300);
  const std::vector<std::string> labels = {"neg", "pos"};
  EXPECT_GE(agreement(predictions(student->bundle, labels, held_out_.texts),
                      predictions(teacher_, labels, held_out_.texts)),
            0.9);
}

TEST_F(DistillTest, AnEnsembleAveragesItsMembersProbabilities) {
  auto second = train_model(small_options("seed-cnn", dir_.file("clean.tsv"),
                                          dir_.file("second.fenlei")));
  ASSERT_TRUE(second.ok()) << second.status().message();
  const std::vector<std::string> labels = {"neg", "pos"};
  ThreadPool pool(2);
  auto a = teacher_probabilities({teacher_}, {"a"}, labels, held_out_.texts, pool);
  auto b = teacher_probabilities({second->bundle}, {"b"}, labels, held_out_.texts, pool);
  auto both = teacher_probabilities({teacher_, second->bundle}, {"a", "b"}, labels,
                                    held_out_.texts, pool);
  ASSERT_TRUE(a.ok() && b.ok() && both.ok());
  ASSERT_EQ(both->size(), held_out_.texts.size() * 2);
  for (size_t i = 0; i < both->size(); ++i)
    EXPECT_NEAR((*both)[i], 0.5f * ((*a)[i] + (*b)[i]), 1e-6) << i;
  // The columns follow the order asked for, not the teacher's.
  auto swapped = teacher_probabilities({teacher_}, {"a"}, {"pos", "neg"}, held_out_.texts, pool);
  ASSERT_TRUE(swapped.ok());
  for (size_t i = 0; i < held_out_.texts.size(); ++i)
    EXPECT_EQ((*swapped)[2 * i], (*a)[2 * i + 1]);
}

TEST(Soften, IsSoftmaxOfLogProbabilitiesOverT) {
  std::vector<float> p = {0.7f, 0.2f, 0.1f, 1.0f, 0.0f, 0.0f};
  std::vector<float> same = p;
  soften(&same, 3, 1.0f);
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(same[i], p[i], 1e-6);
  std::vector<float> warm = p;
  soften(&warm, 3, 2.0f);
  const double z = std::sqrt(0.7) + std::sqrt(0.2) + std::sqrt(0.1);
  EXPECT_NEAR(warm[0], std::sqrt(0.7) / z, 1e-6);
  EXPECT_NEAR(warm[2], std::sqrt(0.1) / z, 1e-6);
  // A one-hot row (an int8 teacher's exact 0s) stays finite and still sums to 1.
  EXPECT_NEAR(warm[3] + warm[4] + warm[5], 1.0, 1e-6);
  EXPECT_GT(warm[3], 0.99f);
  std::vector<float> hot = {0.7f, 0.2f, 0.1f};
  soften(&hot, 3, 100.0f);  // high T: nearly uniform
  EXPECT_NEAR(hot[0], 1.0 / 3, 0.01);
}

TEST_F(DistillTest, BadSettingsAreRefusedBeforeAnyWork) {
  write_text_file(dir_.file("data.tsv"), tsv(make_texts(20, 6), false));
  DistillOptions d = distill_options(dir_.file("data.tsv"), dir_.file("s.fenlei"));
  d.temperature = 0.0f;
  auto r = distill_model(d);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--temperature must be > 0"), std::string::npos);
  d.temperature = 2.0f;
  for (float alpha : {-0.1f, 1.5f}) {
    d.alpha = alpha;
    r = distill_model(d);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("--alpha"), std::string::npos) << r.status().message();
  }
  d.alpha = 0.5f;
  d.teachers = {};
  EXPECT_FALSE(distill_model(d).ok());
}

TEST_F(DistillTest, ATeacherThatCannotBeLoadedIsNamed) {
  write_text_file(dir_.file("data.tsv"), tsv(make_texts(20, 6), false));
  write_text_file(dir_.file("broken.fenlei"), "not a model");
  DistillOptions d = distill_options(dir_.file("data.tsv"), dir_.file("s.fenlei"));
  for (const std::string name : {"missing.fenlei", "broken.fenlei"}) {
    d.teachers = {dir_.file("teacher.fenlei"), dir_.file(name)};
    auto r = distill_model(d);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("cannot load teacher: " + dir_.file(name)),
              std::string::npos)
        << r.status().message();
  }
}

TEST_F(DistillTest, ATeacherWithOtherLabelsNamesBothSets) {
  Texts three = make_texts(20, 7);
  three.labels[0] = "mixed";
  write_text_file(dir_.file("three.tsv"), tsv(three, false));
  auto r = distill_model(distill_options(dir_.file("three.tsv"), dir_.file("s.fenlei")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("teacher " + dir_.file("teacher.fenlei") + " has labels {neg, pos}"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("the training data has {mixed, neg, pos}"), std::string::npos) << m;
}

TEST_F(DistillTest, AnUnlabelledFileWithoutTextIsRefused) {
  write_text_file(dir_.file("data.tsv"), tsv(make_texts(20, 6), false));
  write_text_file(dir_.file("blank.txt"), "\n  \n\t\n\xff\xfe\n");
  DistillOptions d = distill_options(dir_.file("data.tsv"), dir_.file("s.fenlei"));
  d.unlabeled = dir_.file("blank.txt");
  auto r = distill_model(d);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no usable text"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("3 blank and 1 invalid UTF-8"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace fenlei::train
