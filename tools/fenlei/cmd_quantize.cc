// fenlei quantize: convert a float model to int8 (smaller file, integer inference kernels).
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli_common.h"
#include "command.h"
#include "core/model_bundle.h"
#include "eval/evaluate.h"
#include "data/dataset.h"
#include "base/file_util.h"
#include "format/model_file.h"
#include "quant/bf16.h"
#include "quant/int8_model.h"
#include "quant/kernels.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Quantise a float model to int8: embedding, convolution and dense weights become int8 with\n"
    "float scales (symmetric, one scale per output channel by default), and inference runs\n"
    "integer matrix kernels (AVX-512 VNNI / AVX2 when the CPU has them). Prints and records in\n"
    "the file the size before/after and, given labelled data, the accuracy before/after.\n\n"
    "Examples:\n"
    "  fenlei quantize reviews.fenlei --output reviews.int8.fenlei\n"
    "  fenlei quantize reviews.fenlei -o reviews.int8.fenlei --calibration dev.tsv\n"
    "  fenlei quantize reviews.fenlei -o small.fenlei --per-tensor --embedding-scale row";

// Accuracy of a model on labelled texts, through the one evaluation `fenlei test` uses.
StatusOr<double> accuracy_of(const core::ModelBundle& model, const std::vector<std::string>& texts,
                             const std::vector<int>& truth) {
  FENLEI_ASSIGN_OR_RETURN(eval::Evaluation e, eval::evaluate_texts(model, texts, truth, 0));
  return e.metrics.accuracy;
}

int run_quantize(int argc, char** argv) {
  std::string model_path, output, calibration, test_path, embedding_scale = "table",
                                                          precision = "int8";
  bool per_channel = false, per_tensor = false;
  auto app = make_app("quantize", kDescription);
  app->add_option("MODEL", model_path, "Float model file")->required();
  app->add_option("-o,--output", output, "Where to write the int8 model")->required();
  app->add_option("--calibration", calibration,
                  "Labelled data: measure accuracy before/after (recorded in the file)");
  app->add_option("--test", test_path, "Same as --calibration (held-out test data)");
  auto* pc = app->add_flag("--per-channel", per_channel,
                           "One weight scale per output channel (default)");
  app->add_flag("--per-tensor", per_tensor, "One weight scale per tensor")->excludes(pc);
  app->add_option("--embedding-scale", embedding_scale,
                  "table (one scale per embedding table: smaller, compresses well; default) or "
                  "row (one f16 scale per row)")
      ->check(CLI::IsMember({"table", "row"}));
  app->add_option("--precision", precision,
                  "int8 (default) or bf16 (transformer encoders: bf16 weights and activations, "
                  "float sums; fast on CPUs with AVX512-BF16)")
      ->check(CLI::IsMember({"int8", "bf16"}));
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;
  if (!calibration.empty() && !test_path.empty())
    return fail("quantize", "pass --calibration or --test, not both");
  const std::string data_path = calibration.empty() ? test_path : calibration;
  if (Status s = check_output_path(output, {model_path, data_path}); !s.ok())
    return fail("quantize", s);

  auto bytes = read_file(model_path);
  if (!bytes.ok()) return fail("quantize", bytes.status());
  auto file = format::parse_model_file(*bytes, model_path);
  if (!file.ok()) return fail("quantize", file.status());
  auto float_model = core::bundle_from_model_file(*file, model_path);
  if (!float_model.ok()) return fail("quantize", float_model.status());

  quant::QuantizeOptions options;
  options.per_channel = !per_tensor;
  options.embedding_per_row = embedding_scale == "row";
  if (precision == "bf16") {
    if (float_model->engine->kind() != "transformer")
      return fail("quantize", "--precision bf16 is for transformer encoders; " + model_path +
                                  " is a " + float_model->engine->kind() + " model");
    options.precision = quant::QuantizeOptions::Precision::kBf16;
  }
  auto int8_model = core::quantize_bundle(*float_model, options);
  if (!int8_model.ok()) return fail("quantize", int8_model.status().with_context(model_path));
  if (precision == "bf16") {
    int8_model->quantization = {
        {"scheme", "bf16 weights (round to nearest even), bf16 activations, float accumulation"},
        {"parameters", int8_model->engine->parameter_count()}};
  }

  if (!data_path.empty()) {
    auto dataset = data::read_dataset(data_path, data::ReadOptions{});
    if (!dataset.ok()) return fail("quantize", dataset.status());
    if (dataset->examples.empty()) return fail("quantize", data_path + ": no examples");
    auto truth = data::label_ids(*dataset, float_model->labels, data_path);
    if (!truth.ok()) return fail("quantize", truth.status());
    std::vector<std::string> texts;
    for (auto& e : dataset->examples) texts.push_back(std::move(e.text));
    auto before = accuracy_of(*float_model, texts, *truth);
    if (!before.ok()) return fail("quantize", before.status());
    auto after = accuracy_of(*int8_model, texts, *truth);
    if (!after.ok()) return fail("quantize", after.status());
    int8_model->quantization["accuracy_data"] = data_path;
    int8_model->quantization["accuracy_examples"] = texts.size();
    int8_model->quantization["float_accuracy"] = *before;
    int8_model->quantization["int8_accuracy"] = *after;
  }
  int8_model->quantization["source_checksum"] = format::checksum_hex(*bytes);
  auto out_bytes = core::serialize_with_size(&*int8_model, bytes->size());
  if (!out_bytes.ok()) return fail("quantize", out_bytes.status());
  if (Status s = write_file_atomic(output, *out_bytes); !s.ok()) return fail("quantize", s);

  const auto& q = int8_model->quantization;
  std::printf("size\t%zu -> %zu bytes (%.2fx smaller)\n", bytes->size(), out_bytes->size(),
              double(bytes->size()) / double(out_bytes->size()));
  if (q.contains("float_accuracy")) {
    std::printf("accuracy\t%.4f -> %.4f (%+.2f points) on %s\n", q["float_accuracy"].get<double>(),
                q["int8_accuracy"].get<double>(),
                100.0 * (q["int8_accuracy"].get<double>() - q["float_accuracy"].get<double>()),
                data_path.c_str());
  }
  std::printf("kernel\t%s\n",
              precision == "bf16" ? quant::best_dense_bf16_name() : quant::best_gemm_name());
  std::printf("output\t%s\n", output.c_str());
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("quantize", "Convert a float model to int8 (smaller, faster)", 45,
                        run_quantize);

}  // namespace fenlei::cli
