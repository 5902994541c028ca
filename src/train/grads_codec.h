// Grads as bytes, for sending between processes (Collective): per tensor, a sparse table's
// touched rows (count, row ids in first-touch order, their values) or a dense tensor's values.
// Decoding into a Grads of the same layout restores the values and the touched-row order, so
// adding decoded gradients gives the same bits as adding the originals.
#pragma once

#include <string>
#include <string_view>

#include "fenlei/status.h"
#include "nn/params.h"
#include "train/collective.h"
#include "transformer/encoder_train.h"

namespace fenlei::train {

void encode_grads(const nn::Grads& grads, std::string* out);
// `grads` must have the layout the bytes were encoded from. Errors: kDataLoss (bytes that do
// not fit the layout: short, long, or a row id out of range).
Status decode_grads(std::string_view bytes, nn::Grads& grads);

// The same for an encoder's gradients (encoder fine-tuning): the dense tensors in param_views
// order, then the word table's touched rows in first-touch order.
void encode_grads(const transformer::EncoderGrads& grads, std::string* out);
Status decode_grads(std::string_view bytes, transformer::EncoderGrads* grads);

// Collective::sum_grads for an encoder: every rank ends with ((g_0 + g_1) + g_2) + ... added by
// EncoderGrads::add, the order one process adds its threads' buffers in. `scratch` has the
// layout of grads; `message` is a reused buffer.
Status sum_encoder_grads(Collective& collective, transformer::EncoderGrads* grads,
                         transformer::EncoderGrads* scratch, std::string* message);

}  // namespace fenlei::train
