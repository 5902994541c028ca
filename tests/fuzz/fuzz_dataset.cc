// libFuzzer target for the labelled-data readers (TSV, CSV with RFC 4180 quoting, JSON Lines,
// fastText): arbitrary bytes must give either a clean error or examples whose text and label
// are valid UTF-8 — never a crash or a hang. The first input byte picks the format and options.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "data/dataset.h"
#include "text/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using fenlei::data::DataFormat;
  const DataFormat formats[] = {DataFormat::kTsv, DataFormat::kCsv, DataFormat::kJsonl,
                                DataFormat::kFastText};
  fenlei::data::ReadOptions options;
  options.format = formats[data[0] & 3];
  options.skip_bad_rows = (data[0] & 4) != 0;
  options.replace_invalid_utf8 = (data[0] & 8) != 0;
  options.normalize_labels = (data[0] & 16) != 0;
  const std::string_view content(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto parsed = fenlei::data::parse_dataset(content, options.format, options, "fuzz");
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) std::abort();
    return 0;
  }
  for (const auto& e : parsed->examples) {
    if (!fenlei::utf8::is_valid(e.text) || !fenlei::utf8::is_valid(e.label)) std::abort();
    if (e.label.empty()) std::abort();
  }
  return 0;
}
