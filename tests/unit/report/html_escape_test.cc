#include "report/html_escape.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fenlei::report {
namespace {

TEST(EscapeHtml, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(escape_html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
}

TEST(EscapeHtml, KeepsUtf8AndReplacesInvalidBytesAndControls) {
  EXPECT_EQ(escape_html("房间很干净"), "房间很干净");
  EXPECT_EQ(escape_html(std::string("a\xff" "b")), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(escape_html(std::string("a\x01" "b\tc\n")), "a\xEF\xBF\xBD" "b\tc\n");
}

TEST(EscapeHtml, AlreadyEscapedTextIsEscapedAgain) {
  // Data is never trusted to be pre-escaped: "&lt;" in a text must show as "&lt;".
  EXPECT_EQ(escape_html("&lt;"), "&amp;lt;");
}

TEST(FormatNumber, ShortAndNeverNan) {
  EXPECT_EQ(format_number(0.91234, 3), "0.912");
  EXPECT_EQ(format_number(1200, 3), "1.2e+03");
  EXPECT_EQ(format_number(1200, 4), "1200");
  EXPECT_EQ(format_number(NAN), "n/a");
}

TEST(FormatCoord, TrimsZerosAndMapsNonFiniteToZero) {
  EXPECT_EQ(format_coord(12.5), "12.5");
  EXPECT_EQ(format_coord(3.0), "3");
  EXPECT_EQ(format_coord(100.0), "100");
  EXPECT_EQ(format_coord(-0.001), "0");
  EXPECT_EQ(format_coord(NAN), "0");
  EXPECT_EQ(format_coord(INFINITY), "0");
}

}  // namespace
}  // namespace fenlei::report
