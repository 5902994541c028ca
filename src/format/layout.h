// Constants of the model-file byte layout shared by the writer and the reader. The layout itself
// is documented in docs/model_format.md; any change here that alters bytes needs a version bump.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fenlei::format {

// 0x89 is not ASCII and not a valid UTF-8 lead byte, so no text file starts this way, and a
// transfer that strips the 8th bit is detected (the PNG trick). 0x1A stops `type` on DOS.
constexpr char kMagic[8] = {'\x89', 'F', 'E', 'N', 'L', 'E', 'I', '\x1a'};
constexpr size_t kMagicSize = 8;

constexpr size_t kHeaderSize = 32;        // magic, version, flags, file_size, n_sections, reserved
constexpr size_t kSectionEntrySize = 40;  // kind, flags, offset, stored, raw, crc, reserved
constexpr size_t kTrailerSize = 4;        // crc32 of everything before it
constexpr size_t kAlignment = 64;         // sections in the file and tensors in a data section
constexpr uint32_t kMaxSections = 64;     // far above the 8 kinds v1 defines
constexpr uint32_t kMaxRank = 8;
// A compressed section may not claim more than this when inflated (bomb guard).
constexpr uint64_t kMaxInflatedSectionSize = uint64_t{4} << 30;
// fenlei's own sections shrink at most a few times under zlib (weights barely; text 3-5x). A
// section claiming more than kMaxSectionInflateRatio times its stored size, beyond the first
// kInflateAllowance bytes, is a bomb (a 1.7 MB file holding 1 GB of zeros), not a model.
constexpr uint64_t kMaxSectionInflateRatio = 64;
constexpr uint64_t kInflateAllowance = uint64_t{256} << 20;
// A tensor data section holds what its index declares (the end of the last tensor); beyond that
// only this much padding is accepted, so the index bounds the section before it is inflated.
constexpr uint64_t kMaxTensorDataSlack = uint64_t{64} << 10;

// Section kinds. Stored in files: never renumber. Readers skip kinds they do not know.
enum class SectionKind : uint32_t {
  kMeta = 1,            // UTF-8 JSON object
  kVocab = 2,           // string list
  kLabels = 3,          // string list
  kUserDict = 4,        // UTF-8 text; optional (absent = empty)
  kTensorIndex = 5,     // tensor index
  kTensorData = 6,      // raw tensor bytes, each tensor at a 64-byte aligned offset
  kOptimizerIndex = 7,  // optional, present together with kOptimizerData
  kOptimizerData = 8,
};

constexpr uint32_t kSectionFlagZlib = 1u << 0;
constexpr uint32_t kKnownSectionFlags = kSectionFlagZlib;

// "META", "VOCAB", ... or "kind N" for an unknown kind.
const char* section_kind_name(uint32_t kind);

}  // namespace fenlei::format
