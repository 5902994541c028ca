// A test suite whose tests share one float seed-cnn, trained once per suite through the real
// binary on examples/reviews_train.tsv (3 epochs, 1 thread, no checkpoints), in a temporary
// folder that lives as long as the suite:
//   class PruneCli : public testing::TrainedSampleModel<PruneCli> {};
//   TEST_F(PruneCli, X) { run_fenlei("prune '" + model_ + "' ..."); dir_->file("out.fenlei"); }
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace fenlei::testing {

template <typename Suite>
class TrainedSampleModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    model_ = dir_->file("float.fenlei");
    const auto r = run_fenlei("train -i '" + example_path("reviews_train.tsv") + "' -o '" + model_ +
                              "' --epochs 3 --threads 1 --checkpoint none -q");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static inline TempDir* dir_ = nullptr;
  static inline std::string model_;
};

}  // namespace fenlei::testing
