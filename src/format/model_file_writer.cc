// Serialises a ModelFile: validate, encode each section, decide per section whether zlib pays,
// lay the sections out at 64-byte aligned offsets, then checksum. See docs/model_format.md.
#include <cstdio>

#include "base/crc32.h"
#include "base/file_util.h"
#include "format/model_file.h"
#include "text/utf8.h"
#include "format/binary_io.h"
#include "format/layout.h"
#include "format/sections.h"
#include "format/zlib_codec.h"

namespace fenlei::format {

namespace {

struct PendingSection {
  SectionKind kind;
  uint32_t flags = 0;
  uint64_t raw_size = 0;
  std::string stored;
};

PendingSection make_section(SectionKind kind, std::string raw, Compression compression, int level) {
  PendingSection s;
  s.kind = kind;
  s.raw_size = raw.size();
  if (compression != Compression::kNone && !raw.empty()) {
    std::string packed = zlib_compress(raw, level);
    // kAuto keeps zlib only when it clearly pays: inflating costs load time, and raw sections
    // keep tensor bytes aligned for mmap.
    const bool pays =
        packed.size() + 64 <= raw.size() && packed.size() <= raw.size() - raw.size() / 16;
    if (compression == Compression::kAlways || pays) {
      s.flags |= kSectionFlagZlib;
      s.stored = std::move(packed);
      return s;
    }
  }
  s.stored = std::move(raw);
  return s;
}

Status validate_for_write(const ModelFile& m) {
  std::string err = check_metadata(m.metadata_json);
  if (err.empty()) err = check_utf8_list(m.vocabulary, "vocabulary");
  if (err.empty()) err = check_labels(m.labels);
  if (err.empty() && !utf8::is_valid(m.user_dictionary)) {
    err = "user dictionary is not valid UTF-8";
  }
  if (err.empty()) err = check_tensors(m.tensors, "weight");
  if (err.empty()) err = check_tensors(m.optimizer_state, "optimizer");
  if (!err.empty()) return invalid_argument_error("cannot write model file: " + err);
  return Status();
}

}  // namespace

StatusOr<std::string> serialize(const ModelFile& m, const WriteOptions& options) {
  FENLEI_RETURN_IF_ERROR(validate_for_write(m));
  const Compression text = options.text_sections;
  const int level = options.zlib_level;

  std::vector<PendingSection> sections;
  sections.push_back(make_section(SectionKind::kMeta, m.metadata_json, text, level));
  sections.push_back(
      make_section(SectionKind::kVocab, encode_string_list(m.vocabulary), text, level));
  sections.push_back(make_section(SectionKind::kLabels, encode_string_list(m.labels), text, level));
  if (!m.user_dictionary.empty()) {
    sections.push_back(make_section(SectionKind::kUserDict, m.user_dictionary, text, level));
  }
  EncodedTensors weights = encode_tensors(m.tensors);
  sections.push_back(
      make_section(SectionKind::kTensorIndex, std::move(weights.index), text, level));
  sections.push_back(
      make_section(SectionKind::kTensorData, std::move(weights.data), options.tensor_data, level));
  uint32_t flags = 0;
  if (!m.optimizer_state.empty()) {
    flags |= kFlagHasOptimizerState;
    EncodedTensors opt = encode_tensors(m.optimizer_state);
    sections.push_back(
        make_section(SectionKind::kOptimizerIndex, std::move(opt.index), text, level));
    sections.push_back(
        make_section(SectionKind::kOptimizerData, std::move(opt.data), options.tensor_data, level));
  }
  for (const Tensor& t : m.tensors) {
    if (t.dtype == DType::kI8) flags |= kFlagHasInt8;
  }

  BinaryWriter w;
  w.put_bytes(std::string_view(kMagic, kMagicSize));
  w.put_u32(kFormatVersion);
  w.put_u32(flags);
  const size_t file_size_at = w.size();
  w.put_u64(0);  // file_size, patched below
  w.put_u32(static_cast<uint32_t>(sections.size()));
  w.put_u32(0);  // reserved

  // Section table: offsets follow from the sizes, so compute them before writing the entries.
  uint64_t offset = kHeaderSize + sections.size() * kSectionEntrySize;
  for (const PendingSection& s : sections) {
    offset = (offset + kAlignment - 1) / kAlignment * kAlignment;
    w.put_u32(static_cast<uint32_t>(s.kind));
    w.put_u32(s.flags);
    w.put_u64(offset);
    w.put_u64(s.stored.size());
    w.put_u64(s.raw_size);
    w.put_u32(crc32_str(s.stored));
    w.put_u32(0);  // reserved
    offset += s.stored.size();
  }
  w.reserve(offset + kTrailerSize);  // no doubling reallocation of a model-sized buffer
  for (PendingSection& s : sections) {
    w.pad_to(kAlignment);
    w.put_bytes(s.stored);
    std::string().swap(s.stored);  // each section exists twice only while it is copied
  }
  w.patch_u64(file_size_at, w.size() + kTrailerSize);
  w.put_u32(crc32_str(w.data()));
  return w.take();
}

Status write_model_file(const std::string& path, const ModelFile& model,
                        const WriteOptions& options) {
  FENLEI_ASSIGN_OR_RETURN(std::string bytes, serialize(model, options));
  return write_file_atomic(path, bytes);
}

std::string checksum_hex(std::string_view file_bytes) {
  const size_t n = file_bytes.size() >= kTrailerSize ? file_bytes.size() - kTrailerSize : 0;
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", crc32(file_bytes.data(), n));
  return buf;
}

}  // namespace fenlei::format
