// The bf16 dtype (format v2): its bits survive a write and a read, a file holding one says v2
// while every other file stays v1 (readable by v1 builds), and a bf16 tensor that is short, lies
// about its size, or sits in a v1 file is DATA_LOSS naming the tensor.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "format/binary_io.h"
#include "format/layout.h"
#include "format/model_file.h"
#include "format_test_util.h"

namespace fenlei::format {
namespace {

using testing::build_raw_file;
using testing::minimal_sections;
using testing::RawSection;
using testing::sample_model;

// Every 16-bit pattern a bf16 weight may hold, NaNs and infinities included: the format moves
// bits, it does not interpret them.
std::vector<uint16_t> all_patterns() {
  std::vector<uint16_t> bits(65536);
  for (size_t i = 0; i < bits.size(); ++i) bits[i] = static_cast<uint16_t>(i);
  return bits;
}

TEST(Bf16Dtype, BitsRoundTripAndTheFileSaysV2) {
  ModelFile m = sample_model();
  m.tensors.push_back(make_bf16_tensor("layer/weight", {256, 256}, all_patterns()));
  EXPECT_EQ(dtype_size(DType::kBF16), 2u);
  EXPECT_EQ(dtype_name(DType::kBF16), "bf16");
  EXPECT_EQ(required_format_version(m), 2u);
  auto bytes = serialize(m);
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  for (bool borrow : {false, true}) {
    ParseOptions options;
    options.borrow_tensor_data = borrow;
    auto back = parse_model_file(*bytes, "m.fenlei", options);
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(back->format_version, 2u);
    const Tensor* t = back->find_tensor("layer/weight");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->dtype, DType::kBF16);
    EXPECT_EQ(t->bytes().size(), 65536u * 2);
    auto bits = tensor_to_bf16(*t);
    ASSERT_TRUE(bits.ok()) << bits.status().to_string();
    EXPECT_EQ(*bits, all_patterns());
    EXPECT_FALSE(tensor_to_f32(*t).ok());  // a bf16 tensor is not read as f32 by mistake
  }
}

TEST(Bf16Dtype, FilesWithoutBf16StayV1) {
  const ModelFile m = sample_model();
  EXPECT_EQ(required_format_version(m), 1u);
  auto bytes = serialize(m);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(static_cast<uint8_t>((*bytes)[8]), 1u);  // the header's format_version
  ModelFile opt = m;
  opt.optimizer_state.push_back(make_bf16_tensor("adam/m/x", {2}, {0x3f80, 0xbf80}));
  EXPECT_EQ(required_format_version(opt), 2u);
}

// A tensor index holding one bf16 tensor of `dims`, declaring `nbytes`.
std::string bf16_index(std::vector<int64_t> dims, uint64_t nbytes) {
  BinaryWriter w;
  w.put_u32(1);
  w.put_string_u32("w");
  w.put_u8(static_cast<uint8_t>(DType::kBF16));
  w.put_u8(static_cast<uint8_t>(dims.size()));
  w.put_u16(0);
  for (int64_t d : dims) w.put_i64(d);
  w.put_u64(0);
  w.put_u64(nbytes);
  return w.take();
}

StatusOr<ModelFile> parse_with(const std::string& index, const std::string& data,
                               uint32_t version) {
  std::vector<RawSection> sections = minimal_sections();
  for (RawSection& s : sections) {
    if (s.kind == static_cast<uint32_t>(SectionKind::kTensorIndex)) s.stored = index;
    if (s.kind == static_cast<uint32_t>(SectionKind::kTensorData)) s.stored = data;
  }
  return parse_model_file(build_raw_file(sections, version), "m.fenlei");
}

TEST(Bf16Dtype, HandCraftedBf16TensorParsesAtV2) {
  auto m = parse_with(bf16_index({2, 3}, 12), std::string(12, '\x3f'), 2);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  ASSERT_EQ(m->tensors.size(), 1u);
  EXPECT_EQ(m->tensors[0].dtype, DType::kBF16);
}

void expect_data_loss(const StatusOr<ModelFile>& m, const std::string& part) {
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kDataLoss) << m.status().to_string();
  EXPECT_NE(m.status().message().find("m.fenlei"), std::string::npos) << m.status().message();
  EXPECT_NE(m.status().message().find(part), std::string::npos) << m.status().message();
}

TEST(Bf16Dtype, SizeThatDisagreesWithTheShapeIsDataLoss) {
  // 2 x 3 bf16 is 12 bytes; an index that says 24 (f32's size) is caught before any data is read.
  expect_data_loss(parse_with(bf16_index({2, 3}, 24), std::string(24, '\0'), 2),
                   "tensor 'w' bf16[2,3] needs 12 bytes but declares 24");
}

TEST(Bf16Dtype, ShortDataIsDataLoss) {
  // The index is right, but the data section ends 4 bytes into the tensor.
  expect_data_loss(parse_with(bf16_index({2, 3}, 12), std::string(4, '\0'), 2),
                   "tensor 'w' lies outside its data section");
}

TEST(Bf16Dtype, HugeDeclaredShapeIsRejectedBeforeAllocating) {
  // 2^62 elements: the byte count overflows int64, checked from the index alone.
  expect_data_loss(parse_with(bf16_index({int64_t{1} << 62}, 0), "", 2), "invalid shape");
  // 2^40 elements declared consistently (2 TiB): bounded by the data section, which is empty.
  expect_data_loss(parse_with(bf16_index({int64_t{1} << 40}, uint64_t{2} << 40), "", 2),
                   "lies outside its data section");
}

TEST(Bf16Dtype, Bf16InAV1FileIsDataLoss) {
  expect_data_loss(parse_with(bf16_index({2, 3}, 12), std::string(12, '\0'), 1),
                   "tensor 'w' has dtype bf16, which format v1 does not have");
}

TEST(Bf16Dtype, WrongByteCountIsRefusedOnWriteAndOnDecode) {
  ModelFile m = sample_model();
  Tensor t = make_bf16_tensor("short", {4}, {1, 2, 3, 4});
  t.data.resize(6);  // 3 elements' bytes for a shape of 4
  m.tensors.push_back(t);
  auto bytes = serialize(m);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bytes.status().message().find("tensor 'short' bf16[4] needs 8 bytes but holds 6"),
            std::string::npos)
      << bytes.status().message();
  auto decoded = tensor_to_bf16(t);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("'short'"), std::string::npos);
}

}  // namespace
}  // namespace fenlei::format
