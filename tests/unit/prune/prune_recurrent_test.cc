// Pruning a recurrent preset (issue 15): only the hidden dense units are pruned; the recurrent
// layers are carried over unchanged, and zero-contribution units leave the output as it was.
#include <gtest/gtest.h>

#include <vector>

#include "nn/network.h"
#include "train/prune_network.h"

namespace fenlei::train {
namespace {

TEST(PruneRecurrent, PrunesHiddenUnitsAndKeepsTheRecurrentLayers) {
  for (const char* preset : {"bilstm", "gru", "rcnn"}) {
    nn::ModelConfig c = nn::ModelConfig::preset(preset).value();
    c.embed_dim = 4;
    c.rnn_hidden = 3;
    if (c.arch == nn::Arch::kRcnn) c.rcnn_dim = 5;
    c.hidden = {4};
    c.dropout = 0.0f;
    c.vocab_size = 12;
    c.num_classes = 3;
    nn::Network net = nn::Network::create(c, 9).value();
    const auto& di = net.dense_layers()[0];
    for (int unit : {0, 2}) {  // two units that contribute nothing
      nn::Tensor& w = net.params()[di.weight];
      for (int64_t j = 0; j < w.cols(); ++j) w.data[size_t(unit * w.cols() + j)] = 0.0f;
    }
    for (float& b : net.params()[di.bias].data) b = 0.1f;
    net.params()[di.bias].data[0] = net.params()[di.bias].data[2] = 0.0f;
    auto sel = select_by_magnitude(net, 0.5);
    ASSERT_TRUE(sel.ok()) << sel.status().message();
    auto pruned = apply_pruning(net, *sel);
    ASSERT_TRUE(pruned.ok()) << preset << ": " << pruned.status().message();
    EXPECT_EQ(pruned->config().hidden, (std::vector<int>{2}));
    const int w_hh = net.recurrent().w_hh[0];
    EXPECT_EQ(pruned->params()[pruned->recurrent().w_hh[0]].data, net.params()[w_hh].data);
    nn::Batch b;
    b.add({2, 3, 4, 5, 6});
    b.add({});
    b.add({7, 1, 9});
    nn::Workspace ws;
    std::vector<float> before(9), after(9);
    nn::predict_proba(net, b, ws, before.data());
    nn::predict_proba(*pruned, b, ws, after.data());
    for (size_t i = 0; i < before.size(); ++i) EXPECT_NEAR(before[i], after[i], 1e-6f) << preset;
  }
}

}  // namespace
}  // namespace fenlei::train
