// The MPI implementation of train::Collective (built when CMake finds MPI; `fenlei train --mpi`).
//
//   mpirun -np 4 fenlei train --mpi --input train.tsv --output m.fenlei --threads 2
//
// Gradients are gathered to rank 0, added there in rank order and broadcast back (not
// MPI_Allreduce, whose order of additions is up to the library): every process then applies
// the same optimizer step to the same weights, and a run is reproducible for a process count.
#pragma once

#include <memory>
#include <string>

#include "fenlei/status.h"
#include "train/collective.h"

namespace fenlei::mpi {

class MpiCollective : public train::Collective {
 public:
  // Initialises MPI (once per process). Errors: kFailedPrecondition when MPI cannot start.
  static StatusOr<std::unique_ptr<MpiCollective>> init();
  ~MpiCollective() override;  // finalises MPI

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Status sum_grads(nn::Grads& grads, nn::Grads& scratch) override;
  Status combine_at_root(std::string* message, const Combine& combine) override;
  Status all_gather(const std::vector<double>& mine, std::vector<double>* all) override;
  [[noreturn]] void abort(int exit_code) override;

 private:
  MpiCollective() = default;
  int rank_ = 0, size_ = 1;
  std::string send_, recv_, combined_;  // reused message buffers
};

}  // namespace fenlei::mpi
