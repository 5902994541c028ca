// fenlei info: what a model file holds.
#include <iostream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "command.h"
#include "fenlei/classifier.h"
#include "format/model_file.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Show what a model file holds: architecture, parameter count, labels, vocabulary size,\n"
    "preprocessing, training data summary and metrics, format version and checksum.\n\n"
    "Examples:\n"
    "  fenlei info reviews.fenlei\n"
    "  fenlei info reviews.fenlei --json";

int run_info(int argc, char** argv) {
  std::string model_path;
  bool json = false;
  auto app = make_app("info", kDescription);
  app->add_option("MODEL", model_path, "Model file")->required();
  app->add_flag("--json", json, "Print everything as one JSON object");
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;
  auto model = Classifier::load(model_path);
  if (!model.ok()) return fail("info", model.status());
  const ModelInfo& info = (*model)->info();
  nlohmann::json meta = nlohmann::json::parse(info.metadata_json, nullptr, false);
  // How the weights are stored (f32, i8, bf16, ...): the file's own tensors, not the engine's.
  auto file = format::map_model_file(model_path);
  if (!file.ok()) return fail("info", file.status());
  std::map<std::string, int> dtypes;
  for (const auto& t : file->tensors) ++dtypes[format::dtype_name(t.dtype)];
  const bool bf16 = meta.is_object() && meta.contains("architecture") &&
                    meta["architecture"].is_object() && meta["architecture"].contains("bf16") &&
                    meta["architecture"]["bf16"].is_boolean() &&
                    meta["architecture"]["bf16"].get<bool>();
  if (json) {
    nlohmann::json j = {{"file", model_path},
                        {"file_bytes", info.file_bytes},
                        {"format_version", info.format_version},
                        {"checksum", info.checksum},
                        {"architecture", info.architecture},
                        {"parameters", info.parameter_count},
                        {"quantized", info.quantized},
                        {"tensor_dtypes", dtypes},
                        {"labels", info.labels},
                        {"vocab_size", info.vocab_size},
                        {"tokenizer", info.tokenizer},
                        {"max_len", info.max_len},
                        {"metadata", meta}};
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "file            " << model_path << " (" << info.file_bytes << " bytes)\n"
            << "format          v" << info.format_version << ", checksum " << info.checksum << "\n"
            << "architecture    " << info.architecture
            << (!info.quantized ? " (float32)" : bf16 ? " (bf16)" : " (int8)") << ", "
            << info.parameter_count << " parameters\n"
            << "tensors         " << file->tensors.size() << ":";
  for (const auto& [dtype, count] : dtypes) std::cout << " " << count << " " << dtype;
  std::cout << "\n";
  if (meta.is_object() && meta.contains("architecture")) {
    std::cout << "config          " << meta["architecture"].dump() << "\n";
  }
  std::cout << "labels          " << info.labels.size() << ":";
  for (const auto& l : info.labels) std::cout << " " << l;
  std::cout << "\nvocabulary      " << info.vocab_size << " tokens (including <pad>, <unk>)\n"
            << "preprocessing   tokenizer " << info.tokenizer << ", max_len " << info.max_len;
  if (meta.is_object() && meta.contains("preprocessing")) {
    std::cout << ", " << meta["preprocessing"].dump();
  }
  std::cout << "\n";
  if (meta.is_object() && meta.contains("training") && meta["training"].contains("data")) {
    std::cout << "training data   " << meta["training"]["data"].dump() << "\n";
  }
  if (meta.is_object() && meta.contains("training") && meta["training"].contains("best_epoch")) {
    std::cout << "best epoch      " << meta["training"]["best_epoch"] << "\n";
  }
  if (meta.is_object() && meta.contains("metrics") && meta["metrics"].contains("validation")) {
    const auto& v = meta["metrics"]["validation"];
    std::cout << "validation      accuracy " << v.value("accuracy", 0.0) << ", macro-F1 "
              << v.value("macro_f1", 0.0) << " (n=" << v.value("n", 0) << ")\n";
  }
  if (meta.is_object() && meta.contains("quantization") && !meta["quantization"].empty()) {
    std::cout << "quantization    " << meta["quantization"].dump() << "\n";
  }
  if (meta.is_object() && meta.contains("lineage") && !meta["lineage"].empty()) {
    std::cout << "lineage         " << meta["lineage"].dump() << "\n";
  }
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("info", "Show what a model file holds", 50, run_info);

}  // namespace fenlei::cli
