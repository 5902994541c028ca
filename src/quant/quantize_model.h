// Whole-model quantisation: a float ModelBundle in, an int8 ModelBundle out (same vocabulary,
// labels, preprocessing and metadata), plus the serialised size bookkeeping `fenlei quantize`
// records in the file.
#pragma once

#include <string>

#include "core/model_bundle.h"
#include "fenlei/status.h"
#include "quant/int8_model.h"

namespace fenlei::quant {

// FAILED_PRECONDITION if `float_model` is already quantised; INVALID_ARGUMENT for non-finite
// weights. `quantization` metadata gets the scheme; sizes and accuracy are the caller's.
StatusOr<core::ModelBundle> quantize_bundle(const core::ModelBundle& float_model,
                                            const QuantizeOptions& options);

// Serialises an int8 bundle after recording its own size in quantization["int8_bytes"] (and
// the ratio to `float_bytes`): iterates until the recorded size equals the real one.
StatusOr<std::string> serialize_with_size(core::ModelBundle* int8_model, uint64_t float_bytes);

}  // namespace fenlei::quant
