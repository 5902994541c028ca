// zlib compression for model-file sections, with an inflater that never produces (or allocates)
// more than the size the section table declares, so a crafted "zlib bomb" cannot exhaust memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fenlei/status.h"

namespace fenlei::format {

// zlib's worst-case expansion is about 1032:1 (deflate's longest match of 258 bytes per ~2 bits);
// a declared raw size beyond this ratio cannot be honest and is rejected before inflating.
constexpr uint64_t kMaxInflateRatio = 1032;

// zlib stream (RFC 1950) of `raw` at `level` (1..9). Deterministic for a given zlib build.
std::string zlib_compress(std::string_view raw, int level);

// Inflates `stored` into exactly `raw_size` bytes. DATA_LOSS ("<context>: ...") when the stream
// is malformed, ends early, would exceed raw_size, or has bytes after its end. Memory grows with
// the bytes actually produced, never with the declared size alone.
StatusOr<std::string> zlib_inflate(std::string_view stored, uint64_t raw_size,
                                   const std::string& context);

}  // namespace fenlei::format
