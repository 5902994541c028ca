#include "mpi/mpi_collective.h"

#include <mpi.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "train/grads_codec.h"

namespace fenlei::mpi {
namespace {

Status check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return Status();
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  return Status(StatusCode::kInternal, std::string(what) + ": " + std::string(text, size_t(len)));
}

}  // namespace

StatusOr<std::unique_ptr<MpiCollective>> MpiCollective::init() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised && MPI_Init(nullptr, nullptr) != MPI_SUCCESS)
    return failed_precondition_error("MPI_Init failed; start fenlei with mpirun");
  // Errors come back as codes (turned into Status), not as an abort inside the library.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  std::unique_ptr<MpiCollective> c(new MpiCollective());
  MPI_Comm_rank(MPI_COMM_WORLD, &c->rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &c->size_);
  return c;
}

MpiCollective::~MpiCollective() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Status MpiCollective::sum_grads(nn::Grads& grads, nn::Grads& scratch) {
  if (size_ == 1) return Status();
  train::encode_grads(grads, &send_);
  // Rank 0 adds the others' gradients to its own in rank order and sends the sum back.
  auto add_in_rank_order = [&](const std::vector<std::string_view>& all,
                               std::string* sum) -> Status {
    for (size_t r = 1; r < all.size(); ++r) {
      FENLEI_RETURN_IF_ERROR(train::decode_grads(all[r], scratch));
      grads.add(scratch);
    }
    train::encode_grads(grads, sum);
    return Status();
  };
  FENLEI_RETURN_IF_ERROR(combine_at_root(&send_, add_in_rank_order));
  if (rank_ != 0) FENLEI_RETURN_IF_ERROR(train::decode_grads(send_, grads));
  return Status();
}

Status MpiCollective::combine_at_root(std::string* message, const Combine& combine) {
  if (size_ == 1) return Status();
  // Gather every rank's message at rank 0.
  const int64_t mine = static_cast<int64_t>(message->size());
  std::vector<int64_t> sizes(static_cast<size_t>(size_));
  FENLEI_RETURN_IF_ERROR(check(
      MPI_Gather(&mine, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, 0, MPI_COMM_WORLD),
      "MPI_Gather of gradient sizes"));
  std::vector<int> counts(static_cast<size_t>(size_)), offsets(static_cast<size_t>(size_));
  if (rank_ == 0) {
    int64_t total = 0;
    for (int r = 0; r < size_; ++r) {
      if (total + sizes[size_t(r)] > INT32_MAX)
        return Status(StatusCode::kResourceExhausted, "gradient messages over 2 GiB per step");
      offsets[size_t(r)] = static_cast<int>(total);
      counts[size_t(r)] = static_cast<int>(sizes[size_t(r)]);
      total += sizes[size_t(r)];
    }
    recv_.resize(static_cast<size_t>(total));
  }
  FENLEI_RETURN_IF_ERROR(check(MPI_Gatherv(message->data(), static_cast<int>(mine), MPI_BYTE,
                                           recv_.data(), counts.data(), offsets.data(), MPI_BYTE,
                                           0, MPI_COMM_WORLD),
                               "MPI_Gatherv of gradients"));
  // Rank 0 combines them and sends the result back.
  int64_t combined_size = 0;
  if (rank_ == 0) {
    std::vector<std::string_view> all;
    for (int r = 0; r < size_; ++r)
      all.push_back(
          std::string_view(recv_).substr(size_t(offsets[size_t(r)]), size_t(counts[size_t(r)])));
    combined_.clear();
    FENLEI_RETURN_IF_ERROR(combine(all, &combined_));
    message->swap(combined_);
    combined_size = static_cast<int64_t>(message->size());
  }
  FENLEI_RETURN_IF_ERROR(check(MPI_Bcast(&combined_size, 1, MPI_INT64_T, 0, MPI_COMM_WORLD),
                               "MPI_Bcast of the gradient size"));
  if (combined_size > INT32_MAX)
    return Status(StatusCode::kResourceExhausted, "gradient messages over 2 GiB per step");
  if (rank_ != 0) message->resize(static_cast<size_t>(combined_size));
  return check(MPI_Bcast(message->data(), static_cast<int>(combined_size), MPI_BYTE, 0,
                         MPI_COMM_WORLD),
               "MPI_Bcast of the gradient sum");
}

Status MpiCollective::all_gather(const std::vector<double>& mine, std::vector<double>* all) {
  all->resize(mine.size() * static_cast<size_t>(size_));
  return check(MPI_Allgather(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, all->data(),
                             static_cast<int>(mine.size()), MPI_DOUBLE, MPI_COMM_WORLD),
               "MPI_Allgather");
}

void MpiCollective::abort(int exit_code) {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::exit(exit_code);  // MPI_Abort does not return; this satisfies [[noreturn]]
}

}  // namespace fenlei::mpi
