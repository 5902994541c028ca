// Grads as bytes, for sending between processes (Collective): per tensor, a sparse table's
// touched rows (count, row ids in first-touch order, their values) or a dense tensor's values.
// Decoding into a Grads of the same layout restores the values and the touched-row order, so
// adding decoded gradients gives the same bits as adding the originals.
#pragma once

#include <string>
#include <string_view>

#include "fenlei/status.h"
#include "nn/params.h"

namespace fenlei::train {

void encode_grads(const nn::Grads& grads, std::string* out);
// `grads` must have the layout the bytes were encoded from. Errors: kDataLoss (bytes that do
// not fit the layout: short, long, or a row id out of range).
Status decode_grads(std::string_view bytes, nn::Grads& grads);

}  // namespace fenlei::train
