// Preprocessing settings read from a model file: out-of-range numbers are reported as what they
// are, never narrowed first (10^12 used to wrap to a "negative max_len").
#include <gtest/gtest.h>

#include "core/preprocessor.h"

namespace fenlei::core {
namespace {

nlohmann::json settings(const nlohmann::json& max_len) {
  return {{"normalize", nlohmann::json::object()}, {"tokenizer", "char"}, {"max_len", max_len}};
}

TEST(PreprocessConfigTest, AHugeMaxLenIsReportedAsTooLargeNotNegative) {
  const auto r = preprocess_config_from_json(settings(uint64_t{1000000000000}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("max_len 1000000000000 is larger than the limit"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(r.status().message().find("negative"), std::string::npos) << r.status().message();
}

TEST(PreprocessConfigTest, MaxLenChecks) {
  EXPECT_NE(preprocess_config_from_json(settings(-3)).status().message().find("max_len -3 is negative"),
            std::string::npos);
  EXPECT_NE(preprocess_config_from_json(settings(1.5)).status().message().find("not a whole number"),
            std::string::npos);
  const auto ok = preprocess_config_from_json(settings(128));
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->max_len, 128);
  nlohmann::json without = settings(0);
  without.erase("max_len");
  ASSERT_TRUE(preprocess_config_from_json(without).ok());
  EXPECT_EQ(preprocess_config_from_json(without)->max_len, 0);
}

}  // namespace
}  // namespace fenlei::core
