// Knowledge distillation (Hinton et al. 2015): train a small student network on a teacher's soft
// targets — its class probabilities softened at a temperature T — mixed with the hard labels,
// on labelled texts and, optionally, on unlabelled ones (soft targets only; Tang et al. 2019
// distil BERT into small networks this way). Any fenlei model can teach, through the Engine
// interface only: float or int8 cnn/fasttext, an imported transformer; several teachers form an
// ensemble whose probabilities are averaged.
//
//   train::DistillOptions d;
//   d.teachers = {"textcnn.fenlei", "fasttext.fenlei"};
//   d.train.input = "train.tsv"; d.train.valid = "dev.tsv"; d.train.output = "student.fenlei";
//   d.train.model = *nn::ModelConfig::preset("seed-cnn");
//   FENLEI_ASSIGN_OR_RETURN(train::TrainResult r, train::distill_model(d));
//
// Per labelled text the loss is (1 - alpha) * CE(label) + alpha * T^2 * CE_T(teacher), per
// unlabelled text T^2 * CE_T(teacher), where CE_T is the cross-entropy of the student's softmax
// at T against the teacher's distribution at T (nn::soft_softmax_xent). The teacher's
// probabilities are computed once, before the first epoch, over all threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "core/model_bundle.h"
#include "fenlei/status.h"
#include "train/encoded_data.h"
#include "train/train_options.h"
#include "train/trainer.h"

namespace fenlei::train {

// What the trainer needs to distil (TrainOptions::distillation): the loaded teachers and the
// mixing settings. Made by distill_model.
struct Distillation {
  std::vector<std::string> teacher_paths;
  std::vector<core::ModelBundle> teachers;
  float temperature = 2.0f;
  float alpha = 0.5f;  // weight of the soft loss on labelled texts
  std::string unlabeled_path;
  std::vector<std::string> unlabeled_texts;  // soft targets only
};

struct DistillOptions {
  std::vector<std::string> teachers;  // model files; several = an ensemble (mean probabilities)
  float temperature = 2.0f;           // > 0
  float alpha = 0.5f;                 // in [0, 1]
  std::string unlabeled;              // optional: one text per line
  // The student's data, architecture (train.model) and training settings, as for train_model.
  TrainOptions train;
};

// Loads the teachers and the unlabelled texts, checks the settings, and trains the student.
// INVALID_ARGUMENT for temperature <= 0, alpha outside [0, 1], no teacher, an unlabelled file
// without usable text, or a teacher whose labels differ from the data's (both sets named);
// the load error of a teacher that cannot be loaded, with its path.
StatusOr<TrainResult> distill_model(const DistillOptions& options);

// Every text of `path`, one per line: blank lines and lines that are not valid UTF-8 are
// skipped (and counted in a warning); INVALID_ARGUMENT when no usable text remains.
StatusOr<std::vector<std::string>> read_unlabeled_texts(const std::string& path);

// The teachers' mean class probabilities for `texts`, row-major [texts, labels.size()], columns
// in the order of `labels` (a teacher may order its labels differently). INVALID_ARGUMENT,
// naming both label sets, when a teacher's labels are not exactly `labels`, or for a
// multi-label teacher. Batches of texts run over the pool.
StatusOr<std::vector<float>> teacher_probabilities(const std::vector<core::ModelBundle>& teachers,
                                                   const std::vector<std::string>& teacher_paths,
                                                   const std::vector<std::string>& labels,
                                                   const std::vector<std::string>& texts,
                                                   ThreadPool& pool);

// OK when every teacher knows exactly `labels` and gives one distribution over them, else
// INVALID_ARGUMENT naming the teacher and both label sets.
Status check_teachers(const Distillation& distillation, const std::vector<std::string>& labels);

// Softens probability rows in place to temperature T: p_c^(1/T) / sum_k p_k^(1/T), which is
// softmax(z / T) for the logits z behind p (any engine's output, no logits needed).
void soften(std::vector<float>* probs, int classes, float temperature);

// Called by prepare_data: gives every example of `train` its soft target. `texts` are the
// training texts in `train`'s order, the first `labelled` with labels, the rest unlabelled
// (their label becomes the teacher's choice, with hard weight 0, so that training accuracy
// counts agreement with the teacher there). Records the settings in *training.
Status attach_soft_targets(const Distillation& distillation, const std::vector<std::string>& texts,
                           size_t labelled, const std::vector<std::string>& labels,
                           ThreadPool& pool, EncodedSet* train, nlohmann::json* training);

}  // namespace fenlei::train
