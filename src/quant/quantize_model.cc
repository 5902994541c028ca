// quantize_bundle and the self-describing size record (see quantize_model.h).
#include "quant/quantize_model.h"

#include <cmath>

namespace fenlei::quant {

StatusOr<core::ModelBundle> quantize_bundle(const core::ModelBundle& f,
                                            const QuantizeOptions& options) {
  if (f.quantized())
    return failed_precondition_error(
        "the model is already int8-quantised; quantize the float model it came from");
  FENLEI_ASSIGN_OR_RETURN(Int8Model m, Int8Model::quantize(f.network, options));
  core::ModelBundle q;
  q.preprocess = f.preprocess;
  q.vocabulary = f.vocabulary;
  q.labels = f.labels;
  q.training = f.training;
  q.metrics = f.metrics;
  q.lineage = f.lineage;
  q.int8 = std::make_shared<const Int8Model>(std::move(m));
  q.quantization = {
      {"scheme", "int8 symmetric (x = d*q, d = amax/127), dynamic per-row u8 activations"},
      {"weights", options.per_channel ? "per-channel" : "per-tensor"},
      {"embedding", options.embedding_per_row ? "per-row f16 scales" : "per-table scale"},
      {"parameters", q.int8->parameter_count()}};
  return q;
}

StatusOr<std::string> serialize_with_size(core::ModelBundle* b, uint64_t float_bytes) {
  uint64_t recorded = 0;
  for (int attempt = 0; attempt < 8; ++attempt) {
    b->quantization["int8_bytes"] = recorded;
    if (float_bytes > 0) {
      b->quantization["float_bytes"] = float_bytes;
      const double ratio = recorded > 0 ? double(float_bytes) / double(recorded) : 0.0;
      b->quantization["compression_ratio"] = std::round(ratio * 1000.0) / 1000.0;
    }
    FENLEI_ASSIGN_OR_RETURN(std::string bytes, core::serialize_bundle(*b));
    if (bytes.size() == recorded) return bytes;
    recorded = bytes.size();
  }
  // Sizes oscillating across a digit boundary: keep the last bytes (off by a few bytes at most).
  return core::serialize_bundle(*b);
}

}  // namespace fenlei::quant
