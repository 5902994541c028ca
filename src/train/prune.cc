// prune_model (see prune.h): load, select and cut, measure, recover with the trainer, measure,
// save with the report in the lineage.
#include "train/prune.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>
#include <memory>

#include "core/preprocessor.h"
#include "data/dataset.h"
#include "base/file_util.h"
#include "fenlei/log.h"
#include "format/model_file.h"
#include "core/network_engine.h"
#include "eval/evaluate.h"
#include "train/finetune_init.h"
#include "train/trainer.h"

namespace fenlei::train {
namespace {

using Clock = std::chrono::steady_clock;

// Labelled evaluation texts, encoded once with the model's preprocessing, in fixed-size batches
// (the size `fenlei predict` classifies at a time).
struct EvalSet {
  std::vector<nn::Batch> batches;  // of eval::kBatchSize examples
  std::vector<std::vector<int32_t>> ids;  // per example: eval::evaluate asks for any range
  std::vector<int> truth;
  size_t examples = 0;
};

StatusOr<EvalSet> encode_eval_set(const core::ModelBundle& model, const PruneOptions& options,
                                  std::string* name) {
  const TrainOptions& t = options.train;
  data::Dataset eval;
  if (!t.valid.empty()) {
    FENLEI_ASSIGN_OR_RETURN(eval, data::read_dataset(t.valid, t.read));
    *name = t.valid;
  } else {
    FENLEI_ASSIGN_OR_RETURN(data::Dataset all, data::read_dataset(t.input, t.read));
    FENLEI_ASSIGN_OR_RETURN(data::TrainValidationSplit split,
                            data::split_validation(std::move(all), t.validation_split));
    eval = std::move(split.validation);
    char buf[64];
    std::snprintf(buf, sizeof(buf), " (last %.0f%%)", 100.0 * t.validation_split);
    *name = t.input + buf;
  }
  if (eval.examples.empty()) return invalid_argument_error(*name + ": no evaluation examples");
  EvalSet set;
  FENLEI_ASSIGN_OR_RETURN(set.truth, data::label_ids(eval, model.labels, *name));
  std::vector<int32_t> ids;
  for (size_t i = 0; i < eval.examples.size(); ++i) {
    if (i % eval::kBatchSize == 0) set.batches.emplace_back();
    model.tokenizer->encode(eval.examples[i].text, &ids);
    set.batches.back().add(ids, set.truth[i]);
    set.ids.push_back(ids);
  }
  set.examples = eval.examples.size();
  return set;
}

double accuracy_on(const core::Engine& engine, const EvalSet& set,
                   const std::vector<std::string>& labels) {
  ThreadPool one(1);
  // evaluate() fills slices smaller than a batch (eval::kPredictSlice): exactly [begin, end).
  auto fill = [&](size_t begin, size_t end, nn::Batch* batch) {
    for (size_t i = begin; i < end; ++i) batch->add(set.ids[i], set.truth[i]);
  };
  return eval::evaluate(engine, set.examples, fill, set.truth, labels, one).metrics.accuracy;
}

// Passes over the evaluation set until at least `min_seconds` have elapsed (at least one pass).
double throughput(const core::Engine& engine, const EvalSet& set, double min_seconds) {
  core::Scratch scratch;
  std::vector<float> probs;
  size_t done = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    for (const nn::Batch& b : set.batches) {
      probs.resize(b.size() * size_t(engine.num_classes()));
      engine.predict_proba(b, scratch, probs.data());
    }
    done += set.examples;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < min_seconds);
  return double(done) / std::max(1e-9, elapsed);
}

nlohmann::json measurement_json(const ModelMeasurement& m) {
  return {{"file_bytes", m.file_bytes},
          {"parameters", m.parameters},
          {"accuracy", m.accuracy},
          {"examples_per_second", m.examples_per_second}};
}

// The file bytes of `bundle` once lineage.pruning.after.file_bytes holds their own count.
StatusOr<std::string> serialize_with_own_size(core::ModelBundle* bundle) {
  std::string bytes;
  for (int i = 0; i < 4; ++i) {
    FENLEI_ASSIGN_OR_RETURN(bytes, core::serialize_bundle(*bundle));
    auto& field = bundle->lineage["pruning"]["after"]["file_bytes"];
    if (field.is_number_unsigned() && field.get<uint64_t>() == bytes.size()) return bytes;
    field = uint64_t(bytes.size());
  }
  return bytes;  // a digit count that keeps flipping cannot happen with a monotone size; be safe
}

}  // namespace

StatusOr<PruneResult> prune_model(const PruneOptions& options) {
  if (!(options.sparsity > 0.0 && options.sparsity < 1.0))
    return invalid_argument_error("--sparsity must be in (0, 1), e.g. 0.5 removes half the filters");
  FENLEI_RETURN_IF_ERROR(options.train.validate());
  FENLEI_ASSIGN_OR_RETURN(std::string bytes, read_file(options.model));
  FENLEI_ASSIGN_OR_RETURN(format::ModelFile file, format::parse_model_file(bytes, options.model));
  FENLEI_ASSIGN_OR_RETURN(core::ModelBundle base, core::bundle_from_model_file(file, options.model));
  FENLEI_ASSIGN_OR_RETURN(TrainableModel trainable, trainable_model(base, options.model, "prune"));
  const nn::Network& base_net = *trainable.network;
  if (!has_prunable_layers(base_net.config()))
    return failed_precondition_error(
        "nothing to prune: " + options.model +
        " has no convolution filters and no hidden dense layers (e.g. the fasttext preset); "
        "its size is the embedding table, which `fenlei quantize` shrinks");

  PruneResult r;
  r.base_config = base_net.config();
  FENLEI_ASSIGN_OR_RETURN(r.selection, select_by_magnitude(base_net, options.sparsity));
  FENLEI_ASSIGN_OR_RETURN(nn::Network pruned_net, apply_pruning(base_net, r.selection));
  if (pruned_net.params().total_elements() == base_net.params().total_elements())
    return invalid_argument_error("--sparsity " + std::to_string(options.sparsity) +
                                  " removes no filter or unit of " + options.model +
                                  " (each layer keeps round(size * (1 - sparsity)))");
  FENLEI_ASSIGN_OR_RETURN(EvalSet eval, encode_eval_set(base, options, &r.eval_data));
  r.eval_examples = eval.examples;
  nn::use_single_threaded_blas();

  r.before.file_bytes = bytes.size();
  r.before.parameters = base.engine->parameter_count();
  r.before.accuracy = accuracy_on(*base.engine, eval, base.labels);
  const core::NetworkEngine pruned(std::move(pruned_net));
  r.pruned_accuracy = accuracy_on(pruned, eval, base.labels);
  // Speed depends only on the shapes, so the pruned network stands in for the fine-tuned one.
  // Interleaved rounds, best of each, so that a burst of load on a shared machine (or a cold
  // cache in the first round) does not favour either model.
  for (int round = 0; round < 3; ++round) {
    r.before.examples_per_second =
        std::max(r.before.examples_per_second, throughput(*base.engine, eval, 0.2));
    r.after.examples_per_second =
        std::max(r.after.examples_per_second, throughput(pruned, eval, 0.2));
  }
  const nn::ModelConfig& bc = base_net.config();
  const nn::ModelConfig& pc = pruned.network().config();
  r.pruned_config = pc;
  FENLEI_LOG(kInfo) << "pruned " << options.model << ": filters " << bc.filters << " -> "
                    << pc.filters << " per width, parameters " << r.before.parameters << " -> "
                    << pruned.parameter_count() << "; accuracy " << r.before.accuracy
                    << " -> " << r.pruned_accuracy << " before the recovery fine-tune";

  // Recovery fine-tune through the trainer, starting from the pruned weights. It writes a
  // temporary file; the output is written once, at the end, with the full report.
  TrainOptions o = options.train;
  // The vocabulary must stay the model's own: new words would grow the embedding table that
  // pruning is meant to shrink. No word of the data can reach this count.
  o.min_count = std::numeric_limits<int64_t>::max();
  o.checkpoint = "none";
  o.resume.clear();
  o.output = options.train.output + ".prune-tmp";
  core::ModelBundle start = base;
  start.engine = std::make_shared<const core::NetworkEngine>(pruned.network());
  o.lineage = lineage_from_base(options.model, bytes, base.lineage, o);
  auto trained = continue_training(o, start, /*allow_new_labels=*/false);
  std::remove(o.output.c_str());
  if (!trained.ok()) return trained.status();
  core::ModelBundle& out = trained->bundle;

  r.after.parameters = out.engine->parameter_count();
  r.after.accuracy = accuracy_on(*out.engine, eval, out.labels);
  nlohmann::json conv_kept = nlohmann::json::array(), hidden_kept = nlohmann::json::array();
  for (const auto& k : r.selection.conv) conv_kept.push_back(k);
  for (const auto& k : r.selection.hidden) hidden_kept.push_back(k);
  out.lineage["pruning"] = {
      {"method", "magnitude: L2 norm of each filter/unit's weights and bias, per layer"},
      {"sparsity", options.sparsity},
      {"filters", {bc.filters, pc.filters}},
      {"hidden", {bc.hidden, pc.hidden}},
      {"kept_conv_filters", conv_kept},
      {"kept_hidden_units", hidden_kept},
      {"eval_data", r.eval_data},
      {"eval_examples", r.eval_examples},
      {"pruned_accuracy_before_finetune", r.pruned_accuracy},
      {"before", measurement_json(r.before)},
      {"after", measurement_json(r.after)}};
  FENLEI_ASSIGN_OR_RETURN(std::string out_bytes, serialize_with_own_size(&out));
  r.after.file_bytes = out_bytes.size();
  FENLEI_RETURN_IF_ERROR(write_file_atomic(options.train.output, out_bytes));
  r.bundle = std::move(out);
  return r;
}

}  // namespace fenlei::train
