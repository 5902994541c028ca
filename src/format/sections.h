// Encoders and decoders for the payload of each section kind (after zlib, before the section
// table), plus the content checks both the writer and the reader apply to a ModelFile.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "format/model_file.h"
#include "fenlei/status.h"

namespace fenlei::format {

// String list: varint count, then count x (varint byte length, UTF-8 bytes).
std::string encode_string_list(const std::vector<std::string>& list);
// `context` names the file and section for errors; reported offsets are within the payload.
StatusOr<std::vector<std::string>> decode_string_list(std::string_view payload,
                                                      const std::string& context);

// Tensor index + data: the index lists {name, dtype, rank, dims, offset, nbytes} per tensor;
// data holds each tensor's bytes at a 64-byte aligned offset, zero padding in between.
struct EncodedTensors {
  std::string index;
  std::string data;
};
EncodedTensors encode_tensors(const std::vector<Tensor>& tensors);
// The two halves apart, for a writer that streams the data from the tensors themselves instead
// of holding a model-sized copy: each tensor's offset in the data section (64-byte aligned, in
// order) and the section's size, and the index that encode_tensors would make.
std::vector<uint64_t> tensor_data_offsets(const std::vector<Tensor>& tensors, uint64_t* size);
std::string encode_tensor_index(const std::vector<Tensor>& tensors);
// UNIMPLEMENTED for a dtype this build does not know; DATA_LOSS for anything inconsistent.
StatusOr<std::vector<Tensor>> decode_tensors(std::string_view index, std::string_view data,
                                             const std::string& context);

// The same in two steps, so that a reader can bound the data section by what the index declares
// before inflating it: decode the index (tensors without data), then attach the data.
struct TensorIndexEntry {
  Tensor tensor;  // name, dtype, shape; data empty
  uint64_t offset = 0;
  uint64_t nbytes = 0;
};
// `format_version`: the file's; a dtype newer than it is DATA_LOSS.
StatusOr<std::vector<TensorIndexEntry>> decode_tensor_index(std::string_view index,
                                                            const std::string& context,
                                                            uint32_t format_version);
// The bytes the data section must hold: the end of the last tensor.
uint64_t tensor_data_extent(const std::vector<TensorIndexEntry>& index);
// With `borrow`, each tensor views its bytes in `data` (Tensor::borrowed) instead of copying.
StatusOr<std::vector<Tensor>> attach_tensor_data(std::vector<TensorIndexEntry> index,
                                                 std::string_view data,
                                                 const std::string& context, bool borrow = false);

// Checks everything the format promises about content; returns "" if valid, else what is wrong
// (the writer reports it as INVALID_ARGUMENT, the reader as DATA_LOSS).
std::string check_metadata(std::string_view json);
std::string check_labels(const std::vector<std::string>& labels);
std::string check_utf8_list(const std::vector<std::string>& list, const char* what);
std::string check_tensors(const std::vector<Tensor>& tensors, const char* what);

}  // namespace fenlei::format
