#include "hf/torch_bin.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "hf/pickle_reader.h"

namespace fenlei::hf {
namespace {

using namespace std::string_literals;

void put(std::string* s, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A stored-entries zip as torch.save writes it.
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out, dir;
  for (const auto& [name, data] : files) {
    const uint32_t offset = static_cast<uint32_t>(out.size());
    put(&out, 0x04034b50, 4);
    put(&out, 20, 2); put(&out, 0, 2); put(&out, 0, 2); put(&out, 0, 4);
    put(&out, 0, 4); put(&out, data.size(), 4); put(&out, data.size(), 4);
    put(&out, name.size(), 2); put(&out, 0, 2);
    out += name + data;
    put(&dir, 0x02014b50, 4);
    put(&dir, 20, 2); put(&dir, 20, 2); put(&dir, 0, 2); put(&dir, 0, 2); put(&dir, 0, 4);
    put(&dir, 0, 4); put(&dir, data.size(), 4); put(&dir, data.size(), 4);
    put(&dir, name.size(), 2); put(&dir, 0, 2); put(&dir, 0, 2); put(&dir, 0, 2); put(&dir, 0, 2);
    put(&dir, 0, 4); put(&dir, offset, 4);
    dir += name;
  }
  const uint32_t dir_offset = static_cast<uint32_t>(out.size());
  out += dir;
  put(&out, 0x06054b50, 4);
  put(&out, 0, 2); put(&out, 0, 2); put(&out, files.size(), 2); put(&out, files.size(), 2);
  put(&out, dir.size(), 4); put(&out, dir_offset, 4); put(&out, 0, 2);
  return out;
}

std::string unicode(const std::string& s) {
  std::string out = "X";
  put(&out, s.size(), 4);
  return out + s;
}

// OrderedDict({name: _rebuild_tensor_v2(storage, 0, (2, 3), (3, 1), False, OrderedDict())}),
// protocol 2 with memo puts, as torch.save writes it.
std::string state_dict_pickle(const std::string& name, const std::string& global_storage,
                              const std::string& shape_stride) {
  std::string p = "\x80\x02"s;
  p += "ccollections\nOrderedDict\nq\x00)Rq\x01"s;
  p.push_back('(');
  p += unicode(name);
  p += "ctorch._utils\n_rebuild_tensor_v2\nq\x02(";
  p += "(" + unicode("storage") + "ctorch\n" + global_storage + "\nq\x03" + unicode("0") +
       unicode("cpu") + "K\x06tq\x04Q";
  p += "K\x00"s;
  p += shape_stride;
  p += "\x89";
  p += "ccollections\nOrderedDict\n)R";
  p += "tq\x05Rq\x06";
  p += "u}b.";  // SETITEMS, then BUILD with an (empty) _metadata state
  return std::string(p.data(), p.size());
}

const std::string kShape23 = std::string("K\x02K\x03\x86", 5) + std::string("K\x03K\x01\x86", 5);

std::string storage_bytes() {
  const float v[6] = {1, 2, 3, 4, 5, 6};
  return std::string(reinterpret_cast<const char*>(v), sizeof v);
}

TEST(TorchBin, ReadsAStateDict) {
  const std::string pkl = state_dict_pickle("w", "FloatStorage", kShape23);
  const std::string zip =
      make_zip({{"archive/data.pkl", pkl}, {"archive/data/0", storage_bytes()},
                {"archive/version", "3\n"}});
  auto t = parse_pytorch_bin(zip, "pytorch_model.bin");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->at("w").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t->at("w").data, (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(TorchBin, ReadsATransposedView) {
  // shape (3, 2), stride (1, 3): the transpose of the 2x3 storage.
  const std::string st = std::string("K\x03K\x02\x86", 5) + std::string("K\x01K\x03\x86", 5);
  const std::string zip = make_zip({{"m/data.pkl", state_dict_pickle("w", "FloatStorage", st)},
                                    {"m/data/0", storage_bytes()}});
  auto t = parse_pytorch_bin(zip, "pytorch_model.bin");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->at("w").data, (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(TorchBin, RefusesAnythingButTensors) {
  std::string evil = "\x80\x02" "cos\nsystem\nq\x00"s + unicode("echo hi") + "\x85R.";
  auto r = parse_state_dict_pickle(evil, "data.pkl");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("os.system"), std::string::npos) << r.status().message();

  const std::string zip = make_zip({{"a/data.pkl", state_dict_pickle("w", "FloatStorage", kShape23)},
                                    {"a/data/0", storage_bytes().substr(0, 8)}});
  auto short_storage = parse_pytorch_bin(zip, "pytorch_model.bin");
  ASSERT_FALSE(short_storage.ok());
  EXPECT_NE(short_storage.status().message().find("shorter"), std::string::npos);

  const std::string past = std::string("K\x02K\x04\x86", 5) + std::string("K\x03K\x01\x86", 5);
  auto view = parse_pytorch_bin(make_zip({{"a/data.pkl", state_dict_pickle("w", "FloatStorage", past)},
                                          {"a/data/0", storage_bytes()}}),
                                "pytorch_model.bin");
  ASSERT_FALSE(view.ok());

  auto no_zip = parse_pytorch_bin("PK not really a zip at all, no directory", "x.bin");
  ASSERT_FALSE(no_zip.ok());
  EXPECT_NE(no_zip.status().message().find("x.bin"), std::string::npos);

  auto bad_op = parse_state_dict_pickle(std::string("\x80\x02\xff", 3), "data.pkl");
  ASSERT_FALSE(bad_op.ok());
  EXPECT_NE(bad_op.status().message().find("opcode"), std::string::npos);
  EXPECT_FALSE(parse_state_dict_pickle(std::string("\x80\x02", 2), "data.pkl").ok());
  EXPECT_FALSE(parse_state_dict_pickle("0", "data.pkl").ok());
}

}  // namespace
}  // namespace fenlei::hf

namespace fenlei::hf {
namespace {

// A state dict written by torch.save itself (torch 2.x; the fuzz corpus seed, after its one
// selector byte): {"w": arange(6).reshape(2, 3), "h": ones(2, f16), "t": w.t()}.
TEST(TorchBin, ReadsWhatTorchSaveWrites) {
  std::ifstream in(std::string(FENLEI_SOURCE_DIR) + "/tests/fuzz/corpus/torch_pickle/state_dict.bin",
                   std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 1u);
  auto t = parse_pytorch_bin(std::string_view(bytes).substr(1), "state_dict.bin");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->at("w").data, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(t->at("h").data, (std::vector<float>{1, 1}));
  EXPECT_EQ(t->at("t").shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(t->at("t").data, (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

}  // namespace
}  // namespace fenlei::hf
