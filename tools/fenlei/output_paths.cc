#include "output_paths.h"

#include "base/file_util.h"

namespace fenlei::cli {

Status check_training_paths(const train::TrainOptions& o,
                            const std::vector<std::string>& more_inputs) {
  std::vector<std::string> inputs = {o.input, o.valid, o.pretrained_vectors, o.user_dict_path,
                                     o.dict_path};
  inputs.insert(inputs.end(), more_inputs.begin(), more_inputs.end());
  std::vector<std::string> with_resume = inputs;
  with_resume.push_back(o.resume);

  FENLEI_RETURN_IF_ERROR(check_output_path(o.output, with_resume, "--output"));
  const std::string checkpoint = o.checkpoint == "none" ? ""
                                 : o.checkpoint.empty() ? o.output + ".ckpt"
                                                        : o.checkpoint;
  if (!checkpoint.empty()) {
    if (checkpoint == o.output) {
      return invalid_argument_error("--checkpoint and --output are the same file " + o.output +
                                    "; the checkpoint would overwrite the model");
    }
    std::vector<std::string> others = inputs;
    others.push_back(o.output);
    FENLEI_RETURN_IF_ERROR(check_output_path(checkpoint, others, "--checkpoint"));
  }
  if (!o.log_path.empty()) {
    if (o.log_path == o.output || o.log_path == checkpoint) {
      return invalid_argument_error("--log " + o.log_path +
                                    " is also the model or checkpoint file; choose another --log");
    }
    std::vector<std::string> others = with_resume;
    others.push_back(o.output);
    others.push_back(checkpoint);
    // The log is appended to, not renamed over: a pipe or device is fine.
    FENLEI_RETURN_IF_ERROR(check_output_path(o.log_path, others, "--log", /*atomic=*/false));
  }
  return Status();
}

}  // namespace fenlei::cli
