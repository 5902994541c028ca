#include "train/encoder_checkpoint.h"

#include <map>
#include <vector>

#include "format/model_file.h"
#include "transformer/checkpoint.h"
#include "transformer/encoder_train.h"

namespace fenlei::train {
namespace {

constexpr const char* kKind = "transformer fine-tuning";
constexpr const char* kBestModel = "best_model_file";

// Tensor-name prefixes of the optimiser's two state vectors (the second is AdamW's only).
std::pair<std::string, std::string> state_prefixes(transformer::EncoderOptimizerKind kind) {
  if (kind == transformer::EncoderOptimizerKind::kAdamW) return {"adamw/m/", "adamw/v/"};
  return {"sgd/momentum/", ""};
}

// A fingerprint value for a message: digests of data as their text count.
std::string describe(const nlohmann::json& v) {
  if (v.is_object() && v.contains("texts"))
    return std::to_string(v["texts"].get<int64_t>()) + " texts, digest " +
           v.value("digest", std::string("?"));
  return v.dump();
}

Status check_fingerprint(const std::string& path, const nlohmann::json& saved,
                         const EncoderRunFingerprint& now) {
  std::string differ;
  for (const auto& [flag, value] : now.items()) {
    if (saved.contains(flag) && saved[flag] == value) continue;
    differ += "\n  " + flag + ": the checkpoint's run used " +
              (saved.contains(flag) ? describe(saved[flag]) : std::string("no value")) +
              ", this one " + describe(value);
  }
  if (differ.empty()) return Status();
  return failed_precondition_error(
      path + ": the checkpoint was written by a run with other options; resume with the same "
             "options as that run (only --epochs, --max-steps, --threads, --checkpoint, "
             "--keep-checkpoint and --output may change):" +
      differ);
}

}  // namespace

Status save_encoder_checkpoint(const std::string& path, const core::ModelBundle& model,
                               const transformer::EncoderWeights& weights,
                               const transformer::EncoderOptimizer& optimizer,
                               const EncoderRunState& state,
                               const EncoderRunFingerprint& fingerprint,
                               const std::string& best_model_file) {
  format::ModelFile file = core::bundle_to_model_file(model);
  nlohmann::json meta = core::bundle_metadata(model);
  meta["checkpoint"] = {{"kind", kKind},
                        {"epochs_done", state.epochs_done},
                        {"steps", state.steps},
                        {"optimizer_steps", optimizer.steps()},
                        {"micro_batches", state.micro_batches},
                        {"examples", state.examples},
                        {"best_epoch", state.best_epoch},
                        {"best_score", state.best_score},
                        {"epochs_without_improvement", state.epochs_without_improvement},
                        {"valid_loss", state.valid_loss},
                        {"valid_accuracy", state.valid_accuracy},
                        {"options", fingerprint}};
  file.metadata_json = meta.dump();
  const auto views = transformer::param_views(const_cast<transformer::EncoderWeights*>(&weights));
  const auto [a_prefix, b_prefix] = state_prefixes(optimizer.config().kind);
  const auto& a = optimizer.state_a();
  const auto& b = optimizer.state_b();
  for (size_t t = 0; t < views.size(); ++t) {
    if (t < a.size())
      file.optimizer_state.push_back(format::make_f32_tensor(a_prefix + views[t].name, {views[t].size}, a[t]));
    if (t < b.size())
      file.optimizer_state.push_back(format::make_f32_tensor(b_prefix + views[t].name, {views[t].size}, b[t]));
  }
  if (!best_model_file.empty()) {
    format::Tensor best;
    best.name = kBestModel;
    best.dtype = format::DType::kU8;
    best.shape = {static_cast<int64_t>(best_model_file.size())};
    best.data = best_model_file;
    file.optimizer_state.push_back(std::move(best));
  }
  return format::write_model_file(path, file);
}

Status load_encoder_checkpoint(const std::string& path, const EncoderRunFingerprint& fingerprint,
                               transformer::EncoderWeights* weights,
                               transformer::EncoderOptimizer* optimizer, EncoderRunState* state,
                               std::string* best_model_file) {
  FENLEI_ASSIGN_OR_RETURN(format::ModelFile file, format::read_model_file(path));
  const nlohmann::json meta = nlohmann::json::parse(file.metadata_json, nullptr, false);
  if (!meta.is_object() || !meta.contains("checkpoint") || !meta["checkpoint"].is_object())
    return invalid_argument_error(path + ": a model file, not a training checkpoint");
  const nlohmann::json& c = meta["checkpoint"];
  if (c.value("kind", std::string()) != kKind)
    return invalid_argument_error(path + ": a checkpoint of another kind of training, not of "
                                         "transformer fine-tuning");
  if (!c.contains("options") || !c["options"].is_object())
    return data_loss_error(path + ": checkpoint lacks the options of its run");
  FENLEI_RETURN_IF_ERROR(check_fingerprint(path, c["options"], fingerprint));
  try {
    state->epochs_done = c.at("epochs_done").get<int>();
    state->steps = c.at("steps").get<int64_t>();
    state->micro_batches = c.at("micro_batches").get<int64_t>();
    state->examples = c.at("examples").get<int64_t>();
    state->best_epoch = c.at("best_epoch").get<int>();
    state->best_score = c.at("best_score").get<double>();
    state->epochs_without_improvement = c.at("epochs_without_improvement").get<int>();
    state->valid_loss = c.at("valid_loss").get<double>();
    state->valid_accuracy = c.at("valid_accuracy").get<double>();
    optimizer->set_steps(c.at("optimizer_steps").get<int64_t>());
  } catch (const nlohmann::json::exception& e) {
    return data_loss_error(path + ": checkpoint state is malformed: " + e.what());
  }

  // Weights: the same tensors as the run's, copied into it.
  if (!meta.contains("architecture") || !meta["architecture"].contains("config"))
    return data_loss_error(path + ": metadata architecture lacks the encoder config");
  FENLEI_ASSIGN_OR_RETURN(transformer::EncoderWeights saved,
                          transformer::encoder_from_tensors(meta["architecture"]["config"],
                                                            file.tensors, path));
  const auto to = transformer::param_views(weights);
  const auto from = transformer::param_views(&saved);
  auto same_shapes = [&] {
    if (to.size() != from.size()) return false;
    for (size_t t = 0; t < to.size(); ++t)
      if (to[t].name != from[t].name || to[t].size != from[t].size) return false;
    return true;
  };
  if (!same_shapes())
    return failed_precondition_error(path + ": the checkpoint's model has another architecture "
                                            "or head than this run's (--init)");
  for (size_t t = 0; t < to.size(); ++t)
    std::copy(from[t].data, from[t].data + from[t].size, to[t].data);

  // Optimiser state and the best epoch's model file.
  std::map<std::string, const format::Tensor*> stored;
  for (const format::Tensor& t : file.optimizer_state) stored[t.name] = &t;
  const auto [a_prefix, b_prefix] = state_prefixes(optimizer->config().kind);
  auto restore = [&](const std::string& name, size_t size, std::vector<float>* into) -> Status {
    auto it = stored.find(name);
    if (it == stored.end()) return data_loss_error(path + ": checkpoint lacks '" + name + "'");
    FENLEI_ASSIGN_OR_RETURN(std::vector<float> values, format::tensor_to_f32(*it->second));
    if (values.size() != size) return data_loss_error(path + ": '" + name + "' has a wrong size");
    *into = std::move(values);
    return Status();
  };
  auto& a = optimizer->state_a();
  auto& b = optimizer->state_b();
  for (size_t t = 0; t < to.size(); ++t) {
    if (t < a.size()) FENLEI_RETURN_IF_ERROR(restore(a_prefix + to[t].name, a[t].size(), &a[t]));
    if (t < b.size()) FENLEI_RETURN_IF_ERROR(restore(b_prefix + to[t].name, b[t].size(), &b[t]));
  }
  best_model_file->clear();
  if (auto it = stored.find(kBestModel); it != stored.end()) *best_model_file = it->second->data;
  return Status();
}

}  // namespace fenlei::train
