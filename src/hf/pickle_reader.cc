#include "hf/pickle_reader.h"

#include <cstring>

namespace fenlei::hf {
namespace {

// Values live in one arena and refer to each other by index, so hostile input can build neither
// reference cycles (leaks) nor deep ownership chains (recursive destruction).
enum class Kind { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kGlobal, kStorage,
                  kTensor };

struct Value {
  Kind kind = Kind::kNone;
  int64_t i = 0;
  std::string s;              // string, global name ("module.name"), storage key
  std::string dtype;          // storage
  std::vector<size_t> items;  // tuple/list items; dict keys and values interleaved
  TensorRecord tensor;
};

constexpr size_t kMaxValues = 1u << 24;
constexpr size_t kMaxMemo = 1u << 22;

struct StorageType {
  const char* global;
  const char* dtype;
};
constexpr StorageType kStorages[] = {
    {"torch.FloatStorage", "F32"}, {"torch.HalfStorage", "F16"},
    {"torch.BFloat16Storage", "BF16"}, {"torch.LongStorage", "I64"}};

constexpr const char* kAllowedGlobals[] = {
    "collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_parameter", "torch.FloatStorage", "torch.HalfStorage",
    "torch.BFloat16Storage", "torch.LongStorage"};

class Reader {
 public:
  Reader(std::string_view b, const std::string& where) : b_(b), where_(where) {}

  StatusOr<std::map<std::string, TensorRecord>> run();

 private:
  Status err(const std::string& what) const {
    return invalid_argument_error(where_ + ": byte " + std::to_string(op_pos_) + ": " + what);
  }
  bool need(size_t n) const { return pos_ + n <= b_.size(); }
  uint64_t read_le(int n) {
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<uint8_t>(b_[pos_ + k]);
    pos_ += n;
    return v;
  }
  StatusOr<size_t> make(Value v) {
    if (values_.size() >= kMaxValues) return err("too many values");
    values_.push_back(std::move(v));
    return values_.size() - 1;
  }
  Status push_new(Value v) {
    FENLEI_ASSIGN_OR_RETURN(size_t id, make(std::move(v)));
    stack_.push_back(id);
    return Status();
  }
  StatusOr<size_t> pop() {
    if (stack_.size() <= mark_floor()) return err("stack underflow");
    size_t v = stack_.back();
    stack_.pop_back();
    return v;
  }
  size_t mark_floor() const { return marks_.empty() ? 0 : marks_.back(); }
  StatusOr<std::vector<size_t>> pop_to_mark() {
    if (marks_.empty()) return err("no MARK");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<size_t> items(stack_.begin() + m, stack_.end());
    stack_.resize(m);
    return items;
  }
  StatusOr<std::string> read_line() {
    const size_t nl = b_.find('\n', pos_);
    if (nl == std::string_view::npos || nl - pos_ > 256) return err("unterminated GLOBAL");
    std::string s(b_.substr(pos_, nl - pos_));
    pos_ = nl + 1;
    return s;
  }
  Status push_global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    for (const char* g : kAllowedGlobals) {
      if (full == g) {
        Value v;
        v.kind = Kind::kGlobal;
        v.s = full;
        return push_new(std::move(v));
      }
    }
    return err("pickle asks for global '" + full +
               "'; only tensors of a state dict are accepted, nothing is executed");
  }
  Status memo_put(uint64_t key) {
    if (stack_.empty()) return err("memo of an empty stack");
    if (memo_.size() >= kMaxMemo && !memo_.count(key)) return err("memo too large");
    memo_[key] = stack_.back();
    return Status();
  }
  Status memo_get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) return err("memo key " + std::to_string(key) + " never stored");
    stack_.push_back(it->second);
    return Status();
  }
  Status set_items(size_t dict, const std::vector<size_t>& kv) {
    if (values_[dict].kind != Kind::kDict) return err("SETITEM(S) on a non-dict");
    if (kv.size() % 2) return err("SETITEMS with an odd number of items");
    for (size_t x : kv) values_[dict].items.push_back(x);
    return Status();
  }
  Status append(size_t list, const std::vector<size_t>& xs) {
    if (values_[list].kind != Kind::kList) return err("APPEND(S) on a non-list");
    for (size_t x : xs) values_[list].items.push_back(x);
    return Status();
  }
  StatusOr<std::vector<int64_t>> int_tuple(size_t id, const char* what) {
    const Value& v = values_[id];
    if (v.kind != Kind::kTuple || v.items.size() > 8) return err(std::string(what) + " is not a tuple of at most 8 ints");
    std::vector<int64_t> out;
    for (size_t x : v.items) {
      if (values_[x].kind != Kind::kInt) return err(std::string(what) + " holds a non-int");
      out.push_back(values_[x].i);
    }
    return out;
  }
  Status persistent_load();
  Status reduce();

  std::string_view b_;
  std::string where_;
  size_t pos_ = 0, op_pos_ = 0;
  std::vector<Value> values_;
  std::vector<size_t> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, size_t> memo_;
};

Status Reader::persistent_load() {
  FENLEI_ASSIGN_OR_RETURN(size_t id, pop());
  const Value& t = values_[id];
  if (t.kind != Kind::kTuple || t.items.size() != 5)
    return err("persistent id is not ('storage', type, key, location, numel)");
  const Value& tag = values_[t.items[0]];
  const Value& type = values_[t.items[1]];
  const Value& key = values_[t.items[2]];
  const Value& numel = values_[t.items[4]];
  if (tag.kind != Kind::kString || tag.s != "storage" || type.kind != Kind::kGlobal ||
      key.kind != Kind::kString || numel.kind != Kind::kInt || numel.i < 0)
    return err("persistent id is not ('storage', type, key, location, numel)");
  Value v;
  v.kind = Kind::kStorage;
  v.s = key.s;
  v.i = numel.i;
  for (const auto& st : kStorages)
    if (type.s == st.global) v.dtype = st.dtype;
  if (v.dtype.empty()) return err("storage type '" + type.s + "' is not a tensor storage");
  return push_new(std::move(v));
}

Status Reader::reduce() {
  FENLEI_ASSIGN_OR_RETURN(size_t args_id, pop());
  FENLEI_ASSIGN_OR_RETURN(size_t fn_id, pop());
  const Value& fn = values_[fn_id];
  const Value args = values_[args_id];
  if (fn.kind != Kind::kGlobal || args.kind != Kind::kTuple)
    return err("REDUCE of something that is not an allowed global");
  if (fn.s == "collections.OrderedDict") {
    if (!args.items.empty()) return err("OrderedDict with arguments");
    Value d;
    d.kind = Kind::kDict;
    return push_new(std::move(d));
  }
  if (fn.s == "torch._utils._rebuild_parameter") {
    if (args.items.empty() || values_[args.items[0]].kind != Kind::kTensor)
      return err("_rebuild_parameter without a tensor");
    stack_.push_back(args.items[0]);
    return Status();
  }
  if (fn.s == "torch._utils._rebuild_tensor_v2") {
    if (args.items.size() < 4) return err("_rebuild_tensor_v2 with too few arguments");
    const Value& storage = values_[args.items[0]];
    const Value& offset = values_[args.items[1]];
    if (storage.kind != Kind::kStorage || offset.kind != Kind::kInt || offset.i < 0)
      return err("_rebuild_tensor_v2 without (storage, offset, ...)");
    Value t;
    t.kind = Kind::kTensor;
    t.tensor.storage_key = storage.s;
    t.tensor.dtype = storage.dtype;
    t.tensor.storage_numel = storage.i;
    t.tensor.offset = offset.i;
    FENLEI_ASSIGN_OR_RETURN(t.tensor.shape, int_tuple(args.items[2], "tensor size"));
    FENLEI_ASSIGN_OR_RETURN(t.tensor.stride, int_tuple(args.items[3], "tensor stride"));
    if (t.tensor.shape.size() != t.tensor.stride.size()) return err("size and stride differ in rank");
    return push_new(std::move(t));
  }
  return err("REDUCE of '" + fn.s + "' is not supported");
}

StatusOr<std::map<std::string, TensorRecord>> Reader::run() {
  while (true) {
    op_pos_ = pos_;
    if (!need(1)) return err("pickle ends without STOP");
    const uint8_t op = static_cast<uint8_t>(b_[pos_++]);
    Value v;
    switch (op) {
      case 0x80:  // PROTO
        if (!need(1)) return err("truncated PROTO");
        pos_ += 1;
        break;
      case 0x95:  // FRAME
        if (!need(8)) return err("truncated FRAME");
        pos_ += 8;
        break;
      case '(': marks_.push_back(stack_.size()); break;
      case ')': v.kind = Kind::kTuple; FENLEI_RETURN_IF_ERROR(push_new(std::move(v))); break;
      case '}': v.kind = Kind::kDict; FENLEI_RETURN_IF_ERROR(push_new(std::move(v))); break;
      case ']': v.kind = Kind::kList; FENLEI_RETURN_IF_ERROR(push_new(std::move(v))); break;
      case 'N': FENLEI_RETURN_IF_ERROR(push_new(std::move(v))); break;
      case 0x88: case 0x89:
        v.kind = Kind::kBool;
        v.i = op == 0x88;
        FENLEI_RETURN_IF_ERROR(push_new(std::move(v)));
        break;
      case 't': {
        FENLEI_ASSIGN_OR_RETURN(v.items, pop_to_mark());
        v.kind = Kind::kTuple;
        FENLEI_RETURN_IF_ERROR(push_new(std::move(v)));
        break;
      }
      case 0x85: case 0x86: case 0x87: {
        const int n = op - 0x84;
        v.items.resize(n);
        for (int k = n - 1; k >= 0; --k) {
          FENLEI_ASSIGN_OR_RETURN(v.items[k], pop());
        }
        v.kind = Kind::kTuple;
        FENLEI_RETURN_IF_ERROR(push_new(std::move(v)));
        break;
      }
      case 'J': case 'K': case 'M': {
        const int n = op == 'J' ? 4 : op == 'K' ? 1 : 2;
        if (!need(n)) return err("truncated int");
        const uint64_t raw = read_le(n);
        v.kind = Kind::kInt;
        v.i = op == 'J' ? static_cast<int32_t>(static_cast<uint32_t>(raw)) : static_cast<int64_t>(raw);
        FENLEI_RETURN_IF_ERROR(push_new(std::move(v)));
        break;
      }
      case 0x8a: {  // LONG1
        if (!need(1)) return err("truncated LONG1");
        const int n = static_cast<uint8_t>(b_[pos_++]);
        if (n > 8 || !need(n)) return err("LONG1 wider than 64 bits");
        uint64_t raw = n ? read_le(n) : 0;
        if (n > 0 && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~uint64_t{0} << (8 * n);
        v.kind = Kind::kInt;
        v.i = static_cast<int64_t>(raw);
        FENLEI_RETURN_IF_ERROR(push_new(std::move(v)));
        break;
      }
      case 'G': {
        if (!need(8)) return err("truncated BINFLOAT");
        pos_ += 8;
        v.kind = Kind::kFloat;
        FENLEI_RETURN_IF_ERROR(push_new(std::move(v)));
        break;
      }
      case 'X': case 0x8c: case 'T': case 'U': {
        const int n = (op == 'X' || op == 'T') ? 4 : 1;
        if (!need(n)) return err("truncated string length");
        const uint64_t len = read_le(n);
        if (!need(len)) return err("string runs past the end");
        v.kind = Kind::kString;
        v.s = std::string(b_.substr(pos_, len));
        pos_ += len;
        FENLEI_RETURN_IF_ERROR(push_new(std::move(v)));
        break;
      }
      case 'q': case 'r': {
        const int n = op == 'q' ? 1 : 4;
        if (!need(n)) return err("truncated PUT");
        FENLEI_RETURN_IF_ERROR(memo_put(read_le(n)));
        break;
      }
      case 0x94: FENLEI_RETURN_IF_ERROR(memo_put(memo_.size())); break;
      case 'h': case 'j': {
        const int n = op == 'h' ? 1 : 4;
        if (!need(n)) return err("truncated GET");
        FENLEI_RETURN_IF_ERROR(memo_get(read_le(n)));
        break;
      }
      case 'c': {
        FENLEI_ASSIGN_OR_RETURN(std::string module, read_line());
        FENLEI_ASSIGN_OR_RETURN(std::string name, read_line());
        FENLEI_RETURN_IF_ERROR(push_global(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        FENLEI_ASSIGN_OR_RETURN(size_t name, pop());
        FENLEI_ASSIGN_OR_RETURN(size_t module, pop());
        if (values_[name].kind != Kind::kString || values_[module].kind != Kind::kString)
          return err("STACK_GLOBAL of non-strings");
        FENLEI_RETURN_IF_ERROR(push_global(values_[module].s, values_[name].s));
        break;
      }
      case 'Q': FENLEI_RETURN_IF_ERROR(persistent_load()); break;
      case 'R': FENLEI_RETURN_IF_ERROR(reduce()); break;
      case 'b': {  // BUILD: state of an OrderedDict (its _metadata) or tensor; not needed
        FENLEI_ASSIGN_OR_RETURN(size_t state, pop());
        (void)state;
        if (stack_.size() <= mark_floor()) return err("BUILD without an object");
        const Kind k = values_[stack_.back()].kind;
        if (k != Kind::kDict && k != Kind::kTensor) return err("BUILD on an unsupported object");
        break;
      }
      case 's': {
        FENLEI_ASSIGN_OR_RETURN(size_t value, pop());
        FENLEI_ASSIGN_OR_RETURN(size_t key, pop());
        if (stack_.size() <= mark_floor()) return err("SETITEM without a dict");
        FENLEI_RETURN_IF_ERROR(set_items(stack_.back(), {key, value}));
        break;
      }
      case 'u': {
        FENLEI_ASSIGN_OR_RETURN(std::vector<size_t> kv, pop_to_mark());
        if (stack_.size() <= mark_floor()) return err("SETITEMS without a dict");
        FENLEI_RETURN_IF_ERROR(set_items(stack_.back(), kv));
        break;
      }
      case 'a': {
        FENLEI_ASSIGN_OR_RETURN(size_t x, pop());
        if (stack_.size() <= mark_floor()) return err("APPEND without a list");
        FENLEI_RETURN_IF_ERROR(append(stack_.back(), {x}));
        break;
      }
      case 'e': {
        FENLEI_ASSIGN_OR_RETURN(std::vector<size_t> xs, pop_to_mark());
        if (stack_.size() <= mark_floor()) return err("APPENDS without a list");
        FENLEI_RETURN_IF_ERROR(append(stack_.back(), xs));
        break;
      }
      case '.': {
        if (stack_.size() != 1 || !marks_.empty()) return err("STOP with a malformed stack");
        const Value& top = values_[stack_.back()];
        if (top.kind != Kind::kDict) return err("the pickle is not a state dict");
        std::map<std::string, TensorRecord> out;
        for (size_t k = 0; k + 1 < top.items.size(); k += 2) {
          const Value& key = values_[top.items[k]];
          const Value& val = values_[top.items[k + 1]];
          if (key.kind != Kind::kString) return err("state dict key is not a string");
          if (val.kind != Kind::kTensor) return err("state dict entry '" + key.s + "' is not a tensor");
          out[key.s] = val.tensor;
        }
        return out;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        return err(std::string("unsupported pickle opcode ") + hex);
      }
    }
  }
}

}  // namespace

StatusOr<std::map<std::string, TensorRecord>> parse_state_dict_pickle(std::string_view bytes,
                                                                      const std::string& where) {
  Reader reader(bytes, where);
  return reader.run();
}

}  // namespace fenlei::hf
