// The fenlei model file: one self-contained, checksummed, versioned file holding everything needed
// to classify (settings, vocabulary, labels, user dictionary, named weight tensors) and, for
// checkpoints, the optimizer state. Byte layout: docs/model_format.md. This is the only code that
// knows the bytes; callers fill and read the generic ModelFile below.
//
//   fenlei::format::ModelFile m;
//   m.metadata_json = R"({"arch":"textcnn","embed_dim":64})";
//   m.vocabulary = {"<pad>", "<unk>", "酒店", "干净"};
//   m.labels = {"neg", "pos"};
//   m.tensors.push_back(fenlei::format::make_f32_tensor("fc/bias", {2}, {0.5f, -0.5f}));
//   FENLEI_RETURN_IF_ERROR(fenlei::format::write_model_file("m.fenlei", m));
//   FENLEI_ASSIGN_OR_RETURN(auto loaded, fenlei::format::read_model_file("m.fenlei"));
//   const fenlei::format::Tensor* bias = loaded.find_tensor("fc/bias");
//
// All functions are thread-safe (they share no state); a ModelFile is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fenlei/status.h"

namespace fenlei::format {

// The newest format version this build writes and reads. Readers keep support for every older
// version (explicit `if (version >= N)` gates), and reject newer ones with UNIMPLEMENTED.
// v2 added the bf16 dtype. The writer writes the oldest version that holds the file's content
// (required_format_version), so a model without bf16 tensors stays readable by v1 builds.
constexpr uint32_t kFormatVersion = 2;

// Element types. The numeric values are stored in files: never renumber, only append.
// kBF16 (format v2): bfloat16, the upper 16 bits of an IEEE float32.
enum class DType : uint8_t { kF32 = 1, kF16 = 2, kI8 = 3, kI32 = 4, kU8 = 5, kBF16 = 6 };

// Bytes per element (4, 2, 1, 4, 1, 2), or 0 for a value that is not a known DType.
size_t dtype_size(DType dtype);
// "f32", "f16", "i8", "i32", "u8", "bf16", or "dtype(N)" for an unknown value.
std::string dtype_name(DType dtype);
// The first format version that has `dtype` (1, or 2 for bf16).
uint32_t dtype_format_version(DType dtype);

// Header flags (informational; the writer derives them from the content).
constexpr uint32_t kFlagHasOptimizerState = 1u << 0;  // a training checkpoint
constexpr uint32_t kFlagHasInt8 = 1u << 1;            // at least one kI8 weight tensor

// A named n-dimensional array: raw little-endian element bytes in row-major order, of size
// numel(shape) * dtype_size(dtype). A rank-0 shape is a scalar. The bytes are either owned
// (`data`) or, for a tensor read by map_model_file, borrowed from the mapped file (`borrowed`,
// `data` then empty; the ModelFile's `backing` keeps them alive). Read them through bytes().
struct Tensor {
  std::string name;  // scoped, e.g. "conv3/weight", "conv3/weight_scale"; UTF-8, unique per list
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::string data;
  std::string_view borrowed;

  std::string_view bytes() const {
    return borrowed.data() != nullptr ? borrowed : std::string_view(data);
  }
  // Product of the dims (1 for a scalar). Only meaningful for a validated shape.
  int64_t numel() const;
};

// Builds a tensor from host values (copied, converted to little-endian). The caller must pass
// values.size() == product(shape); a mismatch is reported when the file is written.
Tensor make_f32_tensor(std::string name, std::vector<int64_t> shape,
                       const std::vector<float>& values);
Tensor make_f32_tensor(std::string name, std::vector<int64_t> shape, const float* values,
                       size_t count);
Tensor make_i8_tensor(std::string name, std::vector<int64_t> shape,
                      const std::vector<int8_t>& values);
Tensor make_i32_tensor(std::string name, std::vector<int64_t> shape,
                       const std::vector<int32_t>& values);
// bf16 elements given as their 16 bits (quant/bf16.h rounds floats to them).
Tensor make_bf16_tensor(std::string name, std::vector<int64_t> shape,
                        const std::vector<uint16_t>& bits);

// Decodes a tensor's elements to host values. INVALID_ARGUMENT if the dtype differs or the byte
// size does not match the shape.
StatusOr<std::vector<float>> tensor_to_f32(const Tensor& tensor);
StatusOr<std::vector<int8_t>> tensor_to_i8(const Tensor& tensor);
StatusOr<std::vector<int32_t>> tensor_to_i32(const Tensor& tensor);
StatusOr<std::vector<uint16_t>> tensor_to_bf16(const Tensor& tensor);  // the 16 bits per element

// Everything one model file holds. A plain value; the engine, trainer and quantiser fill it.
struct ModelFile {
  // Filled on read; ignored on write (the writer writes required_format_version()).
  uint32_t format_version = kFormatVersion;
  uint32_t flags = 0;                        // filled on read; derived on write
  // Configuration, preprocessing/segmenter settings, training summary, lineage. Must be a JSON
  // object in UTF-8. Put a timestamp here if you want one: the writer adds none.
  std::string metadata_json = "{}";
  std::vector<std::string> vocabulary;  // token strings in id order (UTF-8)
  std::vector<std::string> labels;      // label names in id order (UTF-8, non-empty, unique)
  std::string user_dictionary;          // jieba user-dictionary text (UTF-8), may be empty
  std::vector<Tensor> tensors;          // model weights, in the order given (names unique)
  std::vector<Tensor> optimizer_state;  // checkpoints only, e.g. "adam/m/fc/weight"; may be empty
  // What borrowed tensor bytes point into (the mapped file), shared by copies of this value;
  // null when every tensor owns its bytes. An engine that keeps borrowed pointers keeps this.
  std::shared_ptr<const void> backing;

  // The tensor called `name`, or nullptr. Linear scan: models hold tens of tensors.
  const Tensor* find_tensor(std::string_view name) const;
  const Tensor* find_optimizer_tensor(std::string_view name) const;
};

// The oldest format version that holds `model`: the newest dtype_format_version of its tensors
// (weights and optimizer state), at least 1. What the writer puts in the header.
uint32_t required_format_version(const ModelFile& model);

enum class Compression {
  kNone,    // store raw
  kAuto,    // zlib, kept only when it saves at least 1/16 of the section (and 64 bytes)
  kAlways,  // zlib even when it does not help (tests, experiments)
};

struct WriteOptions {
  // Metadata, vocabulary, labels, user dictionary and the tensor indexes.
  Compression text_sections = Compression::kAuto;
  // Weight and optimizer bytes. Off by default: int8 weights barely compress, and raw data keeps
  // every tensor 64-byte aligned in the file so that a future loader can mmap it.
  Compression tensor_data = Compression::kNone;
  int zlib_level = 9;  // 1..9; the same input, level and zlib build always give the same bytes
};

struct ParseOptions {
  // Verify the per-section and whole-file CRC-32s. Only fuzzers and forensics turn this off:
  // every structural check still runs, so a corrupt file still cannot crash the parser.
  bool verify_checksums = true;
  // Tensors of an uncompressed data section borrow their bytes from the parsed buffer instead of
  // copying them (Tensor::borrowed); the caller keeps the buffer alive (map_model_file sets
  // ModelFile::backing to the mapping).
  bool borrow_tensor_data = false;
};

// Encodes `model` into file bytes. Deterministic: equal models and options give equal bytes.
// INVALID_ARGUMENT if the model could not be read back (bad UTF-8, metadata that is not a JSON
// object, tensor bytes that do not match the shape, duplicate names, empty or duplicate labels).
StatusOr<std::string> serialize(const ModelFile& model, const WriteOptions& options = {});

// serialize() then write_file_atomic(): a crash never leaves half a model at `path`.
Status write_model_file(const std::string& path, const ModelFile& model,
                        const WriteOptions& options = {});

// Decodes and validates file bytes. `name_for_errors` (usually the path) starts every message.
//   INVALID_ARGUMENT  not a fenlei model (bad magic: empty, text, another format)
//   UNIMPLEMENTED     a newer format version, dtype or section encoding than this build knows
//   DATA_LOSS         truncated, checksum mismatch, missing required section, or any structural
//                     inconsistency (bad sizes, shapes, names, UTF-8, JSON, zlib data)
StatusOr<ModelFile> parse_model_file(std::string_view bytes, const std::string& name_for_errors,
                                     const ParseOptions& options = {});

// read_file() then parse_model_file(); also NOT_FOUND if the file does not exist.
StatusOr<ModelFile> read_model_file(const std::string& path, const ParseOptions& options = {});

// The file mapped read-only (base/mapped_file.h) and parsed with borrow_tensor_data: no copy of
// the weights is made, and only the pages that are read become resident. The checks are those
// of parse_model_file, checksums included (one pass over the file). The returned value's
// `backing` holds the mapping; `file_bytes`, if given, receives a view of the whole file (valid
// while `backing` lives) for checksum and size reporting. Errors as read_model_file.
StatusOr<ModelFile> map_model_file(const std::string& path, std::string_view* file_bytes = nullptr,
                                   const ParseOptions& options = {});

// The file's checksum as 8 lowercase hex digits: the CRC-32 of every byte except the trailing
// stored CRC (for a valid file, equal to that stored value). What `fenlei info` shows.
std::string checksum_hex(std::string_view file_bytes);
// The CRC-32 stored in the file's trailer, as checksum_hex formats it: equal to checksum_hex for
// a file parse_model_file accepted with checksums verified, without a second pass over a
// model-sized file. "" for fewer bytes than a trailer.
std::string stored_checksum_hex(std::string_view file_bytes);

}  // namespace fenlei::format
