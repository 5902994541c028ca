#include "train/progress_bar_reporter.h"

#include <cstdio>
#include <memory>
#include <string>

#include "base/progress.h"
#include "fenlei/log.h"

namespace fenlei::train {

ProgressCallback progress_bar_reporter() {
  auto bar = std::make_shared<std::unique_ptr<ProgressBar>>();
  return [bar](const TrainProgress& p) {
    if (p.event == TrainProgress::Event::kStep) {
      if (!*bar) {
        *bar = std::make_unique<ProgressBar>(
            "epoch " + std::to_string(p.epoch) + "/" + std::to_string(p.epochs), p.examples_total);
      }
      char suffix[96];
      std::snprintf(suffix, sizeof(suffix), "loss %.4f acc %.4f %.0f ex/s", p.loss, p.accuracy,
                    p.examples_per_second);
      (*bar)->update(p.examples_done, suffix);
      return;
    }
    if (*bar) {
      (*bar)->finish();
      bar->reset();
    }
    const EpochRecord& r = p.record;
    FENLEI_LOG(kInfo) << "epoch " << r.epoch << "/" << p.epochs << "  loss " << r.train_loss
                      << "  acc " << r.train_accuracy << "  valid_loss " << r.valid_loss
                      << "  valid_acc " << r.valid_accuracy << "  lr " << r.lr << "  "
                      << static_cast<int64_t>(r.examples_per_second) << " ex/s"
                      << (p.improved ? "  *" : "");
  };
}

}  // namespace fenlei::train
