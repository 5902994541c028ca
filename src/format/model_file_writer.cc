// Serialises a ModelFile: validate, encode each section, decide per section whether zlib pays,
// lay the sections out at 64-byte aligned offsets, then checksum. See docs/model_format.md.
#include <cstdio>
#include <functional>

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

// A section's stored bytes: owned (`stored`), or, for an uncompressed tensor data section,
// borrowed from the ModelFile's tensors (`tensors`, each at its aligned offset, zeros between),
// so the largest section is never copied before it reaches the sink.
struct PendingSection {
  SectionKind kind;
  uint32_t flags = 0;
  uint64_t raw_size = 0;
  uint64_t stored_size = 0;
  uint32_t crc = 0;
  std::string stored;
  const std::vector<Tensor>* tensors = nullptr;
  std::vector<uint64_t> offsets;  // of `tensors`, within the section
};

PendingSection make_section(SectionKind kind, std::string raw, Compression compression, int level) {
  PendingSection s;
  s.kind = kind;
  s.raw_size = raw.size();
  s.stored = std::move(raw);
  if (compression != Compression::kNone && !s.stored.empty()) {
    std::string packed = zlib_compress(s.stored, level);
    // kAuto keeps zlib only when it clearly pays: inflating costs load time, and raw sections
    // keep tensor bytes aligned for mmap.
    const bool pays =
        packed.size() + 64 <= s.raw_size && packed.size() <= s.raw_size - s.raw_size / 16;
    if (compression == Compression::kAlways || pays) {
      s.flags |= kSectionFlagZlib;
      s.stored = std::move(packed);
    }
  }
  s.stored_size = s.stored.size();
  s.crc = crc32_str(s.stored);
  return s;
}

// Zero bytes for padding; kAlignment is the most ever needed at once.
constexpr char kZeros[kAlignment] = {};

// Calls `piece` with the section's stored bytes in order (padding included).
template <typename Piece>
Status for_each_piece(const PendingSection& s, const Piece& piece) {
  if (!s.tensors) return piece(std::string_view(s.stored));
  uint64_t at = 0;
  for (size_t i = 0; i < s.tensors->size(); ++i) {
    FENLEI_RETURN_IF_ERROR(piece(std::string_view(kZeros, s.offsets[i] - at)));
    const std::string_view data = (*s.tensors)[i].bytes();
    FENLEI_RETURN_IF_ERROR(piece(std::string_view(data)));
    at = s.offsets[i] + data.size();
  }
  return Status();
}

// The data section of `tensors`: compressed sections need the bytes in one piece to deflate;
// raw ones borrow the tensors.
PendingSection make_data_section(SectionKind kind, const std::vector<Tensor>& tensors,
                                 Compression compression, int level) {
  if (compression != Compression::kNone) {
    return make_section(kind, encode_tensors(tensors).data, compression, level);
  }
  PendingSection s;
  s.kind = kind;
  s.tensors = &tensors;
  s.offsets = tensor_data_offsets(tensors, &s.raw_size);
  s.stored_size = s.raw_size;
  uint32_t crc = 0;
  (void)for_each_piece(s, [&crc](std::string_view bytes) {
    crc = crc32_str(bytes, crc);
    return Status();
  });
  s.crc = crc;
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

// Encodes `m` and hands the file's bytes to `sink` in order. Everything but the raw tensor data
// is encoded first (sizes and checksums go in the section table at the front); the tensor data
// streams from `m` itself, so writing a model costs the small sections, not a copy of it.
Status emit_model_file(const ModelFile& m, const WriteOptions& options, const ByteSink& sink,
                       const std::function<void(uint64_t)>& file_size = nullptr) {
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
  sections.push_back(
      make_section(SectionKind::kTensorIndex, encode_tensor_index(m.tensors), text, level));
  sections.push_back(
      make_data_section(SectionKind::kTensorData, m.tensors, options.tensor_data, level));
  uint32_t flags = 0;
  if (!m.optimizer_state.empty()) {
    flags |= kFlagHasOptimizerState;
    sections.push_back(make_section(SectionKind::kOptimizerIndex,
                                    encode_tensor_index(m.optimizer_state), text, level));
    sections.push_back(make_data_section(SectionKind::kOptimizerData, m.optimizer_state,
                                         options.tensor_data, level));
  }
  for (const Tensor& t : m.tensors) {
    if (t.dtype == DType::kI8) flags |= kFlagHasInt8;
  }

  // Section table: offsets follow from the sizes, so compute them before writing the entries.
  std::vector<uint64_t> offsets;
  uint64_t offset = kHeaderSize + sections.size() * kSectionEntrySize;
  for (const PendingSection& s : sections) {
    offset = (offset + kAlignment - 1) / kAlignment * kAlignment;
    offsets.push_back(offset);
    offset += s.stored_size;
  }
  if (file_size) file_size(offset + kTrailerSize);
  BinaryWriter w;
  w.put_bytes(std::string_view(kMagic, kMagicSize));
  w.put_u32(required_format_version(m));
  w.put_u32(flags);
  w.put_u64(offset + kTrailerSize);  // file_size
  w.put_u32(static_cast<uint32_t>(sections.size()));
  w.put_u32(0);  // reserved
  for (size_t i = 0; i < sections.size(); ++i) {
    const PendingSection& s = sections[i];
    w.put_u32(static_cast<uint32_t>(s.kind));
    w.put_u32(s.flags);
    w.put_u64(offsets[i]);
    w.put_u64(s.stored_size);
    w.put_u64(s.raw_size);
    w.put_u32(s.crc);
    w.put_u32(0);  // reserved
  }
  // Everything goes through `put`, which keeps the running whole-file checksum.
  uint64_t written = 0;
  uint32_t file_crc = 0;
  auto put = [&](std::string_view bytes) -> Status {
    if (bytes.empty()) return Status();
    file_crc = crc32_str(bytes, file_crc);
    written += bytes.size();
    return sink(bytes);
  };
  FENLEI_RETURN_IF_ERROR(put(w.data()));
  for (size_t i = 0; i < sections.size(); ++i) {
    FENLEI_RETURN_IF_ERROR(put(std::string_view(kZeros, offsets[i] - written)));
    FENLEI_RETURN_IF_ERROR(for_each_piece(sections[i], put));
    std::string().swap(sections[i].stored);  // written: no longer needed
  }
  BinaryWriter trailer;
  trailer.put_u32(file_crc);
  return sink(trailer.data());
}

}  // namespace

StatusOr<std::string> serialize(const ModelFile& m, const WriteOptions& options) {
  std::string out;
  FENLEI_RETURN_IF_ERROR(emit_model_file(
      m, options,
      [&out](std::string_view bytes) {
        out.append(bytes.data(), bytes.size());
        return Status();
      },
      [&out](uint64_t size) { out.reserve(static_cast<size_t>(size)); }));
  return out;
}

Status write_model_file(const std::string& path, const ModelFile& model,
                        const WriteOptions& options) {
  return write_file_atomic_streamed(path, [&](const ByteSink& sink) {
    return emit_model_file(model, options, sink);
  });
}

std::string checksum_hex(std::string_view file_bytes) {
  const size_t n = file_bytes.size() >= kTrailerSize ? file_bytes.size() - kTrailerSize : 0;
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", crc32(file_bytes.data(), n));
  return buf;
}

std::string stored_checksum_hex(std::string_view file_bytes) {
  if (file_bytes.size() < kTrailerSize) return "";
  const auto* p =
      reinterpret_cast<const unsigned char*>(file_bytes.data() + file_bytes.size() - kTrailerSize);
  const uint32_t crc = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
                       uint32_t(p[3]) << 24;
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", crc);
  return buf;
}

}  // namespace fenlei::format
