// TokenIndex: token bytes -> id, the lookup on every token of every text at inference.
//
// An open-addressing (linear probing) table over 16-byte slots, with the key bytes of all tokens
// stored back to back in one arena that the table owns. A lookup hashes the bytes once, then
// touches one slot (usually) and the key's bytes: two cache lines, against a node-based
// std::unordered_map's bucket array, node and separately allocated string. The slot keeps 32 bits
// of the hash, so a probe past a different key rarely reads that key's bytes.
// Owning its keys, the index can be copied and moved freely (no views into other storage).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace fenlei::vocab {

class TokenIndex {
 public:
  static constexpr int32_t kAbsent = -1;

  // Room for `n` keys without rehashing.
  void reserve(size_t n);
  void clear();

  // Adds token -> id unless the token is present already. Returns the id the token has after
  // the call: `id` when inserted, else the existing one (so callers can detect duplicates).
  // id must be >= 0; tokens up to 4 GiB in all.
  int32_t insert(std::string_view token, int32_t id);

  // The token's id, or kAbsent. No allocation.
  int32_t find(std::string_view token) const {
    if (slots_.empty()) return kAbsent;
    const uint64_t h = hash(token);
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = static_cast<size_t>(h) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kAbsent) return kAbsent;
      if (s.tag == tag && s.length == token.size() &&
          same_bytes(arena_.data() + s.offset, token.data(), token.size()))
        return s.id;
    }
  }

  size_t size() const { return size_; }

  // The 64-bit hash of the bytes (exposed for tests: its spread, not its values, matters).
  static uint64_t hash(std::string_view bytes);

  // a[0, n) == b[0, n). Inline word compares for keys up to 16 bytes (almost every token): with
  // the tag and length already equal they nearly always match, and the memcmp call this replaces
  // had 2.6 % of Classifier::predict's samples (issue 17 profile).
  static bool same_bytes(const char* a, const char* b, size_t n) {
    if (n >= 8 && n <= 16) {
      return load64(a) == load64(b) && load64(a + n - 8) == load64(b + n - 8);
    }
    if (n >= 4 && n < 8) {
      return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
    }
    if (n < 4) {
      for (size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return false;
      return true;
    }
    return std::memcmp(a, b, n) == 0;
  }
  static uint64_t load64(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static uint32_t load32(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }

 private:
  struct Slot {
    uint32_t tag = 0;  // upper 32 bits of the key's hash
    int32_t id = kAbsent;
    uint32_t offset = 0;  // key bytes: arena_[offset, offset + length)
    uint32_t length = 0;
  };

  void rehash(size_t n_slots);
  // The slot for a key with hash h and these bytes: its own, or the empty one ending its probe.
  size_t probe(uint64_t h, std::string_view token) const;

  std::vector<Slot> slots_;  // size a power of two, at most half full
  size_t mask_ = 0;
  size_t size_ = 0;
  std::string arena_;
};

}  // namespace fenlei::vocab
