// Tensor and ModelFile helpers: dtype sizes, host <-> little-endian conversion, lookup.
#include <algorithm>
#include <cstring>

#include "format/model_file.h"
#include "format/layout.h"

namespace fenlei::format {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return 4;
    case DType::kF16:
      return 2;
    case DType::kI8:
      return 1;
    case DType::kI32:
      return 4;
    case DType::kU8:
      return 1;
    case DType::kBF16:
      return 2;
  }
  return 0;
}

uint32_t dtype_format_version(DType dtype) { return dtype == DType::kBF16 ? 2 : 1; }

uint32_t required_format_version(const ModelFile& model) {
  uint32_t version = 1;
  for (const auto* list : {&model.tensors, &model.optimizer_state})
    for (const Tensor& t : *list) version = std::max(version, dtype_format_version(t.dtype));
  return version;
}

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "f32";
    case DType::kF16:
      return "f16";
    case DType::kI8:
      return "i8";
    case DType::kI32:
      return "i32";
    case DType::kU8:
      return "u8";
    case DType::kBF16:
      return "bf16";
  }
  return "dtype(" + std::to_string(static_cast<int>(dtype)) + ")";
}

const char* section_kind_name(uint32_t kind) {
  switch (static_cast<SectionKind>(kind)) {
    case SectionKind::kMeta:
      return "META";
    case SectionKind::kVocab:
      return "VOCAB";
    case SectionKind::kLabels:
      return "LABELS";
    case SectionKind::kUserDict:
      return "USER_DICT";
    case SectionKind::kTensorIndex:
      return "TENSOR_INDEX";
    case SectionKind::kTensorData:
      return "TENSOR_DATA";
    case SectionKind::kOptimizerIndex:
      return "OPTIMIZER_INDEX";
    case SectionKind::kOptimizerData:
      return "OPTIMIZER_DATA";
  }
  return "unknown";
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

// Element bytes are little-endian on disk. Every platform fenlei targets is little-endian, where
// this is a memcpy; the byte loop keeps a big-endian build correct rather than silently wrong.
bool host_is_little_endian() {
  const uint16_t probe = 1;
  uint8_t first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

template <typename T>
std::string to_le_bytes(const T* values, size_t count) {
  std::string out(count * sizeof(T), '\0');
  if (out.empty()) return out;
  std::memcpy(out.data(), values, out.size());
  if (!host_is_little_endian()) {
    for (size_t i = 0; i < out.size(); i += sizeof(T)) {
      for (size_t a = 0, b = sizeof(T) - 1; a < b; ++a, --b) std::swap(out[i + a], out[i + b]);
    }
  }
  return out;
}

template <typename T>
std::string to_le_bytes(const std::vector<T>& values) {
  return to_le_bytes(values.data(), values.size());
}

template <typename T>
StatusOr<std::vector<T>> from_le_bytes(const Tensor& t, DType want) {
  if (t.dtype != want) {
    return invalid_argument_error("tensor '" + t.name + "' is " + dtype_name(t.dtype) + ", not " +
                                  dtype_name(want));
  }
  int64_t n = 1;
  for (int64_t d : t.shape) {
    if (d < 0 || (d != 0 && n > INT64_MAX / static_cast<int64_t>(sizeof(T)) / d)) {
      return invalid_argument_error("tensor '" + t.name + "' has an invalid shape");
    }
    n *= d;
  }
  const std::string_view bytes = t.bytes();
  if (bytes.size() != static_cast<uint64_t>(n) * sizeof(T)) {
    return invalid_argument_error("tensor '" + t.name + "' holds " + std::to_string(bytes.size()) +
                                  " bytes but its shape needs " +
                                  std::to_string(static_cast<uint64_t>(n) * sizeof(T)));
  }
  // Straight into the result, swapped there if need be: no copy of a model-sized byte string.
  std::vector<T> out(static_cast<size_t>(n));
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  if (!host_is_little_endian()) {
    char* host = reinterpret_cast<char*>(out.data());
    for (size_t i = 0; i < bytes.size(); i += sizeof(T)) {
      for (size_t a = 0, b = sizeof(T) - 1; a < b; ++a, --b) std::swap(host[i + a], host[i + b]);
    }
  }
  return out;
}

}  // namespace

Tensor make_f32_tensor(std::string name, std::vector<int64_t> shape,
                       const std::vector<float>& values) {
  return Tensor{std::move(name), DType::kF32, std::move(shape), to_le_bytes(values), {}};
}

Tensor make_f32_tensor(std::string name, std::vector<int64_t> shape, const float* values,
                       size_t count) {
  return Tensor{std::move(name), DType::kF32, std::move(shape), to_le_bytes(values, count), {}};
}

Tensor make_i8_tensor(std::string name, std::vector<int64_t> shape,
                      const std::vector<int8_t>& values) {
  return Tensor{std::move(name), DType::kI8, std::move(shape), to_le_bytes(values), {}};
}

Tensor make_i32_tensor(std::string name, std::vector<int64_t> shape,
                       const std::vector<int32_t>& values) {
  return Tensor{std::move(name), DType::kI32, std::move(shape), to_le_bytes(values), {}};
}

Tensor make_bf16_tensor(std::string name, std::vector<int64_t> shape,
                        const std::vector<uint16_t>& bits) {
  return Tensor{std::move(name), DType::kBF16, std::move(shape), to_le_bytes(bits), {}};
}

StatusOr<std::vector<float>> tensor_to_f32(const Tensor& t) {
  return from_le_bytes<float>(t, DType::kF32);
}
StatusOr<std::vector<int8_t>> tensor_to_i8(const Tensor& t) {
  return from_le_bytes<int8_t>(t, DType::kI8);
}
StatusOr<std::vector<int32_t>> tensor_to_i32(const Tensor& t) {
  return from_le_bytes<int32_t>(t, DType::kI32);
}
StatusOr<std::vector<uint16_t>> tensor_to_bf16(const Tensor& t) {
  return from_le_bytes<uint16_t>(t, DType::kBF16);
}

namespace {
const Tensor* find_in(const std::vector<Tensor>& list, std::string_view name) {
  for (const Tensor& t : list) {
    if (t.name == name) return &t;
  }
  return nullptr;
}
}  // namespace

const Tensor* ModelFile::find_tensor(std::string_view name) const { return find_in(tensors, name); }
const Tensor* ModelFile::find_optimizer_tensor(std::string_view name) const {
  return find_in(optimizer_state, name);
}

}  // namespace fenlei::format
