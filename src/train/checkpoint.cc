#include "train/checkpoint.h"

#include "core/network_engine.h"
#include "format/model_file.h"
#include "train/finetune_init.h"

namespace fenlei::train {
namespace {

constexpr const char* kBestPrefix = "best/";

nlohmann::json history_json(const std::vector<EpochRecord>& history) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& r : history) {
    a.push_back({r.epoch, r.train_loss, r.train_accuracy, r.valid_loss, r.valid_accuracy, r.lr,
                 r.seconds, r.examples_per_second});
  }
  return a;
}

std::vector<EpochRecord> history_from_json(const nlohmann::json& a) {
  std::vector<EpochRecord> out;
  for (const auto& v : a) {
    EpochRecord r;
    r.epoch = v.at(0).get<int>();
    r.train_loss = v.at(1).get<double>();
    r.train_accuracy = v.at(2).get<double>();
    r.valid_loss = v.at(3).get<double>();
    r.valid_accuracy = v.at(4).get<double>();
    r.lr = v.at(5).get<double>();
    r.seconds = v.at(6).get<double>();
    r.examples_per_second = v.at(7).get<double>();
    out.push_back(r);
  }
  return out;
}

}  // namespace

Status save_checkpoint(const std::string& path, const core::ModelBundle& bundle,
                       const nn::Network& net, const nn::Optimizer& optimizer,
                       const nn::LrSchedule& schedule, const TrainState& state) {
  core::ModelBundle snapshot = bundle;
  snapshot.engine = std::make_shared<const core::NetworkEngine>(net);
  format::ModelFile file = core::bundle_to_model_file(snapshot);
  nlohmann::json meta = core::bundle_metadata(snapshot);
  meta["checkpoint"] = {{"epochs_done", state.epochs_done},
                        {"best_epoch", state.best_epoch},
                        {"best_value", state.best_value},
                        {"epochs_without_improvement", state.epochs_without_improvement},
                        {"history", history_json(state.history)},
                        {"plateau_scale", schedule.plateau_scale()},
                        {"plateau_best", schedule.best_loss()},
                        {"plateau_bad_epochs", schedule.bad_epochs()}};
  file.metadata_json = meta.dump();
  nn::Params optimizer_state = optimizer.export_state();
  for (nn::Tensor& t : optimizer_state) {
    file.optimizer_state.push_back(format::make_f32_tensor(t.name, t.shape, t.data));
    std::vector<float>().swap(t.data);  // each moment exists twice only while it is converted
  }
  for (const nn::Tensor& t : state.best_params) {
    file.optimizer_state.push_back(format::make_f32_tensor(kBestPrefix + t.name, t.shape, t.data));
  }
  return format::write_model_file(path, file);
}

Status load_checkpoint(const std::string& path, const core::ModelBundle& bundle,
                       nn::Network* net, nn::Optimizer* optimizer, nn::LrSchedule* schedule,
                       TrainState* state) {
  FENLEI_ASSIGN_OR_RETURN(format::ModelFile file, format::read_model_file(path));
  FENLEI_ASSIGN_OR_RETURN(core::ModelBundle saved, core::bundle_from_model_file(file, path));
  FENLEI_ASSIGN_OR_RETURN(TrainableModel trainable, trainable_model(saved, path, "resume from"));
  const auto* tokenizer = core::trainable_tokenizer(*bundle.tokenizer);
  if (tokenizer == nullptr ||
      trainable.tokenizer->vocabulary().tokens() != tokenizer->vocabulary().tokens() ||
      saved.labels != bundle.labels) {
    return failed_precondition_error(
        path + ": the checkpoint was made from different data or preprocessing settings "
               "(vocabulary or labels differ); resume with the same --input and options");
  }
  if (trainable.network->config() != net->config()) {
    return failed_precondition_error(path + ": the checkpoint's architecture differs from the "
                                            "requested model; resume with the same --model flags");
  }
  nlohmann::json meta = nlohmann::json::parse(file.metadata_json, nullptr, false);
  if (!meta.is_object() || !meta.contains("checkpoint")) {
    return invalid_argument_error(path + ": a model file, not a training checkpoint");
  }
  try {
    const auto& c = meta["checkpoint"];
    state->epochs_done = c.at("epochs_done").get<int>();
    state->best_epoch = c.at("best_epoch").get<int>();
    state->best_value = c.at("best_value").get<double>();
    state->epochs_without_improvement = c.at("epochs_without_improvement").get<int>();
    state->history = history_from_json(c.at("history"));
    schedule->restore(c.at("plateau_scale").get<float>(), c.at("plateau_best").get<double>(),
                      c.at("plateau_bad_epochs").get<int>());
  } catch (const nlohmann::json::exception& e) {
    return data_loss_error(path + ": checkpoint state is malformed: " + e.what());
  }
  FENLEI_RETURN_IF_ERROR(net->params().copy_from(trainable.network->params()));
  nn::Params optimizer_state;
  state->best_params = nn::Params();
  const std::string prefix = kBestPrefix;
  for (const format::Tensor& t : file.optimizer_state) {
    auto values = format::tensor_to_f32(t);
    if (!values.ok()) return data_loss_error(path + ": " + values.status().message());
    nn::Params& target = t.name.rfind(prefix, 0) == 0 ? state->best_params : optimizer_state;
    const std::string name = t.name.rfind(prefix, 0) == 0 ? t.name.substr(prefix.size()) : t.name;
    const int i = target.add(name, t.shape);
    target[i].data = std::move(*values);
  }
  FENLEI_RETURN_IF_ERROR(optimizer->import_state(optimizer_state).with_context(path));
  return Status();
}

}  // namespace fenlei::train
