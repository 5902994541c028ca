// Progress of a training run, reported through a callback (TrainOptions::on_progress) instead of
// printed by the library: the CLI draws a progress bar and epoch lines from it, a program
// embedding the trainer can show or log it as it likes, tests can watch it.
#pragma once

#include <cstdint>
#include <functional>

#include "train/epoch_record.h"

namespace fenlei::train {

struct TrainProgress {
  enum class Event {
    kStep,      // after each optimizer step: the running means of the epoch so far
    kEpochEnd,  // after validation: `record` holds the epoch's numbers
  };
  Event event = Event::kStep;
  int epoch = 0;   // from 1
  int epochs = 0;  // the run's last epoch
  int64_t examples_done = 0, examples_total = 0;  // this epoch
  double loss = 0, accuracy = 0, examples_per_second = 0;  // running means (kStep)
  EpochRecord record;     // kEpochEnd
  bool improved = false;  // kEpochEnd: the monitored quantity improved (the weights are kept)
};

// Called on the training thread of the process that writes files (rank 0); must not throw.
using ProgressCallback = std::function<void(const TrainProgress&)>;

}  // namespace fenlei::train
