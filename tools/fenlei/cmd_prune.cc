// fenlei prune: remove the weakest conv filters and hidden units of a float model, recover
// with a short fine-tune, and report size, speed and accuracy before/after.
#include <algorithm>
#include <cstdio>

#include "cli_common.h"
#include "command.h"
#include "fenlei/log.h"
#include "output_paths.h"
#include "retrain_flags.h"
#include "train/prune.h"

namespace fenlei::cli {
namespace {

const char* kDescription =
    "Structured magnitude pruning: in every conv width (and every hidden dense layer) the\n"
    "filters (units) with the smallest L2 weight norm are removed, with the input columns of\n"
    "the next layer, so the model file is smaller and its matrix products are too. A short\n"
    "fine-tune on --train (the model's own preprocessing and vocabulary) then recovers the\n"
    "accuracy. Size, model-compute speed and accuracy before/after are printed and recorded in\n"
    "the output's metadata (lineage.pruning; see `fenlei info --json`). Prune the float model,\n"
    "then quantize the result.\n\n"
    "Examples:\n"
    "  fenlei prune reviews.fenlei --sparsity 0.5 --train train.tsv --valid dev.tsv -o small.fenlei\n"
    "  fenlei prune reviews.fenlei --sparsity 0.75 --train train.tsv -o small.fenlei --epochs 2";

int run_prune(int argc, char** argv) {
  train::PruneOptions p;
  train::TrainOptions& o = p.train;
  o.epochs = 2;
  o.optimizer.lr = 5e-4f;
  o.checkpoint = "none";
  RetrainNames names;
  auto app = make_app("prune", kDescription);
  app->add_option("MODEL", p.model, "The float model to prune")->required();
  app->add_option("--sparsity", p.sparsity,
                  "Fraction of filters/units to remove in each layer, in (0, 1)")
      ->required();
  app->add_option("-i,--train,--input", o.input, "Data for the recovery fine-tune")->required();
  app->add_option("--valid", o.valid,
                  "Validation data: accuracy before/after, best fine-tune epoch (default: split "
                  "from --train)");
  app->add_option("--validation-split", o.validation_split,
                  "Fraction of --train held out when no --valid is given");
  app->add_option("-o,--output", o.output, "Pruned model file to write")->required();
  add_retrain_options(*app, o, names);  // of the recovery fine-tune
  if (int rc = parse(*app, argc, argv); rc >= 0) return rc;
  if (!(p.sparsity > 0.0 && p.sparsity < 1.0)) {
    std::fprintf(stderr, "fenlei prune: error: --sparsity must be in (0, 1), e.g. 0.5\n");
    return kExitUsage;
  }
  if (Status st = apply_retrain_flags(names, o); !st.ok()) return fail("prune", st);
  if (Status st = check_training_paths(o, {p.model}); !st.ok()) return fail("prune", st);
  auto r = train::prune_model(p);
  if (!r.ok()) return fail("prune", r.status());

  const auto& b = r->before;
  const auto& a = r->after;
  const auto& bc = r->base_config;
  const auto& pc = r->pruned_config;
  if (!pc.widths.empty())
    std::printf("filters\t%d -> %d per width (widths %s)\n", bc.filters, pc.filters,
                nlohmann::json(pc.widths).dump().c_str());
  if (!pc.hidden.empty())
    std::printf("hidden\t%s -> %s\n", nlohmann::json(bc.hidden).dump().c_str(),
                nlohmann::json(pc.hidden).dump().c_str());
  std::printf("parameters\t%lld -> %lld (%.2fx fewer)\n", (long long)b.parameters,
              (long long)a.parameters, double(b.parameters) / double(std::max<int64_t>(1, a.parameters)));
  std::printf("size\t%llu -> %llu bytes (%.2fx smaller)\n", (unsigned long long)b.file_bytes,
              (unsigned long long)a.file_bytes,
              double(b.file_bytes) / double(std::max<uint64_t>(1, a.file_bytes)));
  std::printf("speed\t%.0f -> %.0f examples/s model compute, one thread (%.2fx)\n",
              b.examples_per_second, a.examples_per_second,
              a.examples_per_second / std::max(1e-9, b.examples_per_second));
  std::printf("accuracy\t%.4f -> %.4f (%+.2f points; %.4f right after pruning) on %s, %zu examples\n",
              b.accuracy, a.accuracy, 100.0 * (a.accuracy - b.accuracy), r->pruned_accuracy,
              r->eval_data.c_str(), r->eval_examples);
  std::printf("output\t%s\n", o.output.c_str());
  return kExitOk;
}

}  // namespace

FENLEI_REGISTER_COMMAND("prune", "Remove the weakest filters of a model (smaller, faster)", 47,
                        run_prune);

}  // namespace fenlei::cli
