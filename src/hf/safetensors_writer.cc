#include "hf/safetensors_writer.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "text/utf8.h"

namespace fenlei::hf {
namespace {

// A JSON string literal, escaped as the header needs it.
std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

}  // namespace

StatusOr<std::string> serialize_safetensors(const TensorMap& tensors,
                                            const std::map<std::string, std::string>& metadata) {
  // The header is written by hand, not by a JSON library, to fix the field order
  // (dtype, shape, data_offsets) the Python package writes: identical input, identical bytes.
  std::string header = "{";
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (const auto& [key, value] : metadata) {
      if (!utf8::is_valid(key) || !utf8::is_valid(value))
        return invalid_argument_error("safetensors metadata '" + key + "' is not UTF-8");
      if (!first) header += ",";
      first = false;
      header += quoted(key) + ":" + quoted(value);
    }
    header += "}";
    first = false;
  }
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {  // std::map: sorted by name, bytewise
    if (name.empty() || name == "__metadata__" || !utf8::is_valid(name))
      return invalid_argument_error("safetensors: tensor name '" + name + "' cannot be written");
    const int64_t numel = checked_numel(t.shape, int64_t{1} << 60);
    if (numel < 0 || static_cast<uint64_t>(numel) != t.data.size())
      return invalid_argument_error("safetensors: tensor '" + name + "' has " +
                                    std::to_string(t.data.size()) +
                                    " values, not the product of its shape");
    if (!first) header += ",";
    first = false;
    header += quoted(name) + ":{\"dtype\":\"F32\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i)
      header += (i ? "," : "") + std::to_string(t.shape[i]);
    const uint64_t end = offset + t.data.size() * sizeof(float);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(end) + "]}";
    offset = end;
  }
  header += "}";
  // The format asks for the data to start 8-byte aligned; the padding is spaces (valid JSON
  // whitespace), as the Python package writes it.
  header.append((8 - header.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + header.size() + offset);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  out += header;
  static_assert(sizeof(float) == 4, "F32 is 4 bytes");
  for (const auto& [name, t] : tensors) {
    // The file is little-endian; so is every machine fenlei builds for (x86-64, aarch64).
    const size_t at = out.size();
    out.resize(at + t.data.size() * sizeof(float));
    if (!t.data.empty()) std::memcpy(&out[at], t.data.data(), t.data.size() * sizeof(float));
  }
  return out;
}

Status write_safetensors(const std::string& path, const TensorMap& tensors,
                         const std::map<std::string, std::string>& metadata) {
  FENLEI_ASSIGN_OR_RETURN(std::string bytes, serialize_safetensors(tensors, metadata));
  return write_file_atomic(path, bytes);
}

}  // namespace fenlei::hf
