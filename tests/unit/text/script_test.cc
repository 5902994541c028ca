// count_scripts: letters of unspaced scripts (Han, kana, Thai) against letters of scripts that
// separate words with spaces; digits, punctuation and spaces count for neither.
#include "text/script.h"

#include <gtest/gtest.h>

namespace fenlei::text {
namespace {

TEST(Scripts, CountsLettersBySpacing) {
  const ScriptCounts zh = count_scripts({"房间很干净，服务也好 5 stars"});
  EXPECT_EQ(zh.unspaced, 9u);
  EXPECT_EQ(zh.spaced, 5u);
  EXPECT_GT(zh.unspaced_share(), 0.5);
  const ScriptCounts en = count_scripts({"a stirring , funny re-imagining", "Привет мир"});
  EXPECT_EQ(en.unspaced, 0u);
  EXPECT_EQ(en.spaced, 25u + 9u);
  EXPECT_DOUBLE_EQ(en.unspaced_share(), 0.0);
  EXPECT_GT(count_scripts({"ภาษาไทย", "ひらがなカタカナ"}).unspaced_share(), 0.99);
  EXPECT_EQ(count_scripts({"한국어 문장"}).unspaced, 0u);  // Korean separates words with spaces
  const ScriptCounts none = count_scripts({"123 , . !", "", std::string("\xff\xfe")});
  EXPECT_EQ(none.unspaced + none.spaced, 0u);
  EXPECT_DOUBLE_EQ(none.unspaced_share(), 0.0);
}

}  // namespace
}  // namespace fenlei::text
