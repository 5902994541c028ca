// `fenlei train --mpi` through mpirun: two processes of one thread each split every batch and
// add their gradients exactly like one process with two threads, so the model files are
// identical byte for byte (the default preset, and bilstm, gru, rcnn and dpcnn); only rank 0
// writes files; a failing run ends instead of hanging.
// Without MPI in the build, --mpi fails with a message that says how to get it.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace fenlei::testing {
namespace {

// mpirun as it must run in CI containers: as root, two ranks on however many cores, no
// cross-memory-attach (often blocked in containers), and no LeakSanitizer for the MPI runtime's
// own one-off allocations when the suite runs under ASan.
std::string mpirun(int ranks, const std::string& fenlei_args) {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
         "OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1 "
         "ASAN_OPTIONS=detect_leaks=0 timeout 300 '" +
         std::string(FENLEI_MPIEXEC) + "' -np " + std::to_string(ranks) + " '" +
         fenlei_binary() + "' " + fenlei_args;
}

std::string train_args(const TempDir& dir, const std::string& output) {
  return "train -i '" + example_path("reviews_train.tsv") + "' -o '" + dir.file(output) +
         "' --epochs 2 --seed 3 --checkpoint none -q --log '" + dir.file(output + ".log") + "'";
}

TEST(MpiTrain, TwoProcessesEqualTwoThreadsByteForByte) {
  if (!FENLEI_TEST_HAVE_MPI) {
    const auto r = run_fenlei("train --mpi -i '" + example_path("reviews_train.tsv") + "' -o x");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("built without MPI"), std::string::npos) << r.err;
    GTEST_SKIP() << "built without MPI (libopenmpi-dev): only the error message was checked";
  }
  TempDir dir;
  const auto threads = run_fenlei(train_args(dir, "threads.fenlei") + " --threads 2");
  ASSERT_EQ(threads.exit_code, 0) << threads.err;
  const auto mpi = run_command(mpirun(2, train_args(dir, "mpi.fenlei") + " --threads 1 --mpi"));
  ASSERT_EQ(mpi.exit_code, 0) << mpi.out << mpi.err;
  const std::string a = read_text_file(dir.file("threads.fenlei"));
  const std::string b = read_text_file(dir.file("mpi.fenlei"));
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == b) << "the 2-process model differs from the 2-thread model";
  // One log, written by rank 0: one line per epoch, not two.
  const std::string log = read_text_file(dir.file("mpi.fenlei.log"));
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;
}

// The issue-15 networks the trainer runs (the transformer preset goes through fine-tuning's
// loop: transformer_preset_cli_test.cc) split across processes the same way: a dpcnn's Winograd
// convs and a recurrent network's packed steps run per process on its share of each batch,
// and the sum of the two shares' gradients gives the 2-thread model byte for byte.
class MpiTrainPreset : public ::testing::TestWithParam<const char*> {};

TEST_P(MpiTrainPreset, TwoProcessesEqualTwoThreadsByteForByte) {
  if (!FENLEI_TEST_HAVE_MPI) GTEST_SKIP() << "built without MPI";
  TempDir dir;
  const std::string preset = GetParam();
  // Small embeddings and convs (the defaults are sized for real data) keep this quick.
  const std::string args = " --model " + preset + " --embed-dim 16 --filters 24";
  const auto threads = run_fenlei(train_args(dir, "threads.fenlei") + args + " --threads 2");
  ASSERT_EQ(threads.exit_code, 0) << threads.err;
  const auto mpi =
      run_command(mpirun(2, train_args(dir, "mpi.fenlei") + args + " --threads 1 --mpi"));
  ASSERT_EQ(mpi.exit_code, 0) << mpi.out << mpi.err;
  const std::string a = read_text_file(dir.file("threads.fenlei"));
  const std::string b = read_text_file(dir.file("mpi.fenlei"));
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == b) << preset << ": the 2-process model differs from the 2-thread model";
}

INSTANTIATE_TEST_SUITE_P(Presets, MpiTrainPreset,
                         ::testing::Values("bilstm", "gru", "rcnn", "dpcnn"));

TEST(MpiTrain, AFailingRunEndsEveryProcess) {
  if (!FENLEI_TEST_HAVE_MPI) GTEST_SKIP() << "built without MPI";
  TempDir dir;
  const auto r = run_command(mpirun(2, "train --mpi -i '" + dir.file("missing.tsv") + "' -o '" +
                                           dir.file("m.fenlei") + "' -q"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 124) << "timed out: a rank waited forever";
  EXPECT_NE(r.err.find("missing.tsv"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.fenlei")));
}

// Transformer fine-tuning (fenlei train --init ... --mpi) splits and adds its batches the same
// way: two processes of one thread each give the two-thread model byte for byte, and rank 0
// alone writes the model and the checkpoint.
TEST(MpiTrain, TransformerFineTuningTwoProcessesEqualTwoThreads) {
  if (!FENLEI_TEST_HAVE_MPI) GTEST_SKIP() << "built without MPI";
  TempDir dir;
  const std::string base = dir.file("base.fenlei");
  ASSERT_EQ(run_fenlei("import '" + test_data_dir() + "/hf/bert' -o '" + base + "'").exit_code, 0);
  std::string data = "label\ttext\n";
  for (int i = 0; i < 24; ++i)
    data += std::string(i % 2 ? "yes\tit was good and nice " : "no\tit was bad and poor ") +
            std::to_string(i) + "\n";
  write_text_file(dir.file("train.tsv"), data);
  const auto args = [&](const std::string& output) {
    return "train --init '" + base + "' -i '" + dir.file("train.tsv") + "' -o '" +
           dir.file(output) + "' --epochs 2 --batch-size 8 --lr 2e-3 --seed 3 --validation-split 0 -q";
  };
  const auto threads = run_fenlei(args("threads.fenlei") + " --threads 2 --checkpoint none");
  ASSERT_EQ(threads.exit_code, 0) << threads.err;
  const auto mpi = run_command(mpirun(2, args("mpi.fenlei") + " --threads 1 --mpi --keep-checkpoint"));
  ASSERT_EQ(mpi.exit_code, 0) << mpi.out << mpi.err;
  const std::string a = read_text_file(dir.file("threads.fenlei"));
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == read_text_file(dir.file("mpi.fenlei")))
      << "the 2-process model differs from the 2-thread model";
  EXPECT_TRUE(std::filesystem::exists(dir.file("mpi.fenlei.ckpt")));
}

}  // namespace
}  // namespace fenlei::testing
