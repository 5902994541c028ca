// Collective: how the processes of one data-parallel training run combine their work (MPI in
// src/mpi/; a run without one is a single process). Every process runs the same trainer on the
// same data; each computes the gradients of its share of every batch, and these calls make
// every process hold the same sums, so all of them apply the same optimizer step.
//
// Sums are added in rank order, so a run is reproducible for a given process count, and a run of
// P processes with T threads each splits and adds its batches exactly like one process with P*T
// threads when T = 1 (the tests compare the model files byte for byte).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fenlei/status.h"
#include "nn/params.h"

namespace fenlei::train {

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;  // 0 .. size()-1; rank 0 writes the files and the progress
  virtual int size() const = 0;
  // Replaces `grads` on every process by ((g_0 + g_1) + g_2) + ... over ranks (Grads::add, so
  // sparse rows keep their first-touch order). `scratch` has the same layout as grads.
  virtual Status sum_grads(nn::Grads& grads, nn::Grads& scratch) = 0;
  // The general form of sum_grads, for gradients of another layout (encoder fine-tuning's):
  // every rank's `message` goes to rank 0, whose `combine` gets them all in rank order (its
  // own first) and writes one message that then replaces `message` on every rank. With one
  // process, `message` is left as it is (combine is not called).
  using Combine = std::function<Status(const std::vector<std::string_view>& messages,
                                       std::string* combined)>;
  virtual Status combine_at_root(std::string* message, const Combine& combine) = 0;
  // The concatenation of every process's `mine`, in rank order (all of equal length).
  virtual Status all_gather(const std::vector<double>& mine, std::vector<double>* all) = 0;
  // Stops every process of the run (one failed: the others must not wait for it forever).
  [[noreturn]] virtual void abort(int exit_code) = 0;
};

}  // namespace fenlei::train
