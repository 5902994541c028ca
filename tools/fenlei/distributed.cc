#include "distributed.h"

#ifdef FENLEI_HAVE_MPI
#include "mpi/mpi_collective.h"
#endif

namespace fenlei::cli {

StatusOr<std::unique_ptr<train::Collective>> join_mpi_run() {
#ifdef FENLEI_HAVE_MPI
  FENLEI_ASSIGN_OR_RETURN(auto collective, mpi::MpiCollective::init());
  return std::unique_ptr<train::Collective>(std::move(collective));
#else
  return failed_precondition_error(
      "this fenlei was built without MPI: install libopenmpi-dev (scripts/install-deps.sh) and "
      "rebuild, then run: mpirun -np N fenlei train --mpi ...");
#endif
}

}  // namespace fenlei::cli
