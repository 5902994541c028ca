// GET / and the try-a-model page: served with a strict content policy, off with ui = false, model
// names built in safely, nothing fetched from elsewhere. The page's behaviour in a browser is
// tested in tests/browser/.
#include "server/ui_page.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include "server/server.h"
#include "server_fixture.h"

namespace fenlei::server {
namespace {

class UiPage : public testing::ServerFixture {
 protected:
  void start_with_ui(bool ui) {
    ServerOptions options;
    options.service.ui = ui;
    start(options);
  }
};

TEST_F(UiPage, BuildsTheModelNamesInAndFetchesNothingFromElsewhere) {
  const std::string page = ui_page_html({"reviews", "news</script><script>x"});
  EXPECT_NE(page.find(R"(["reviews","news\u003c/script>\u003cscript>x"])"), std::string::npos);
  EXPECT_EQ(page.find("__MODELS__"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find(" src="), std::string::npos);
  for (const char* api : {":predict", ":explain", "/metadata"}) EXPECT_NE(page.find(api), std::string::npos) << api;
}

TEST_F(UiPage, ServedAtTheRootWithAStrictPolicyAndTheApiStillWorks) {
  ASSERT_NO_FATAL_FAILURE(start_with_ui(true));
  httplib::Client client("127.0.0.1", port());
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("connect-src 'self'"), std::string::npos);
  EXPECT_NE(page->body.find(R"(["reviews"])"), std::string::npos);
  auto other = client.Get("/index.php");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);  // only "/" is the page; the rest is still the API's
  auto meta = client.Get("/v1/models/reviews/metadata");
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->status, 200);
}

TEST_F(UiPage, OffWithoutUi) {
  ASSERT_NO_FATAL_FAILURE(start_with_ui(false));
  httplib::Client client("127.0.0.1", port());
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 404);
  EXPECT_EQ(page->get_header_value("Content-Type"), "application/json");
}

}  // namespace
}  // namespace fenlei::server
