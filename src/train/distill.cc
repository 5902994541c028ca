// distill_model and the teacher side of distillation (see distill.h): load the teachers, compute
// their probabilities once, soften them and hand them to the trainer through EncodedSet.
#include "train/distill.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "base/file_util.h"
#include "fenlei/log.h"
#include "text/utf8.h"

namespace fenlei::train {
namespace {

// Texts per teacher batch: large enough to keep an engine busy, small enough to balance threads.
constexpr size_t kTeacherBatch = 128;

// 0.5, 2, -1: as a person writes the number (std::to_string would give 0.500000).
std::string number(float x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

std::string label_list(std::vector<std::string> labels) {
  std::sort(labels.begin(), labels.end());
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) out += (i ? ", " : "") + labels[i];
  return out + "}";
}

// The teacher's file for messages (a library caller may leave the paths out).
std::string teacher_name(const std::vector<std::string>& paths, size_t t) {
  return t < paths.size() ? paths[t] : "number " + std::to_string(t + 1);
}

// For each of `labels`, its column in the teacher's output; INVALID_ARGUMENT naming both sets
// when the teacher's labels are not the same set.
StatusOr<std::vector<int>> teacher_columns(const core::ModelBundle& teacher,
                                           const std::string& path,
                                           const std::vector<std::string>& labels) {
  std::vector<std::string> a = teacher.labels, b = labels;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a != b)
    return invalid_argument_error("teacher " + path + " has labels " + label_list(teacher.labels) +
                                  " but the training data has " + label_list(labels) +
                                  ": a teacher must know exactly the data's labels");
  if (teacher.engine->multi_label())
    return invalid_argument_error("teacher " + path + " is multi-label (one sigmoid per label); "
                                  "distillation needs one distribution over the labels");
  std::vector<int> columns;
  for (const auto& label : labels)
    columns.push_back(static_cast<int>(
        std::find(teacher.labels.begin(), teacher.labels.end(), label) - teacher.labels.begin()));
  return columns;
}

}  // namespace

StatusOr<std::vector<std::string>> read_unlabeled_texts(const std::string& path) {
  FENLEI_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  std::vector<std::string> texts;
  size_t blank = 0, invalid = 0, pos = 0;
  while (pos < bytes.size()) {
    size_t end = bytes.find('\n', pos);
    if (end == std::string::npos) end = bytes.size();
    std::string line = bytes.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      ++blank;
    } else if (!utf8::is_valid(line)) {
      ++invalid;
    } else {
      texts.push_back(std::move(line));
    }
  }
  if (texts.empty())
    return invalid_argument_error("--unlabeled " + path +
                                  ": no usable text (expected one UTF-8 text per line; " +
                                  std::to_string(blank) + " blank and " + std::to_string(invalid) +
                                  " invalid UTF-8 lines)");
  if (invalid > 0) {
    FENLEI_LOG(kWarning) << path << ": skipped " << invalid << " lines that are not valid UTF-8";
  }
  return texts;
}

StatusOr<std::vector<float>> teacher_probabilities(const std::vector<core::ModelBundle>& teachers,
                                                   const std::vector<std::string>& teacher_paths,
                                                   const std::vector<std::string>& labels,
                                                   const std::vector<std::string>& texts,
                                                   ThreadPool& pool) {
  const size_t classes = labels.size();
  std::vector<float> probs(texts.size() * classes, 0.0f);
  const size_t batches = (texts.size() + kTeacherBatch - 1) / kTeacherBatch;
  const float share = 1.0f / static_cast<float>(teachers.size());
  for (size_t t = 0; t < teachers.size(); ++t) {
    const core::ModelBundle& teacher = teachers[t];
    const std::string path = teacher_name(teacher_paths, t);
    FENLEI_ASSIGN_OR_RETURN(const std::vector<int> columns,
                            teacher_columns(teacher, path, labels));
    const size_t width = static_cast<size_t>(teacher.engine->num_classes());
    // Every batch writes its own rows: the result does not depend on the thread count.
    pool.run(static_cast<int>(batches), [&](int b) {
      thread_local core::Scratch scratch;
      thread_local nn::Batch batch;
      thread_local std::vector<int32_t> ids;
      thread_local std::vector<float> out;
      const size_t begin = static_cast<size_t>(b) * kTeacherBatch;
      const size_t end = std::min(texts.size(), begin + kTeacherBatch);
      batch.clear();
      for (size_t i = begin; i < end; ++i) {
        teacher.tokenizer->encode(texts[i], &ids);
        batch.add(ids);
      }
      out.resize(batch.size() * width);
      teacher.engine->predict_proba(batch, scratch, out.data());
      for (size_t i = begin; i < end; ++i) {
        const float* row = out.data() + (i - begin) * width;
        float* dst = probs.data() + i * classes;
        for (size_t c = 0; c < classes; ++c) dst[c] += share * row[columns[c]];
      }
    });
  }
  return probs;
}

Status check_teachers(const Distillation& d, const std::vector<std::string>& labels) {
  for (size_t t = 0; t < d.teachers.size(); ++t)
    FENLEI_RETURN_IF_ERROR(teacher_columns(d.teachers[t], teacher_name(d.teacher_paths, t), labels)
                               .status());
  return Status();
}

void soften(std::vector<float>* probs, int classes, float temperature) {
  const size_t k = static_cast<size_t>(classes);
  const double inv_t = 1.0 / temperature;
  std::vector<double> logs(k);
  for (size_t row = 0; row + k <= probs->size(); row += k) {
    float* p = probs->data() + row;
    double mx = -1e300;
    for (size_t c = 0; c < k; ++c) {
      // A probability of exactly 0 (an int8 or sharp teacher) stays tiny but finite.
      logs[c] = std::log(std::max(double(p[c]), 1e-12)) * inv_t;
      mx = std::max(mx, logs[c]);
    }
    double sum = 0.0;
    for (size_t c = 0; c < k; ++c) sum += (logs[c] = std::exp(logs[c] - mx));
    for (size_t c = 0; c < k; ++c) p[c] = static_cast<float>(logs[c] / sum);
  }
}

Status attach_soft_targets(const Distillation& d, const std::vector<std::string>& texts,
                           size_t labelled, const std::vector<std::string>& labels,
                           ThreadPool& pool, EncodedSet* train, nlohmann::json* training) {
  if (texts.size() != train->size() || labelled > texts.size())
    return internal_error("distillation: texts and encoded examples disagree");
  const int classes = static_cast<int>(labels.size());
  const size_t k = labels.size();
  FENLEI_LOG(kInfo) << "teacher" << (d.teachers.size() > 1 ? "s" : "") << ": predicting "
                    << texts.size() << " training texts (" << texts.size() - labelled
                    << " unlabelled) once";
  FENLEI_ASSIGN_OR_RETURN(std::vector<float> probs,
                          teacher_probabilities(d.teachers, d.teacher_paths, labels, texts, pool));
  // The teacher's choice: its accuracy on the labelled texts, the placeholder label of the rest.
  size_t agree = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const float* p = probs.data() + i * k;
    const int best = static_cast<int>(std::max_element(p, p + k) - p);
    if (i < labelled) {
      agree += best == train->labels[i];
    } else {
      train->labels[i] = best;
    }
  }
  const double teacher_accuracy = labelled ? double(agree) / double(labelled) : 0.0;
  FENLEI_LOG(kInfo) << "teacher accuracy on the labelled training texts " << teacher_accuracy;
  soften(&probs, classes, d.temperature);
  // Hinton et al.: the soft loss's gradients scale as 1/T^2, so it is weighted by T^2.
  const float t2 = d.temperature * d.temperature;
  train->soft_targets = std::move(probs);
  train->soft_weights.assign(texts.size(), t2);
  train->soft_temperature = d.temperature;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (i < labelled) {
      train->weights[i] *= 1.0f - d.alpha;
      train->soft_weights[i] *= d.alpha;
    } else {
      train->weights[i] = 0.0f;
    }
  }
  (*training)["distillation"] = {{"teachers", d.teacher_paths},
                                 {"temperature", d.temperature},
                                 {"alpha", d.alpha},
                                 {"unlabeled_file", d.unlabeled_path},
                                 {"unlabeled_texts", texts.size() - labelled},
                                 {"teacher_train_accuracy", teacher_accuracy}};
  return Status();
}

StatusOr<TrainResult> distill_model(const DistillOptions& options) {
  if (options.teachers.empty())
    return invalid_argument_error("distillation needs a teacher model (--teacher FILE)");
  if (!(options.temperature > 0.0f) || !std::isfinite(options.temperature))
    return invalid_argument_error("--temperature must be > 0 (1 = the teacher's own "
                                  "probabilities; 2-5 soften them), got " +
                                  number(options.temperature));
  if (!(options.alpha >= 0.0f && options.alpha <= 1.0f))
    return invalid_argument_error("--alpha (the soft loss's weight) must be in [0, 1], got " +
                                  number(options.alpha));
  auto d = std::make_shared<Distillation>();
  d->teacher_paths = options.teachers;
  d->temperature = options.temperature;
  d->alpha = options.alpha;
  for (const auto& path : options.teachers) {
    auto teacher = core::load_bundle(path);
    if (!teacher.ok()) {
      // The loader's messages usually start with the path already.
      const std::string& why = teacher.status().message();
      return Status(teacher.status().code(),
                    "cannot load teacher: " +
                        (why.rfind(path, 0) == 0 ? why : path + ": " + why));
    }
    d->teachers.push_back(std::move(teacher).value());
  }
  if (!options.unlabeled.empty()) {
    d->unlabeled_path = options.unlabeled;
    FENLEI_ASSIGN_OR_RETURN(d->unlabeled_texts, read_unlabeled_texts(options.unlabeled));
  }
  TrainOptions o = options.train;
  o.distillation = std::move(d);
  return train_model(o);
}

}  // namespace fenlei::train
