// `fenlei train --mpi`: joins the MPI launch this process is part of (see src/mpi/), or says why
// it cannot (a build without MPI).
#pragma once

#include <memory>

#include "fenlei/status.h"
#include "train/collective.h"

namespace fenlei::cli {

// Errors: kFailedPrecondition (built without MPI, or MPI did not start).
StatusOr<std::unique_ptr<train::Collective>> join_mpi_run();

}  // namespace fenlei::cli
