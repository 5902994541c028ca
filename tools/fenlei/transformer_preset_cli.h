// `fenlei train --model transformer`: the from-scratch transformer preset
// (train/transformer_preset.h). It builds the vocabulary and the random encoder, then hands the
// command line to transformer fine-tuning (encoder_train_cli.h) with --init set to that encoder
// and the preset's defaults added for the flags not given, so every flag of
// `fenlei train --init` works here too and future ones are inherited.
#pragma once

namespace fenlei::cli {

// True when argv selects the preset: --model transformer, -m transformer or --model=transformer.
bool wants_transformer_preset(int argc, char** argv);

int run_transformer_preset(int argc, char** argv);

}  // namespace fenlei::cli
