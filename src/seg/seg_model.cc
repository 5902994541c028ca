#include "seg/seg_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "base/crc32.h"

namespace fenlei::seg::detail {
namespace {

constexpr char kMagic[8] = {'F', 'L', 'S', 'E', 'G', 'D', 'C', '\0'};

size_t align8(size_t n) { return (n + 7) & ~size_t{7}; }

// The blob is written and read as host bytes; fenlei only targets little-endian machines.
static_assert(sizeof(double) == 8, "IEEE-754 doubles expected");

void put_u32(std::string& b, size_t at, uint32_t v) { std::memcpy(&b[at], &v, 4); }
void put_u64(std::string& b, size_t at, uint64_t v) { std::memcpy(&b[at], &v, 8); }
uint32_t get_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t get_u64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

template <typename T>
void append_array(std::string& b, const T* data, size_t count) {
  b.append(reinterpret_cast<const char*>(data), count * sizeof(T));
  b.resize(align8(b.size()), '\0');
}

// Section sizes in payload order, shared by the writer and the reader.
struct Layout {
  size_t key, logp, hmm, root, label, child_begin, info, end;
};
Layout layout(size_t key_size, size_t n_nodes, size_t n_logp) {
  Layout l;
  l.key = kModelHeaderSize;
  l.logp = l.key + align8(key_size);
  l.hmm = l.logp + 8 * n_logp;
  l.root = l.hmm + 8 * (4 + 16 + size_t{kNumStates} * kCjkSpan);
  l.label = l.root + align8(4 * size_t{kRootSpan});
  l.child_begin = l.label + align8(4 * n_nodes);
  l.info = l.child_begin + align8(4 * (n_nodes + 1));
  l.end = l.info + align8(4 * n_nodes);
  return l;
}

}  // namespace

std::string build_model_blob(const FreqDict& dict, const HmmTables& hmm, const std::string& key) {
  // Breadth-first numbering: by length, then by code points. Since the key set is prefix-closed,
  // the children of each node are then contiguous and sorted, and the children of node n+1
  // directly follow those of node n.
  std::vector<const std::u32string*> keys;
  keys.reserve(dict.freq.size());
  for (const auto& kv : dict.freq) {
    if (!kv.first.empty()) keys.push_back(&kv.first);
  }
  std::sort(keys.begin(), keys.end(), [](const std::u32string* a, const std::u32string* b) {
    if (a->size() != b->size()) return a->size() < b->size();
    return *a < *b;
  });
  const size_t n_nodes = keys.size() + 1;

  std::map<int64_t, uint32_t> logp_index;
  for (const auto& kv : dict.freq) logp_index.emplace(std::max<int64_t>(kv.second, 1), 0);
  logp_index.emplace(1, 0);
  std::vector<double> logp;
  const double log_total = std::log(static_cast<double>(dict.total));
  for (auto& kv : logp_index) {
    kv.second = static_cast<uint32_t>(logp.size());
    // jieba: log(FREQ.get(w) or 1) - logtotal, evaluated in this order.
    logp.push_back(std::log(static_cast<double>(kv.first)) - log_total);
  }

  std::vector<uint32_t> label(n_nodes, 0), info(n_nodes, 0), child_count(n_nodes, 0);
  std::vector<uint32_t> root(kRootSpan, 0);
  info[0] = logp_index.at(1);
  // level_start[L]: index in `keys` of the first key of length L (keys are sorted by length).
  const size_t max_len = keys.empty() ? 0 : keys.back()->size();
  std::vector<size_t> level_start(max_len + 2, keys.size());
  for (size_t i = keys.size(); i-- > 0;) level_start[keys[i]->size()] = i;
  for (size_t len = max_len; len-- > 1;) level_start[len] = std::min(level_start[len], level_start[len + 1]);
  // Parents of level L are the level L-1 keys in the same sorted order: one forward scan.
  size_t parent_index = 0;  // index into keys of the current parent candidate
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::u32string& k = *keys[i];
    const uint32_t id = static_cast<uint32_t>(i + 1);
    uint32_t parent = 0;
    if (k.size() > 1) {
      if (i == level_start[k.size()]) parent_index = level_start[k.size() - 1];
      const std::u32string_view prefix(k.data(), k.size() - 1);
      while (std::u32string_view(*keys[parent_index]) != prefix) ++parent_index;
      parent = static_cast<uint32_t>(parent_index + 1);
    }
    child_count[parent] += 1;
    label[id] = k.back();
    const int64_t f = dict.freq.at(k);
    info[id] = logp_index.at(std::max<int64_t>(f, 1));
    if (f > 0) info[id] |= kInfoWord;
    if (dict.force_split.count(k)) info[id] |= kInfoForceSplit;
    if (k.size() == 1 && k[0] < kRootSpan) root[k[0]] = id;
  }
  std::vector<uint32_t> child_begin(n_nodes + 1, 0);
  child_begin[0] = 1;
  for (size_t n = 0; n < n_nodes; ++n) child_begin[n + 1] = child_begin[n] + child_count[n];
  // Leaves at the end: their (empty) ranges end at n_nodes.

  std::string b(kModelHeaderSize, '\0');
  b.append(key);
  b.resize(align8(b.size()), '\0');
  append_array(b, logp.data(), logp.size());
  append_array(b, hmm.start, 4);
  append_array(b, &hmm.trans[0][0], 16);
  append_array(b, hmm.emit.data(), hmm.emit.size());
  append_array(b, root.data(), root.size());
  append_array(b, label.data(), label.size());
  append_array(b, child_begin.data(), child_begin.size());
  append_array(b, info.data(), info.size());

  std::memcpy(&b[0], kMagic, 8);
  put_u32(b, 8, kModelFormatVersion);
  put_u32(b, 12, static_cast<uint32_t>(kModelHeaderSize));
  put_u64(b, 16, b.size());
  put_u32(b, 24, static_cast<uint32_t>(n_nodes));
  put_u32(b, 28, static_cast<uint32_t>(logp.size()));
  put_u32(b, 32, static_cast<uint32_t>(key.size()));
  put_u32(b, 36, dict.force_split.empty() ? 0u : 1u);
  put_u64(b, 40, static_cast<uint64_t>(dict.total));
  put_u32(b, 48, crc32(b.data() + kModelHeaderSize, b.size() - kModelHeaderSize));
  put_u32(b, 52, crc32(b.data(), 52));
  return b;
}

std::string content_id(const Model& m) {
  const size_t begin = kModelHeaderSize + align8(m.key.size());
  const uint32_t crc = begin < m.size ? crc32(m.bytes() + begin, m.size - begin) : 0;
  char hex[16];
  std::snprintf(hex, sizeof(hex), "%08x", crc);
  return "jieba-" + std::to_string(m.n_nodes) + "-" + std::to_string(m.total) + "-" + hex;
}

StatusOr<std::shared_ptr<const Model>> attach_model(std::string_view blob) {
  std::vector<uint64_t> storage((blob.size() + 7) / 8);
  if (!blob.empty()) std::memcpy(storage.data(), blob.data(), blob.size());
  return attach_model(std::move(storage), blob.size());
}

StatusOr<std::shared_ptr<const Model>> attach_model(std::vector<uint64_t> storage, size_t size) {
  auto m = std::make_shared<Model>();
  m->storage = std::move(storage);
  m->size = size;
  const char* p = m->bytes();
  if (size < kModelHeaderSize || std::memcmp(p, kMagic, 8) != 0) {
    return data_loss_error("not a fenlei segmenter dictionary (bad magic or too short)");
  }
  if (get_u32(p + 52) != crc32(p, 52)) return data_loss_error("dictionary header checksum mismatch");
  const uint32_t version = get_u32(p + 8);
  if (version > kModelFormatVersion) {
    return unimplemented_error("dictionary format v" + std::to_string(version) +
                               " is newer than supported v" +
                               std::to_string(kModelFormatVersion) + "; rebuild it");
  }
  if (version != kModelFormatVersion || get_u32(p + 12) != kModelHeaderSize) {
    return data_loss_error("unsupported dictionary format v" + std::to_string(version));
  }
  if (get_u64(p + 16) != size) return data_loss_error("dictionary size mismatch (truncated?)");
  const uint32_t n_nodes = get_u32(p + 24), n_logp = get_u32(p + 28), key_size = get_u32(p + 32);
  if (n_nodes == 0 || n_logp == 0 || n_logp > kInfoLogpMask) {
    return data_loss_error("dictionary has invalid counts");
  }
  const Layout l = layout(key_size, n_nodes, n_logp);
  if (l.end != size) return data_loss_error("dictionary section sizes do not add up");
  if (get_u32(p + 48) != crc32(p + kModelHeaderSize, size - kModelHeaderSize)) {
    return data_loss_error("dictionary payload checksum mismatch");
  }
  m->key.assign(p + l.key, key_size);
  m->total = static_cast<int64_t>(get_u64(p + 40));
  if (m->total <= 0) return data_loss_error("dictionary total frequency is not positive");
  m->has_force_split = (get_u32(p + 36) & 1u) != 0;
  m->n_nodes = n_nodes;
  m->logp = reinterpret_cast<const double*>(p + l.logp);
  m->hmm_start = reinterpret_cast<const double*>(p + l.hmm);
  m->hmm_trans = m->hmm_start + 4;
  m->hmm_emit = m->hmm_start + 20;
  m->root = reinterpret_cast<const uint32_t*>(p + l.root);
  m->label = reinterpret_cast<const uint32_t*>(p + l.label);
  m->child_begin = reinterpret_cast<const uint32_t*>(p + l.child_begin);
  m->info = reinterpret_cast<const uint32_t*>(p + l.info);
  m->logp_unknown = std::log(1.0) - std::log(static_cast<double>(m->total));
  // Structural checks so that even a crafted file with a valid CRC cannot make cut() read out
  // of bounds: child ranges are monotone and in range, references point at existing entries.
  if (m->child_begin[0] != 1 && n_nodes > 1) return data_loss_error("dictionary trie is malformed");
  for (uint32_t n = 0; n < n_nodes; ++n) {
    if (m->child_begin[n] > m->child_begin[n + 1] || m->child_begin[n] < std::min<uint32_t>(n + 1, n_nodes) ||
        (m->info[n] & kInfoLogpMask) >= n_logp) {
      return data_loss_error("dictionary trie is malformed");
    }
  }
  if (m->child_begin[n_nodes] != n_nodes) return data_loss_error("dictionary trie is malformed");
  for (uint32_t c = 0; c < kRootSpan; ++c) {
    if (m->root[c] >= n_nodes) return data_loss_error("dictionary root table is malformed");
  }
  return std::shared_ptr<const Model>(std::move(m));
}

}  // namespace fenlei::seg::detail
