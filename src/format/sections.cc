#include "format/sections.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "text/utf8.h"
#include "format/binary_io.h"
#include "format/layout.h"

namespace fenlei::format {

namespace {

// Smallest index entry: name length (4) + dtype, rank, reserved (4) + offset and nbytes (16).
constexpr size_t kMinTensorEntrySize = 24;

bool is_known_dtype(uint8_t v) { return v >= 1 && v <= 6; }

// numel(shape) * elem_size without overflow; false if a dim is negative or the product does not
// fit in int64 bytes.
bool byte_size(const std::vector<int64_t>& shape, size_t elem_size, uint64_t* out) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return false;
    const uint64_t ud = static_cast<uint64_t>(d);
    if (ud != 0 && n > static_cast<uint64_t>(INT64_MAX) / elem_size / ud) return false;
    n *= ud;
  }
  *out = n * elem_size;
  return true;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

std::string encode_string_list(const std::vector<std::string>& list) {
  BinaryWriter w;
  w.put_varint(list.size());
  for (const std::string& s : list) w.put_string_varint(s);
  return w.take();
}

StatusOr<std::vector<std::string>> decode_string_list(std::string_view payload,
                                                      const std::string& context) {
  BinaryReader r(payload, context);
  FENLEI_ASSIGN_OR_RETURN(uint64_t count, r.read_varint("string count"));
  // Each entry takes at least its one-byte length: bound the count before reserving.
  if (count > r.remaining()) {
    return r.corrupt("declares " + std::to_string(count) + " strings but only " +
                     std::to_string(r.remaining()) + " bytes follow");
  }
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    FENLEI_ASSIGN_OR_RETURN(std::string_view s, r.read_string_varint("string"));
    out.emplace_back(s);
  }
  if (!r.at_end()) return r.corrupt(std::to_string(r.remaining()) + " unexpected trailing bytes");
  return out;
}

std::vector<uint64_t> tensor_data_offsets(const std::vector<Tensor>& tensors, uint64_t* size) {
  std::vector<uint64_t> offsets;
  offsets.reserve(tensors.size());
  uint64_t at = 0;
  for (const Tensor& t : tensors) {
    at = (at + kAlignment - 1) / kAlignment * kAlignment;
    offsets.push_back(at);
    at += t.bytes().size();
  }
  *size = at;
  return offsets;
}

std::string encode_tensor_index(const std::vector<Tensor>& tensors) {
  uint64_t size = 0;
  const std::vector<uint64_t> offsets = tensor_data_offsets(tensors, &size);
  BinaryWriter index;
  index.put_u32(static_cast<uint32_t>(tensors.size()));
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    index.put_string_u32(t.name);
    index.put_u8(static_cast<uint8_t>(t.dtype));
    index.put_u8(static_cast<uint8_t>(t.shape.size()));
    index.put_u16(0);  // reserved
    for (int64_t d : t.shape) index.put_i64(d);
    index.put_u64(offsets[i]);
    index.put_u64(t.bytes().size());
  }
  return index.take();
}

EncodedTensors encode_tensors(const std::vector<Tensor>& tensors) {
  uint64_t size = 0;
  const std::vector<uint64_t> offsets = tensor_data_offsets(tensors, &size);
  // Sized up front: growing by doubling would hold the old and the new buffer at once, two
  // copies of a model-sized table at the moment of each reallocation.
  std::string data(static_cast<size_t>(size), '\0');
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string_view bytes = tensors[i].bytes();
    std::copy(bytes.begin(), bytes.end(),
              data.begin() + static_cast<std::ptrdiff_t>(offsets[i]));
  }
  return {encode_tensor_index(tensors), std::move(data)};
}

StatusOr<std::vector<TensorIndexEntry>> decode_tensor_index(std::string_view index,
                                                            const std::string& context,
                                                            uint32_t format_version) {
  BinaryReader r(index, context);
  FENLEI_ASSIGN_OR_RETURN(uint32_t count, r.read_u32("tensor count"));
  if (count > r.remaining() / kMinTensorEntrySize) {
    return r.corrupt("declares " + std::to_string(count) + " tensors but the index has only " +
                     std::to_string(r.remaining()) + " bytes");
  }
  std::vector<TensorIndexEntry> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    TensorIndexEntry e;
    Tensor& t = e.tensor;
    FENLEI_ASSIGN_OR_RETURN(std::string_view name, r.read_string_u32("tensor name"));
    t.name = std::string(name);
    FENLEI_ASSIGN_OR_RETURN(uint8_t dtype, r.read_u8("tensor dtype"));
    if (!is_known_dtype(dtype)) {
      return unimplemented_error(context + ": tensor '" + t.name + "' has dtype " +
                                 std::to_string(dtype) +
                                 ", which this build does not support; upgrade fenlei");
    }
    t.dtype = static_cast<DType>(dtype);
    // A v1 file cannot hold a v2 dtype: a v1 build would have refused it as unknown.
    if (dtype_format_version(t.dtype) > format_version) {
      return r.corrupt("tensor '" + t.name + "' has dtype " + dtype_name(t.dtype) +
                       ", which format v" + std::to_string(format_version) + " does not have");
    }
    FENLEI_ASSIGN_OR_RETURN(uint8_t rank, r.read_u8("tensor rank"));
    if (rank > kMaxRank) {
      return r.corrupt("tensor '" + t.name + "' has rank " + std::to_string(rank) + " (at most " +
                       std::to_string(kMaxRank) + ")");
    }
    FENLEI_RETURN_IF_ERROR(r.skip(2, "tensor reserved field"));
    t.shape.resize(rank);
    for (auto& d : t.shape) {
      FENLEI_ASSIGN_OR_RETURN(d, r.read_i64("tensor dim"));
    }
    FENLEI_ASSIGN_OR_RETURN(e.offset, r.read_u64("tensor offset"));
    FENLEI_ASSIGN_OR_RETURN(e.nbytes, r.read_u64("tensor byte size"));
    uint64_t expected = 0;
    if (!byte_size(t.shape, dtype_size(t.dtype), &expected)) {
      return r.corrupt("tensor '" + t.name + "' has an invalid shape " + shape_string(t.shape));
    }
    if (e.nbytes != expected) {
      return r.corrupt("tensor '" + t.name + "' " + dtype_name(t.dtype) + shape_string(t.shape) +
                       " needs " + std::to_string(expected) + " bytes but declares " +
                       std::to_string(e.nbytes));
    }
    if (e.offset % kAlignment != 0 || e.offset > UINT64_MAX - e.nbytes) {
      return r.corrupt("tensor '" + t.name + "' lies outside its data section (offset " +
                       std::to_string(e.offset) + ", " + std::to_string(e.nbytes) + " bytes)");
    }
    out.push_back(std::move(e));
  }
  if (!r.at_end()) return r.corrupt(std::to_string(r.remaining()) + " unexpected trailing bytes");
  return out;
}

uint64_t tensor_data_extent(const std::vector<TensorIndexEntry>& index) {
  uint64_t end = 0;
  for (const TensorIndexEntry& e : index) end = std::max(end, e.offset + e.nbytes);
  return end;
}

StatusOr<std::vector<Tensor>> decode_tensors(std::string_view index, std::string_view data,
                                             const std::string& context) {
  FENLEI_ASSIGN_OR_RETURN(std::vector<TensorIndexEntry> entries,
                          decode_tensor_index(index, context, kFormatVersion));
  return attach_tensor_data(std::move(entries), data, context);
}

StatusOr<std::vector<Tensor>> attach_tensor_data(std::vector<TensorIndexEntry> entries,
                                                 std::string_view data,
                                                 const std::string& context, bool borrow) {
  struct Extent {
    uint64_t offset, size;
    size_t index;
  };
  std::vector<Tensor> out;
  std::vector<Extent> extents;
  out.reserve(entries.size());
  extents.reserve(entries.size());
  for (TensorIndexEntry& e : entries) {
    Tensor& t = e.tensor;
    if (e.offset > data.size() || e.nbytes > data.size() - e.offset) {
      return data_loss_error(context + ": tensor '" + t.name +
                             "' lies outside its data section (offset " +
                             std::to_string(e.offset) + ", " + std::to_string(e.nbytes) +
                             " bytes, section " + std::to_string(data.size()) + " bytes)");
    }
    if (borrow)
      t.borrowed = data.substr(static_cast<size_t>(e.offset), static_cast<size_t>(e.nbytes));
    else
      t.data.assign(data.data() + e.offset, static_cast<size_t>(e.nbytes));
    extents.push_back({e.offset, e.nbytes, out.size()});
    out.push_back(std::move(t));
  }
  // Overlapping tensors can only come from a broken writer or a crafted file.
  std::sort(extents.begin(), extents.end(),
            [](const Extent& a, const Extent& b) { return a.offset < b.offset; });
  for (size_t i = 1; i < extents.size(); ++i) {
    const Extent& prev = extents[i - 1];
    if (prev.offset + prev.size > extents[i].offset) {
      return data_loss_error(context + ": tensors '" + out[prev.index].name + "' and '" +
                             out[extents[i].index].name + "' overlap");
    }
  }
  return out;
}

std::string check_metadata(std::string_view json) {
  const size_t bad = utf8::find_invalid(json);
  if (bad != std::string_view::npos) {
    return "metadata has invalid UTF-8 at byte " + std::to_string(bad);
  }
  const auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return "metadata is not valid JSON";
  if (!parsed.is_object()) return "metadata must be a JSON object";
  return "";
}

std::string check_utf8_list(const std::vector<std::string>& list, const char* what) {
  for (size_t i = 0; i < list.size(); ++i) {
    const size_t bad = utf8::find_invalid(list[i]);
    if (bad != std::string_view::npos) {
      return std::string(what) + " entry " + std::to_string(i) + " has invalid UTF-8 at byte " +
             std::to_string(bad);
    }
  }
  return "";
}

std::string check_labels(const std::vector<std::string>& labels) {
  std::string err = check_utf8_list(labels, "label");
  if (!err.empty()) return err;
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].empty()) return "label " + std::to_string(i) + " is empty";
    if (!seen.insert(labels[i]).second) return "label '" + labels[i] + "' appears twice";
  }
  return "";
}

std::string check_tensors(const std::vector<Tensor>& tensors, const char* what) {
  std::unordered_set<std::string_view> seen;
  for (const Tensor& t : tensors) {
    if (t.name.empty()) return std::string(what) + " tensor with an empty name";
    if (!utf8::is_valid(t.name)) return std::string(what) + " tensor name is not valid UTF-8";
    if (t.name.size() > UINT32_MAX) return std::string(what) + " tensor name is too long";
    if (!seen.insert(t.name).second) {
      return std::string(what) + " tensor '" + t.name + "' appears twice";
    }
    if (!is_known_dtype(static_cast<uint8_t>(t.dtype))) {
      return "tensor '" + t.name + "' has unknown " + dtype_name(t.dtype);
    }
    if (t.shape.size() > kMaxRank) {
      return "tensor '" + t.name + "' has rank " + std::to_string(t.shape.size()) + " (at most " +
             std::to_string(kMaxRank) + ")";
    }
    uint64_t expected = 0;
    if (!byte_size(t.shape, dtype_size(t.dtype), &expected)) {
      return "tensor '" + t.name + "' has an invalid shape " + shape_string(t.shape);
    }
    if (t.bytes().size() != expected) {
      return "tensor '" + t.name + "' " + dtype_name(t.dtype) + shape_string(t.shape) + " needs " +
             std::to_string(expected) + " bytes but holds " + std::to_string(t.bytes().size());
    }
  }
  return "";
}

}  // namespace fenlei::format
