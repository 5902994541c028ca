// fenlei info: what a model file holds.
#include <iostream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "command.h"
#include "fenlei/classifier.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Show what a model file holds: architecture, precision (float32, int8 or bf16), parameter\n"
    "count, tensors by stored dtype, labels, vocabulary size, preprocessing, training data\n"
    "summary and metrics, format version and checksum.\n\n"
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
  // How the weights are stored (f32, i8, bf16, ...): counted by the loader (ModelInfo).
  std::map<std::string, int64_t> dtype_tensors;
  std::map<std::string, uint64_t> dtype_bytes;
  int64_t tensors = 0;
  for (const auto& [dtype, count] : info.tensor_dtypes) {
    dtype_tensors[dtype] = count.tensors;
    dtype_bytes[dtype] = count.bytes;
    tensors += count.tensors;
  }
  if (json) {
    nlohmann::json j = {{"file", model_path},
                        {"file_bytes", info.file_bytes},
                        {"format_version", info.format_version},
                        {"checksum", info.checksum},
                        {"architecture", info.architecture},
                        {"parameters", info.parameter_count},
                        {"quantized", info.quantized},
                        {"precision", info.precision},
                        {"tensor_dtypes", dtype_tensors},
                        {"tensor_dtype_bytes", dtype_bytes},
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
            << "architecture    " << info.architecture << " (" << info.precision << "), "
            << info.parameter_count << " parameters\n"
            << "tensors         " << tensors << ":";
  const char* separator = " ";
  for (const auto& [dtype, count] : info.tensor_dtypes) {
    std::cout << separator << count.tensors << " " << dtype << " (" << count.bytes << " bytes)";
    separator = ", ";
  }
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
