// Shared fixtures for the model-file tests: a small model touching every field and dtype, and a
// builder for hand-crafted files (valid checksums, arbitrary section payloads) so that the
// structural checks behind the CRC can be reached.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/crc32.h"
#include "format/model_file.h"
#include "format/binary_io.h"
#include "format/layout.h"

namespace fenlei::format::testing {

// ~3 KB serialised: every dtype, unicode labels, a user dictionary, optimizer state.
inline ModelFile sample_model() {
  ModelFile m;
  m.metadata_json =
      R"({"arch":"textcnn","embed_dim":8,"segmenter":{"mode":"mix","hmm":true},"seed":7,)"
      R"("labels_note":"情感"})";
  m.vocabulary = {"<pad>", "<unk>"};
  const std::vector<std::string> words = {"酒店", "干净", "服务", "不错", "房间", "太", "吵",
                                          "早餐", "位置", "方便", "的",   "了",   "很", "。",
                                          "，",   "AK47", "5G",   "wifi", "😀",    "é"};
  for (const auto& w : words) m.vocabulary.push_back(w);
  m.labels = {"负面", "正面", "中性 neutral"};
  m.user_dictionary = "云计算 5 n\n李小福 2 nr\n创新办 3 i\n";
  std::vector<float> embed(m.vocabulary.size() * 8);
  for (size_t i = 0; i < embed.size(); ++i) embed[i] = 0.01f * static_cast<float>(i) - 0.5f;
  m.tensors.push_back(
      make_f32_tensor("embed/weight", {static_cast<int64_t>(m.vocabulary.size()), 8}, embed));
  std::vector<int8_t> q(4 * 3 * 8);
  for (size_t i = 0; i < q.size(); ++i)
    q[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
  m.tensors.push_back(make_i8_tensor("conv3/weight", {4, 3, 8}, q));
  m.tensors.push_back(make_f32_tensor("conv3/weight_scale", {4}, {0.1f, 0.2f, 0.3f, 0.4f}));
  m.tensors.push_back(Tensor{
      "conv3/bias_f16", DType::kF16, {4}, std::string("\x00\x3c\x00\xc0\x00\x00\xff\x7b", 8), {}});
  m.tensors.push_back(make_i32_tensor("fc/counts", {2, 2}, {1, -2, 3, 2147483647}));
  m.tensors.push_back(Tensor{"mask", DType::kU8, {3}, std::string("\x01\x00\xff", 3), {}});
  m.tensors.push_back(make_f32_tensor("temperature", {}, {1.5f}));  // rank-0 scalar
  m.tensors.push_back(make_f32_tensor("empty", {0, 8}, {}));        // zero-size
  m.optimizer_state.push_back(make_f32_tensor("adam/m/conv3/weight_scale", {4}, {0, 1, 2, 3}));
  m.optimizer_state.push_back(make_i32_tensor("adam/step", {}, {42}));
  return m;
}

// One section of a hand-crafted file.
struct RawSection {
  uint32_t kind;
  std::string stored;
  uint32_t flags = 0;
  int64_t raw_size = -1;  // -1: stored.size()
};

// Builds a file with the real layout and valid CRCs around arbitrary section payloads.
inline std::string build_raw_file(const std::vector<RawSection>& sections,
                                  uint32_t version = kFormatVersion) {
  BinaryWriter w;
  w.put_bytes(std::string_view(kMagic, kMagicSize));
  w.put_u32(version);
  w.put_u32(0);
  w.put_u64(0);
  w.put_u32(static_cast<uint32_t>(sections.size()));
  w.put_u32(0);
  uint64_t offset = kHeaderSize + sections.size() * kSectionEntrySize;
  for (const RawSection& s : sections) {
    offset = (offset + kAlignment - 1) / kAlignment * kAlignment;
    w.put_u32(s.kind);
    w.put_u32(s.flags);
    w.put_u64(offset);
    w.put_u64(s.stored.size());
    w.put_u64(s.raw_size < 0 ? s.stored.size() : static_cast<uint64_t>(s.raw_size));
    w.put_u32(crc32_str(s.stored));
    w.put_u32(0);
    offset += s.stored.size();
  }
  for (const RawSection& s : sections) {
    w.pad_to(kAlignment);
    w.put_bytes(s.stored);
  }
  w.patch_u64(16, w.size() + kTrailerSize);
  w.put_u32(crc32_str(w.data()));
  return w.take();
}

// Rewrites the trailing CRC after a test has edited the bytes on purpose.
inline void fix_file_crc(std::string& bytes) {
  const uint32_t crc = crc32(bytes.data(), bytes.size() - kTrailerSize);
  for (int i = 0; i < 4; ++i)
    bytes[bytes.size() - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
}

inline std::string empty_tensor_index() { return std::string(4, '\0'); }  // u32 count = 0

// The minimal valid section set, with one payload replaced.
inline std::vector<RawSection> minimal_sections() {
  return {{static_cast<uint32_t>(SectionKind::kMeta), "{}"},
          {static_cast<uint32_t>(SectionKind::kVocab), std::string("\x01\x01"
                                                                   "a",
                                                                   3)},
          {static_cast<uint32_t>(SectionKind::kLabels), std::string("\x01\x01"
                                                                    "x",
                                                                    3)},
          {static_cast<uint32_t>(SectionKind::kTensorIndex), empty_tensor_index()},
          {static_cast<uint32_t>(SectionKind::kTensorData), ""}};
}

}  // namespace fenlei::format::testing
