// finetune_model (see finetune.h): load and check the base, then run the trainer with the
// fine-tuning hooks of TrainOptions.
#include "train/finetune.h"

#include <chrono>
#include <ctime>

#include "base/file_util.h"
#include "format/model_file.h"
#include "train/finetune_init.h"

namespace fenlei::train {
StatusOr<TrainResult> finetune_model(const FinetuneOptions& options) {
  FENLEI_ASSIGN_OR_RETURN(std::string bytes, read_file(options.base_model));
  FENLEI_ASSIGN_OR_RETURN(format::ModelFile file,
                          format::parse_model_file(bytes, options.base_model));
  FENLEI_ASSIGN_OR_RETURN(core::ModelBundle base,
                          core::bundle_from_model_file(file, options.base_model));
  FENLEI_RETURN_IF_ERROR(trainable_model(base, options.base_model, "fine-tune").status());
  TrainOptions o = options.train;
  o.lineage = lineage_from_base(options.base_model, bytes, base.lineage, o);
  o.lineage["freeze"] = freeze_name(o.freeze);
  return continue_training(o, base, options.allow_new_labels);
}

}  // namespace fenlei::train
