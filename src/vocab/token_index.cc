#include "vocab/token_index.h"

namespace fenlei::vocab {
namespace {

// 64x64 -> 128-bit multiply folded to 64 bits: every input bit reaches many output bits in one
// multiplication, which is what makes a short-key hash both fast and well spread.
__extension__ typedef unsigned __int128 Uint128;  // GCC and Clang; __extension__: no -Wpedantic

uint64_t fold_multiply(uint64_t a, uint64_t b) {
  const Uint128 r = static_cast<Uint128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

constexpr uint64_t kMixA = 0x9e3779b97f4a7c15ULL;  // 2^64 / golden ratio
constexpr uint64_t kMixB = 0xc2b2ae3d27d4eb4fULL;  // odd constants with well-mixed bits
constexpr uint64_t kMixC = 0x165667b19e3779f9ULL;

size_t slots_for(size_t n_keys) {
  size_t n = 16;
  while (n < 2 * n_keys) n *= 2;  // at most half full: short probes, even for absent tokens
  return n;
}

}  // namespace

uint64_t TokenIndex::hash(std::string_view bytes) {
  const char* p = bytes.data();
  size_t n = bytes.size();
  uint64_t h = kMixA ^ (static_cast<uint64_t>(n) * kMixB);
  // Whole 8-byte words, then the tail (1-7 bytes) read as two overlapping 4-byte words or, under
  // 4 bytes, as its first, middle and last byte: no byte loop. Most tokens (1-4 CJK characters,
  // 3-12 bytes) take one or two multiplications.
  while (n > 8) {
    h = fold_multiply(h ^ load64(p), kMixC);
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  if (n >= 4) {
    tail = (static_cast<uint64_t>(load32(p)) << 32) | load32(p + n - 4);
  } else if (n > 0) {
    tail = (static_cast<uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
           (static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
           static_cast<unsigned char>(p[n - 1]);
  }
  return fold_multiply(h ^ tail, kMixC ^ n);
}

void TokenIndex::reserve(size_t n) {
  if (slots_for(n) > slots_.size()) rehash(slots_for(n));
}

void TokenIndex::clear() {
  slots_.clear();
  mask_ = 0;
  size_ = 0;
  arena_.clear();
}

size_t TokenIndex::probe(uint64_t h, std::string_view token) const {
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  for (size_t i = static_cast<size_t>(h) & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.id == kAbsent) return i;
    if (s.tag == tag && s.length == token.size() &&
        same_bytes(arena_.data() + s.offset, token.data(), token.size()))
      return i;
  }
}

int32_t TokenIndex::insert(std::string_view token, int32_t id) {
  if (2 * (size_ + 1) > slots_.size()) rehash(slots_for(size_ + 1));
  const uint64_t h = hash(token);
  Slot& s = slots_[probe(h, token)];
  if (s.id != kAbsent) return s.id;
  s.tag = static_cast<uint32_t>(h >> 32);
  s.id = id;
  s.offset = static_cast<uint32_t>(arena_.size());
  s.length = static_cast<uint32_t>(token.size());
  arena_.append(token);
  ++size_;
  return id;
}

void TokenIndex::rehash(size_t n_slots) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(n_slots, Slot{});
  mask_ = n_slots - 1;
  for (const Slot& s : old) {
    if (s.id == kAbsent) continue;
    const std::string_view key(arena_.data() + s.offset, s.length);
    slots_[probe(hash(key), key)] = s;  // keys are distinct: probe ends on an empty slot
  }
}

}  // namespace fenlei::vocab
