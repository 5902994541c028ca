// libFuzzer target: arbitrary bytes through the whole model loading path below the classifier:
// parse_model_file (checksums off, so mutations reach the content) and then
// core::bundle_from_model_file, which reads the metadata (architecture, preprocessing settings
// such as max_len, labels) and matches tensors to the network. Must give OK or a Status, never a
// crash, overflow, or an allocation the file's sections do not account for; and the same with
// the weights borrowed from the input (the mapped-file path).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "core/model_bundle.h"
#include "format/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fenlei::format::ParseOptions unchecked;
  unchecked.verify_checksums = false;
  auto file = fenlei::format::parse_model_file(bytes, "fuzz", unchecked);
  if (!file.ok()) return 0;
  auto bundle = fenlei::core::bundle_from_model_file(*file, "fuzz");
  if (!bundle.ok() && bundle.status().message().empty()) std::abort();
  // Again with the weights borrowed from the input, as from a mapped file (Classifier::load):
  // a float network then reads them in place.
  unchecked.borrow_tensor_data = true;
  auto borrowed = fenlei::format::parse_model_file(bytes, "fuzz", unchecked);
  if (!borrowed.ok()) std::abort();  // the same bytes parsed a moment ago
  borrowed->backing = std::make_shared<int>(0);  // the input outlives this call
  auto again = fenlei::core::bundle_from_model_file(*borrowed, "fuzz");
  if (again.ok() != bundle.ok()) std::abort();
  return 0;
}
