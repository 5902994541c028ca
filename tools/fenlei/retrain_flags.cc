#include "retrain_flags.h"

#include <cstdio>

#include "data/dataset.h"
#include "train/progress_bar_reporter.h"

namespace fenlei::cli {

void add_retrain_options(CLI::App& app, train::TrainOptions& o, RetrainNames& names) {
  names.optimizer = nn::optimizer_kind_name(o.optimizer.kind);
  char lr[32];
  std::snprintf(lr, sizeof lr, "%g", double(o.optimizer.lr));
  app.add_option("--epochs", o.epochs,
                 "Passes over the training data (default " + std::to_string(o.epochs) + ")");
  app.add_option("--lr", o.optimizer.lr,
                 std::string("Learning rate (default ") + lr + ": gentler than training)");
  app.add_option("--batch-size", o.batch_size, "Examples per gradient step");
  app.add_option("--optimizer", names.optimizer, "adam, adamw or sgd");
  app.add_option("--format", names.format, "auto, tsv, csv, jsonl or fasttext");
  app.add_flag("--normalize-labels", o.read.normalize_labels,
               "Merge labels that differ only in case or Unicode form (as train's flag)");
  app.add_option("--seed", o.seed, "Random seed");
  app.add_option("-t,--threads", o.threads, "Worker threads (0 = all cores)");
  app.add_option("--log", o.log_path, "Write one JSON line per epoch to this file");
}

Status apply_retrain_flags(const RetrainNames& names, train::TrainOptions& o) {
  FENLEI_ASSIGN_OR_RETURN(o.read.format, data::parse_data_format(names.format));
  FENLEI_ASSIGN_OR_RETURN(o.optimizer.kind, nn::parse_optimizer_kind(names.optimizer));
  o.on_progress = train::progress_bar_reporter();  // of the (recovery) fine-tune
  return Status();
}

}  // namespace fenlei::cli
