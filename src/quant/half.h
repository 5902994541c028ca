// IEEE binary16 <-> float conversion (round to nearest even), for the compact f16 scales of
// quantised embedding rows. Portable bit manipulation: no F16C dependency.
#pragma once

#include <cstdint>

namespace fenlei::quant {

uint16_t float_to_half(float f);
float half_to_float(uint16_t h);
// float_to_half then back: the value a stored f16 scale will have when loaded.
inline float round_to_half(float f) { return half_to_float(float_to_half(f)); }

}  // namespace fenlei::quant
