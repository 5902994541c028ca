// fenlei._fenlei: the Python binding (nanobind) over the public C++ API only —
// fenlei/classifier.h, fenlei/segmenter.h and fenlei/training.h. The friendly Python surface
// (argument checks, pandas, fastText-style results, docstrings) is in python/fenlei/*.py; this
// file converts types, releases the GIL around every computation and turns a failed Status into
// the matching fenlei.Error subclass (python/fenlei/_errors.py) carrying the CLI's message.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fenlei/classifier.h"
#include "fenlei/log.h"
#include "fenlei/metrics.h"
#include "fenlei/segmenter.h"
#include "fenlei/status.h"
#include "fenlei/training.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace fenlei::python {
namespace {

// A failed Status on its way to Python; translated below.
struct StatusError {
  StatusCode code;
  std::string message;
};

const char* error_class_name(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument: return "InvalidArgumentError";
    case StatusCode::kNotFound: return "NotFoundError";
    case StatusCode::kDataLoss: return "DataLossError";
    case StatusCode::kFailedPrecondition: return "FailedPreconditionError";
    case StatusCode::kUnimplemented: return "UnimplementedError";
    default: return "Error";
  }
}

void check(const Status& status) {
  if (!status.ok()) throw StatusError{status.code(), status.message()};
}
template <typename T>
T value_or_throw(StatusOr<T> result) {
  check(result.status());
  return std::move(*result);
}

// Log level for the duration of a call (training's progress bar and epoch lines).
class ScopedLogLevel {
 public:
  explicit ScopedLogLevel(int verbose) : saved_(log_level()) {
    set_log_level(verbose <= 0 ? LogLevel::kQuiet
                  : verbose == 1 ? LogLevel::kInfo
                                 : LogLevel::kDebug);
  }
  ~ScopedLogLevel() { set_log_level(saved_); }

 private:
  LogLevel saved_;
};

// ---- Segmenter.

seg::CutMode parse_mode(const std::string& mode) {
  if (mode == "default" || mode == "accurate") return seg::CutMode::kDefault;
  if (mode == "full") return seg::CutMode::kFull;
  if (mode == "search") return seg::CutMode::kSearch;
  throw StatusError{StatusCode::kInvalidArgument,
                    "mode must be default, full or search, not '" + mode + "'"};
}

class PySegmenter {
 public:
  PySegmenter(std::optional<std::string> user_dict, std::optional<std::string> dict,
              std::optional<std::string> jieba_dir, bool use_cache) {
    seg::SegmenterOptions options;
    if (user_dict) options.user_dict_paths.push_back(*user_dict);
    if (dict) options.dict_path = *dict;
    if (jieba_dir) options.jieba_dir = *jieba_dir;
    options.use_cache = use_cache;
    has_user_dict_ = user_dict.has_value();
    nb::gil_scoped_release release;
    segmenter_ = value_or_throw(seg::Segmenter::load(options));
  }

  // Builds the Python list straight from views into the text: one str per token, no
  // intermediate std::string copies (this is the path fenlei.cut's speed depends on).
  nb::list cut(const std::string& text, const std::string& mode, bool hmm) const {
    const seg::CutMode m = parse_mode(mode);
    nb::list out;
    if (m == seg::CutMode::kFull && has_user_dict_) {
      // The exact overload: full mode with user words may glue pieces no view can hold.
      std::vector<std::string> tokens;
      {
        nb::gil_scoped_release release;
        tokens = segmenter_->cut(text, m, hmm);
      }
      for (const auto& t : tokens) out.append(nb::str(t.data(), t.size()));
      return out;
    }
    std::vector<std::string_view> tokens;
    if (text.size() > kReleaseGilBytes) {
      nb::gil_scoped_release release;
      segmenter_->cut(text, m, hmm, &tokens);
    } else {
      segmenter_->cut(text, m, hmm, &tokens);
    }
    for (const auto& t : tokens) out.append(nb::str(t.data(), t.size()));
    return out;
  }

  bool is_word(const std::string& word) const { return segmenter_->is_word(word); }

 private:
  // Below this, a cut takes about as long as handing the GIL over and back.
  static constexpr size_t kReleaseGilBytes = 256;
  std::shared_ptr<const seg::Segmenter> segmenter_;
  bool has_user_dict_ = false;
};

// ---- Model.

using FloatMatrix = nb::ndarray<nb::numpy, float, nb::ndim<2>>;
using FloatVector = nb::ndarray<nb::numpy, float, nb::ndim<1>>;

FloatMatrix to_numpy(const std::vector<std::vector<float>>& rows, size_t cols) {
  auto* data = new float[rows.size() * cols];
  for (size_t i = 0; i < rows.size(); ++i) std::memcpy(data + i * cols, rows[i].data(), cols * 4);
  nb::capsule owner(data, [](void* p) noexcept { delete[] static_cast<float*>(p); });
  return FloatMatrix(data, {rows.size(), cols}, owner);
}

nb::dict metrics_to_dict(const eval::Metrics& m) {
  nb::dict d;
  d["n"] = m.n;
  d["loss"] = m.loss;
  d["accuracy"] = m.accuracy;
  d["macro_f1"] = m.macro_f1;
  d["weighted_f1"] = m.weighted_f1;
  nb::dict per_class;
  for (const auto& c : m.per_class) {
    nb::dict row;
    row["precision"] = c.precision;
    row["recall"] = c.recall;
    row["f1"] = c.f1;
    row["support"] = c.support;
    per_class[nb::str(c.label.data(), c.label.size())] = row;
  }
  d["per_class"] = per_class;
  // Rows: true label, columns: predicted, in model.labels order. With many labels the table
  // would be labels^2 numbers: then only its non-zero cells, as (true, predicted, count).
  constexpr size_t kMaxDenseLabels = 1000;
  if (m.confusion.size() <= kMaxDenseLabels) {
    d["confusion"] = m.confusion.dense();
  } else {
    nb::list cells;
    for (const auto& e : m.confusion.entries()) cells.append(nb::make_tuple(e.truth, e.predicted, e.count));
    d["confusion_entries"] = cells;
  }
  return d;
}

class PyModel {
 public:
  explicit PyModel(std::shared_ptr<const Classifier> model) : model_(std::move(model)) {}

  // intra_op_threads: LoadOptions::intra_op_threads; out of range is the C++ API's
  // INVALID_ARGUMENT (fenlei.InvalidArgumentError, a ValueError), raised before the file is read.
  static PyModel load(const std::string& path, int intra_op_threads) {
    LoadOptions options;
    options.intra_op_threads = intra_op_threads;
    nb::gil_scoped_release release;
    return PyModel(value_or_throw(Classifier::load(path, options)));
  }

  const std::vector<std::string>& labels() const { return model_->info().labels; }

  nb::dict info() const {
    const ModelInfo& i = model_->info();
    nb::dict d;
    d["architecture"] = i.architecture;
    d["labels"] = i.labels;
    d["max_len"] = i.max_len;
    d["quantized"] = i.quantized;
    d["precision"] = i.precision;
    nb::dict dtypes;  // "f32" -> {"tensors": n, "bytes": b}: the file's weights as stored
    for (const auto& [dtype, count] : i.tensor_dtypes) {
      nb::dict c;
      c["tensors"] = count.tensors;
      c["bytes"] = count.bytes;
      dtypes[nb::str(dtype.data(), dtype.size())] = c;
    }
    d["tensor_dtypes"] = dtypes;
    d["vocab_size"] = i.vocab_size;
    d["parameter_count"] = i.parameter_count;
    d["tokenizer"] = i.tokenizer;
    d["format_version"] = i.format_version;
    d["checksum"] = i.checksum;
    d["file_bytes"] = i.file_bytes;
    d["metadata_json"] = i.metadata_json;
    return d;
  }

  // (labels, probabilities) per text, best first, like fastText's predict.
  std::vector<std::pair<std::vector<std::string>, FloatVector>> predict(
      const std::vector<std::string>& texts, int k, float threshold) const {
    PredictOptions options;
    options.k = k;
    options.threshold = threshold;
    std::vector<Prediction> predictions;
    {
      nb::gil_scoped_release release;
      predictions = value_or_throw(model_->predict(texts, options));
    }
    std::vector<std::pair<std::vector<std::string>, FloatVector>> out;
    out.reserve(predictions.size());
    for (const auto& p : predictions) {
      std::vector<std::string> names;
      auto* scores = new float[p.top_k.size()];
      for (size_t j = 0; j < p.top_k.size(); ++j) {
        names.push_back(p.top_k[j].label);
        scores[j] = p.top_k[j].score;
      }
      nb::capsule owner(scores, [](void* q) noexcept { delete[] static_cast<float*>(q); });
      out.emplace_back(std::move(names), FloatVector(scores, {p.top_k.size()}, owner));
    }
    return out;
  }

  FloatMatrix predict_proba(const std::vector<std::string>& texts) const {
    std::vector<std::vector<float>> rows;
    {
      nb::gil_scoped_release release;
      rows = value_or_throw(model_->probabilities(texts));
    }
    return to_numpy(rows, model_->info().labels.size());
  }

  std::pair<std::string, std::vector<std::tuple<std::string, float, bool>>> explain(
      const std::string& text, const std::optional<std::string>& label) const {
    ExplainOptions options;
    if (label) options.label = *label;
    Explanation e;
    {
      nb::gil_scoped_release release;
      e = value_or_throw(model_->explain(text, options));
    }
    std::vector<std::tuple<std::string, float, bool>> tokens;
    tokens.reserve(e.tokens.size());
    for (const auto& t : e.tokens) tokens.emplace_back(t.token, t.weight, t.known);
    return {e.label, std::move(tokens)};
  }

  nb::dict test_file(const std::string& path, const std::string& format) const {
    eval::Metrics m;
    {
      nb::gil_scoped_release release;
      m = value_or_throw(evaluate_classifier(*model_, path, format));
    }
    return metrics_to_dict(m);
  }

  nb::dict test_texts(std::vector<std::string> texts, std::vector<std::string> labels) const {
    eval::Metrics m;
    {
      nb::gil_scoped_release release;
      LabelledTexts data{std::move(texts), std::move(labels)};
      m = value_or_throw(evaluate_classifier(*model_, data));
    }
    return metrics_to_dict(m);
  }

  PyModel quantize(bool per_channel, const std::string& embedding_scale) const {
    QuantizeSettings settings;
    settings.per_channel = per_channel;
    if (embedding_scale != "table" && embedding_scale != "row") {
      throw StatusError{StatusCode::kInvalidArgument,
                        "embedding_scale must be table or row, not '" + embedding_scale + "'"};
    }
    settings.embedding_per_row = embedding_scale == "row";
    nb::gil_scoped_release release;
    return PyModel(value_or_throw(quantize_classifier(*model_, settings)));
  }

  void save(const std::string& path) const {
    nb::gil_scoped_release release;
    check(save_classifier(*model_, path));
  }

  void warm_up() const {
    nb::gil_scoped_release release;
    model_->warm_up();
  }

  // For bench/python_binding.py: the C++ API's own time for probabilities() on these texts,
  // measured inside C++ (seconds per call, best of `repeats`), to compare with the Python call.
  // cpu: this thread's CPU time (probabilities() runs on the calling thread), which a loaded
  // machine disturbs far less than wall-clock time.
  double cpp_probabilities_seconds(const std::vector<std::string>& texts, int repeats,
                                   bool cpu) const {
    nb::gil_scoped_release release;
    auto now = [cpu] {
      if (!cpu) {
        return std::chrono::duration<double>(
                   std::chrono::steady_clock::now().time_since_epoch()).count();
      }
      timespec ts{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
    };
    double best = 1e30;
    for (int r = 0; r < repeats; ++r) {
      const double start = now();
      auto rows = model_->probabilities(texts);
      const double took = now() - start;
      check(rows.status());
      best = std::min(best, took);
    }
    return best;
  }

 private:
  std::shared_ptr<const Classifier> model_;
};

// ---- Training.

// Fills TrainSettings from the keywords of fenlei.train (Python names = the CLI's flags with
// '_' for '-'). Unknown keywords are a TypeError, as for any Python function.
TrainSettings settings_from_dict(const nb::dict& kwargs) {
  TrainSettings s;
  for (auto [key_obj, value] : kwargs) {
    const std::string key = nb::cast<std::string>(key_obj);
    if (value.is_none()) continue;  // None: the default
    auto as_str = [&] { return nb::cast<std::string>(value); };
    auto as_int = [&] { return nb::cast<int64_t>(value); };
    auto as_float = [&] { return nb::cast<double>(value); };
    auto as_bool = [&] { return nb::cast<bool>(value); };
    auto as_ints = [&] { return nb::cast<std::vector<int>>(value); };
    if (key == "valid") s.valid = as_str();
    else if (key == "validation_split") s.validation_split = as_float();
    else if (key == "format") s.format = as_str();
    else if (key == "text_column") s.text_column = as_str();
    else if (key == "label_column") s.label_column = as_str();
    else if (key == "skip_bad_rows") s.skip_bad_rows = as_bool();
    else if (key == "tokenizer") s.tokenizer = as_str();
    else if (key == "hmm") s.hmm = as_bool();
    else if (key == "user_dict") s.user_dict = as_str();
    else if (key == "lowercase") s.lowercase = as_bool();
    else if (key == "fullwidth_to_halfwidth") s.fullwidth_to_halfwidth = as_bool();
    else if (key == "t2s" || key == "traditional_to_simplified") s.traditional_to_simplified = as_bool();
    else if (key == "vocab_size") s.vocab_size = as_int();
    else if (key == "min_count") s.min_count = as_int();
    else if (key == "max_len") s.max_len = static_cast<int>(as_int());
    else if (key == "model") s.model = as_str();
    else if (key == "embed_dim") s.embed_dim = static_cast<int>(as_int());
    else if (key == "filters") s.filters = static_cast<int>(as_int());
    else if (key == "widths") s.widths = as_ints();
    else if (key == "hidden") s.hidden = as_ints();
    else if (key == "dropout") s.dropout = static_cast<float>(as_float());
    else if (key == "bigram_buckets") s.bigram_buckets = as_int();
    else if (key == "epochs") s.epochs = static_cast<int>(as_int());
    else if (key == "batch_size") s.batch_size = static_cast<int>(as_int());
    else if (key == "optimizer") s.optimizer = as_str();
    else if (key == "lr") s.lr = static_cast<float>(as_float());
    else if (key == "lr_schedule") s.lr_schedule = as_str();
    else if (key == "patience") s.patience = static_cast<int>(as_int());
    else if (key == "monitor") s.monitor = as_str();
    else if (key == "weight_decay") s.weight_decay = static_cast<float>(as_float());
    else if (key == "l2") s.l2 = static_cast<float>(as_float());
    else if (key == "clip_norm") s.clip_norm = static_cast<float>(as_float());
    else if (key == "class_weight") s.class_weight = as_str();
    else if (key == "restore_best") s.restore_best = as_bool();
    else if (key == "seed") s.seed = static_cast<uint64_t>(as_int());
    else if (key == "threads") s.threads = static_cast<int>(as_int());
    else if (key == "output") s.output = as_str();
    else if (key == "log") s.log_path = as_str();
    else throw nb::type_error(("train() got an unexpected keyword argument '" + key + "'").c_str());
  }
  return s;
}

PyModel train_file(const std::string& path, const nb::dict& kwargs, int verbose) {
  const TrainSettings settings = settings_from_dict(kwargs);
  nb::gil_scoped_release release;
  ScopedLogLevel level(verbose);
  return PyModel(value_or_throw(train_classifier(path, settings)));
}

PyModel train_texts(std::vector<std::string> texts, std::vector<std::string> labels,
                    std::optional<std::vector<std::string>> valid_texts,
                    std::optional<std::vector<std::string>> valid_labels, const nb::dict& kwargs,
                    int verbose) {
  const TrainSettings settings = settings_from_dict(kwargs);
  nb::gil_scoped_release release;
  ScopedLogLevel level(verbose);
  LabelledTexts data{std::move(texts), std::move(labels)};
  std::optional<LabelledTexts> valid;
  if (valid_texts && valid_labels) valid = LabelledTexts{*valid_texts, *valid_labels};
  return PyModel(value_or_throw(train_classifier(data, valid ? &*valid : nullptr, settings)));
}

}  // namespace
}  // namespace fenlei::python

NB_MODULE(_fenlei, m) {
  using namespace fenlei::python;
  m.doc() = "fenlei's C++ engine; use the fenlei package, not this module.";
  // A library imported into someone else's program speaks only when something is wrong;
  // fenlei.train(verbose=1) turns progress on for the duration of the call.
  fenlei::set_log_level(fenlei::LogLevel::kWarning);

  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const StatusError& e) {
      nb::object cls = nb::module_::import_("fenlei._errors").attr(error_class_name(e.code));
      PyErr_SetString(cls.ptr(), e.message.c_str());
    }
  });

  m.attr("MAX_INTRA_OP_THREADS") = fenlei::kMaxIntraOpThreads;

  nb::class_<PySegmenter>(m, "Segmenter")
      .def(nb::init<std::optional<std::string>, std::optional<std::string>,
                    std::optional<std::string>, bool>(),
           "user_dict"_a = nb::none(), "dict"_a = nb::none(), "jieba_dir"_a = nb::none(),
           "use_cache"_a = true)
      .def("cut", &PySegmenter::cut, "text"_a, "mode"_a = "default", "hmm"_a = true)
      .def("is_word", &PySegmenter::is_word, "word"_a);

  nb::class_<PyModel>(m, "Model")
      .def_static("load", &PyModel::load, "path"_a, "intra_op_threads"_a = 1)
      .def_prop_ro("labels", &PyModel::labels)
      .def("info", &PyModel::info)
      .def("predict", &PyModel::predict, "texts"_a, "k"_a = 1, "threshold"_a = 0.0f)
      .def("predict_proba", &PyModel::predict_proba, "texts"_a)
      .def("explain", &PyModel::explain, "text"_a, "label"_a = nb::none())
      .def("test_file", &PyModel::test_file, "path"_a, "format"_a = "auto")
      .def("test_texts", &PyModel::test_texts, "texts"_a, "labels"_a)
      .def("quantize", &PyModel::quantize, "per_channel"_a = true, "embedding_scale"_a = "table")
      .def("save", &PyModel::save, "path"_a)
      .def("warm_up", &PyModel::warm_up)
      .def("_cpp_probabilities_seconds", &PyModel::cpp_probabilities_seconds, "texts"_a,
           "repeats"_a = 3, "cpu"_a = false);

  m.def("train_file", &train_file, "path"_a, "kwargs"_a, "verbose"_a = 1);
  m.def("train_texts", &train_texts, "texts"_a, "labels"_a, "valid_texts"_a = nb::none(),
        "valid_labels"_a = nb::none(), "kwargs"_a, "verbose"_a = 1);
}
