// libFuzzer target: arbitrary bytes into parse_model_file must give OK or a Status, never a
// crash, leak, out-of-bounds read, overflow or unbounded allocation. Each input is parsed twice:
// with checksums (the real path) and without (so mutations reach the structural checks behind
// the CRCs, which random bytes would almost never satisfy), and unchecked with tensors borrowing
// their bytes from the input (the map_model_file path). A parsed model must re-serialise and
// parse back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "format/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fenlei::format::ParseOptions unchecked;
  unchecked.verify_checksums = false;
  fenlei::format::ParseOptions borrowing = unchecked;
  borrowing.borrow_tensor_data = true;
  for (const auto& options : {fenlei::format::ParseOptions{}, unchecked, borrowing}) {
    auto model = fenlei::format::parse_model_file(bytes, "fuzz", options);
    if (!model.ok()) continue;
    // Whatever the reader accepts, the writer must accept and reproduce.
    auto again = fenlei::format::serialize(*model);
    if (!again.ok()) std::abort();
    auto reparsed = fenlei::format::parse_model_file(*again, "fuzz-again");
    if (!reparsed.ok()) std::abort();
    auto third = fenlei::format::serialize(*reparsed);
    if (!third.ok() || *third != *again) std::abort();
  }
  return 0;
}
