// The prepared dictionary and HMM tables in one flat, relocatable byte blob: exactly the bytes of
// the binary cache file, so the cold path (build from text) and the warm path (read the cache)
// run the same attach() and cut the same way.
//
// Blob layout, little-endian, every section 8-byte aligned (format version kModelFormatVersion):
//   0  char[8] magic "FLSEGDC\0"       8  u32 format_version   12 u32 header_size (64)
//   16 u64 file_size                    24 u32 n_nodes          28 u32 n_logp
//   32 u32 key_size                     36 u32 flags (bit0: some word is force-split)
//   40 i64 total                        48 u32 payload_crc (crc32 of bytes [64, file_size))
//   52 u32 header_crc (crc32 of [0,52)) 56 u64 reserved (0)
//   64 payload:
//     char     key[key_size]               (what the cache was built from; see dict_cache.h)
//     f64      logp[n_logp]                (log(max(freq,1)) - log(total), per distinct freq)
//     f64      hmm_start[4], hmm_trans[16], hmm_emit[4 * kCjkSpan]
//     u32      root[kRootSpan]             (child of the root for code point c, 0 = none)
//     u32      label[n_nodes]              (code point on the edge into the node; root: 0)
//     u32      child_begin[n_nodes + 1]    (children of n are nodes [child_begin[n], child_begin[n+1]),
//                                           sorted by label: nodes are numbered breadth-first)
//     u32      info[n_nodes]               (bit31 word (freq > 0), bit30 force-split, low 30: logp index)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fenlei/status.h"
#include "seg/char_class.h"
#include "seg/freq_dict.h"
#include "seg/hmm_tables.h"

namespace fenlei::seg::detail {

constexpr uint32_t kModelFormatVersion = 1;
constexpr size_t kModelHeaderSize = 64;
constexpr uint32_t kInfoWord = 1u << 31;
constexpr uint32_t kInfoForceSplit = 1u << 30;
constexpr uint32_t kInfoLogpMask = (1u << 30) - 1;

// Owns the blob; the pointers below point into it. Immutable once attached.
struct Model {
  std::vector<uint64_t> storage;  // 8-byte aligned bytes of the blob
  size_t size = 0;                // blob size in bytes

  std::string key;
  int64_t total = 0;
  double logp_unknown = 0;  // log(1) - log(total): an end that is not a word
  bool has_force_split = false;
  uint32_t n_nodes = 0;
  const double* logp = nullptr;
  const double* hmm_start = nullptr;
  const double* hmm_trans = nullptr;  // [from * 4 + to]
  const double* hmm_emit = nullptr;   // [state * kCjkSpan + (c - kCjkFirst)]
  const uint32_t* root = nullptr;
  const uint32_t* label = nullptr;
  const uint32_t* child_begin = nullptr;
  const uint32_t* info = nullptr;

  const char* bytes() const { return reinterpret_cast<const char*>(storage.data()); }

  // The child of `node` along code point c, or 0 if none.
  uint32_t child(uint32_t node, char32_t c) const {
    if (node == 0 && c < kRootSpan) return root[c];
    uint32_t lo = child_begin[node], hi = child_begin[node + 1];
    while (hi - lo > 8) {
      const uint32_t mid = lo + (hi - lo) / 2;
      if (label[mid] < c) {
        lo = mid + 1;
      } else if (label[mid] > c) {
        hi = mid;
      } else {
        return mid;
      }
    }
    for (; lo < hi; ++lo) {
      if (label[lo] == c) return lo;
      if (label[lo] > c) break;
    }
    return 0;
  }
  bool node_is_word(uint32_t node) const { return node != 0 && (info[node] & kInfoWord) != 0; }

  // The trie node of a code point sequence, or 0.
  template <typename It>
  uint32_t find(It begin, It end) const {
    uint32_t node = 0;
    for (It it = begin; it != end; ++it) {
      node = child(node, *it);
      if (node == 0) return 0;
    }
    return node;
  }
};

// Serialises a built dictionary and HMM tables into a blob (the cache file's bytes).
std::string build_model_blob(const FreqDict& dict, const HmmTables& hmm, const std::string& key);

// Takes ownership of blob bytes, checks magic, version, sizes, checksums and structural
// invariants, and sets the pointers. DATA_LOSS on any inconsistency, UNIMPLEMENTED for a newer
// format version.
StatusOr<std::shared_ptr<const Model>> attach_model(std::vector<uint64_t> storage, size_t size);
StatusOr<std::shared_ptr<const Model>> attach_model(std::string_view blob);

// The identity of what the model segments with: a CRC-32 of everything in the blob after the
// cache key (the key names paths and mtimes; the rest is content), with the node count and the
// total frequency: "jieba-<nodes>-<total>-<crc hex>".
std::string content_id(const Model& model);

}  // namespace fenlei::seg::detail
