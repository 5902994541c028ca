#include "hf/torch_bin.h"

#include <cstring>

#include "base/file_util.h"
#include "hf/pickle_reader.h"
#include "hf/zip_reader.h"

namespace fenlei::hf {
namespace {

int dtype_size(const std::string& dtype) { return dtype == "F32" ? 4 : dtype == "I64" ? 8 : 2; }

float element(const std::string& dtype, const char* p) {
  if (dtype == "F32") {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  if (dtype == "I64") {
    int64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<float>(v);
  }
  uint16_t h;
  std::memcpy(&h, p, 2);
  return dtype == "F16" ? f16_to_float(h) : bf16_to_float(h);
}

StatusOr<Tensor> materialise(const std::string& where, const std::string& name,
                             const TensorRecord& r, std::string_view storage) {
  auto bad = [&](const std::string& what) {
    return invalid_argument_error(where + ": tensor '" + name + "': " + what);
  };
  const int esize = dtype_size(r.dtype);
  if (static_cast<uint64_t>(r.storage_numel) > storage.size() / esize)
    return bad("storage '" + r.storage_key + "' is shorter than its " +
               std::to_string(r.storage_numel) + " elements");
  const int64_t numel = checked_numel(r.shape, r.storage_numel);
  if (numel < 0) return bad("shape larger than its storage");
  // The furthest element the view touches must lie inside the storage.
  int64_t last = r.offset;
  for (size_t d = 0; d < r.shape.size(); ++d) {
    if (r.stride[d] < 0 || r.stride[d] > r.storage_numel) return bad("bad stride");
    if (r.shape[d] > 0) last += (r.shape[d] - 1) * r.stride[d];
  }
  if (numel > 0 && last >= r.storage_numel) return bad("view runs past its storage");
  Tensor t;
  t.shape = r.shape;
  t.data.resize(numel);
  std::vector<int64_t> index(r.shape.size(), 0);
  for (int64_t i = 0; i < numel; ++i) {
    int64_t at = r.offset;
    for (size_t d = 0; d < index.size(); ++d) at += index[d] * r.stride[d];
    t.data[i] = element(r.dtype, storage.data() + at * esize);
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < r.shape[d]) break;
      index[d] = 0;
    }
  }
  return t;
}

}  // namespace

StatusOr<TensorMap> parse_pytorch_bin(std::string_view bytes, const std::string& where) {
  if (bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x80)
    return invalid_argument_error(
        where + ": a legacy (pre-1.6, non-zip) torch file; re-save it with a current torch or "
                "as model.safetensors");
  FENLEI_ASSIGN_OR_RETURN(ZipArchive zip, ZipArchive::open(bytes, where));
  std::string prefix;
  int found = 0;
  for (const auto& [name, data] : zip.entries()) {
    const std::string suffix = "data.pkl";
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        (name.size() == suffix.size() || name[name.size() - suffix.size() - 1] == '/')) {
      prefix = name.substr(0, name.size() - suffix.size());
      ++found;
    }
  }
  if (found != 1) return invalid_argument_error(where + ": expected exactly one data.pkl entry");
  FENLEI_ASSIGN_OR_RETURN(std::string_view pkl, zip.entry(prefix + "data.pkl"));
  FENLEI_ASSIGN_OR_RETURN(auto records, parse_state_dict_pickle(pkl, where + ":data.pkl"));
  TensorMap out;
  for (const auto& [name, record] : records) {
    auto storage = zip.entry(prefix + "data/" + record.storage_key);
    if (!storage.ok())
      return invalid_argument_error(where + ": tensor '" + name + "': storage '" +
                                    record.storage_key + "' missing from the archive");
    FENLEI_ASSIGN_OR_RETURN(Tensor t, materialise(where, name, record, *storage));
    out.emplace(name, std::move(t));
  }
  return out;
}

StatusOr<TensorMap> read_pytorch_bin(const std::string& path) {
  FENLEI_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return parse_pytorch_bin(bytes, path);
}

}  // namespace fenlei::hf
