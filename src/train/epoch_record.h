// One epoch's numbers, as printed, logged (--log) and kept in the model's training history.
#pragma once

namespace fenlei::train {

struct EpochRecord {
  int epoch = 0;  // from 1
  double train_loss = 0, train_accuracy = 0;
  double valid_loss = 0, valid_accuracy = 0;
  double lr = 0;
  double seconds = 0;              // training time of the epoch (evaluation excluded)
  double examples_per_second = 0;  // training examples / seconds
};

}  // namespace fenlei::train
