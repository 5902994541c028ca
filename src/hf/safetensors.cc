#include "hf/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/file_util.h"

namespace fenlei::hf {
namespace {

// Far above any real header (a BERT-large header is ~40 KB), far below memory trouble.
constexpr uint64_t kMaxHeaderBytes = 64u << 20;

struct Entry {
  std::string name;
  int dtype_size = 4;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

Status bad(const std::string& where, const std::string& what) {
  return invalid_argument_error(where + ": " + what);
}

StatusOr<Entry> parse_entry(const std::string& where, const std::string& name,
                            const nlohmann::json& j, uint64_t data_size) {
  const std::string at = "tensor '" + name + "'";
  if (!j.is_object()) return bad(where, at + " is not an object");
  Entry e;
  e.name = name;
  auto dtype = j.find("dtype");
  if (dtype == j.end() || !dtype->is_string()) return bad(where, at + ": field 'dtype' missing");
  e.dtype = dtype->get<std::string>();
  if (e.dtype == "F32") {
    e.dtype_size = 4;
  } else if (e.dtype == "F16" || e.dtype == "BF16") {
    e.dtype_size = 2;
  } else if (e.dtype == "I64") {
    e.dtype_size = 8;  // buffers such as position_ids; read as float
  } else {
    return bad(where, at + ": field 'dtype' is " + e.dtype + "; supported: F32, F16, BF16");
  }
  auto shape = j.find("shape");
  if (shape == j.end() || !shape->is_array() || shape->size() > 8)
    return bad(where, at + ": field 'shape' must be an array of at most 8 dims");
  for (const auto& d : *shape) {
    if (!d.is_number_unsigned()) return bad(where, at + ": field 'shape' has a non-integer dim");
    const uint64_t v = d.get<uint64_t>();
    if (v > (uint64_t{1} << 40)) return bad(where, at + ": field 'shape' dim too large");
    e.shape.push_back(static_cast<int64_t>(v));
  }
  auto offsets = j.find("data_offsets");
  if (offsets == j.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
    return bad(where, at + ": field 'data_offsets' must be [begin, end]");
  e.begin = (*offsets)[0].get<uint64_t>();
  e.end = (*offsets)[1].get<uint64_t>();
  if (e.begin > e.end || e.end > data_size)
    return bad(where, at + ": field 'data_offsets' [" + std::to_string(e.begin) + ", " +
                          std::to_string(e.end) + "] lies outside the " +
                          std::to_string(data_size) + " data bytes");
  const int64_t numel = checked_numel(e.shape, static_cast<int64_t>(data_size));
  if (numel < 0 || static_cast<uint64_t>(numel) * e.dtype_size != e.end - e.begin)
    return bad(where, at + ": field 'shape' does not match 'data_offsets' (" +
                          std::to_string(e.end - e.begin) + " bytes for dtype " + e.dtype + ")");
  return e;
}

void convert(const Entry& e, const char* src, std::vector<float>* out) {
  const size_t n = (e.end - e.begin) / e.dtype_size;
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    const char* p = src + i * e.dtype_size;
    if (e.dtype == "F32") {
      std::memcpy(&(*out)[i], p, 4);
    } else if (e.dtype == "I64") {
      int64_t v;
      std::memcpy(&v, p, 8);
      (*out)[i] = static_cast<float>(v);
    } else {
      uint16_t h;
      std::memcpy(&h, p, 2);
      (*out)[i] = e.dtype == "F16" ? f16_to_float(h) : bf16_to_float(h);
    }
  }
}

}  // namespace

StatusOr<TensorMap> parse_safetensors(std::string_view bytes, const std::string& where) {
  if (bytes.size() < 8) return bad(where, "shorter than the 8-byte header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<uint8_t>(bytes[i]);
  if (header_len > bytes.size() - 8 || header_len > kMaxHeaderBytes)
    return bad(where, "header length " + std::to_string(header_len) + " exceeds the file (" +
                          std::to_string(bytes.size()) + " bytes)");
  const auto header =
      nlohmann::json::parse(bytes.substr(8, header_len), nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object())
    return bad(where, "header is not a JSON object");
  const std::string_view data = bytes.substr(8 + header_len);

  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    FENLEI_ASSIGN_OR_RETURN(Entry e, parse_entry(where, it.key(), it.value(), data.size()));
    entries.push_back(std::move(e));
  }
  // Tensors may not share bytes: a header that overlaps them is corrupt or hostile. Sorted by
  // (begin, end), so an empty tensor [x, x] comes before a tensor starting at x and is no overlap.
  std::vector<const Entry*> by_offset;
  for (const auto& e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      return bad(where, "tensors '" + by_offset[i - 1]->name + "' and '" + by_offset[i]->name +
                            "' overlap in field 'data_offsets'");
  }

  TensorMap out;
  for (const auto& e : entries) {
    Tensor t;
    t.shape = e.shape;
    convert(e, data.data() + e.begin, &t.data);
    out.emplace(e.name, std::move(t));
  }
  return out;
}

StatusOr<TensorMap> read_safetensors(const std::string& path) {
  FENLEI_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return parse_safetensors(bytes, path);
}

}  // namespace fenlei::hf
