// The request parser on its own: pipelining, chunked bodies, every limit enforced while the bytes
// arrive, and the malformed requests that must be refused (smuggling, folding, bad versions).
#include "server/http_parser.h"

#include <gtest/gtest.h>

#include <vector>

namespace fenlei::server {
namespace {

struct Parsed {
  std::vector<ParsedRequest> requests;
  int error = 0;
  size_t consumed = 0;
};

// Feeds `bytes` in pieces of `step` and collects every request.
Parsed parse(const std::string& bytes, ParserLimits limits = {}, size_t step = 1 << 30) {
  RequestParser parser(limits);
  Parsed out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t end = std::min(bytes.size(), pos + step);
    size_t piece_pos = pos;
    while (piece_pos < end) {
      piece_pos += parser.feed(std::string_view(bytes).substr(piece_pos, end - piece_pos));
      if (parser.state() == ParseState::kComplete) {
        out.requests.push_back(parser.take());
      } else if (parser.state() == ParseState::kError) {
        out.error = parser.error_status();
        out.consumed = piece_pos;
        return out;
      } else {
        break;
      }
    }
    pos = piece_pos;
  }
  out.consumed = pos;
  return out;
}

const char* kTwoRequests =
    "POST /v1/models/m:predict?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
    "Content-Type: application/json\r\n\r\nhello"
    "GET /v2/health/live HTTP/1.1\r\nHost: a\r\n\r\n";

TEST(HttpParser, PipelinedRequestsComeOutInOrderWhateverTheChunking) {
  for (size_t step : {size_t{1}, size_t{3}, size_t{7}, size_t{1000}}) {
    auto p = parse(kTwoRequests, {}, step);
    ASSERT_EQ(p.error, 0) << step;
    ASSERT_EQ(p.requests.size(), 2u) << step;
    EXPECT_EQ(p.requests[0].method, "POST");
    EXPECT_EQ(p.requests[0].path, "/v1/models/m:predict");
    EXPECT_EQ(p.requests[0].query, "x=1");
    EXPECT_EQ(p.requests[0].body, "hello");
    EXPECT_EQ(p.requests[0].header("content-type"), "application/json");
    EXPECT_EQ(p.requests[1].method, "GET");
    EXPECT_EQ(p.requests[1].path, "/v2/health/live");
    EXPECT_TRUE(p.requests[1].keep_alive);
  }
}

TEST(HttpParser, ChunkedBodyIsDecoded) {
  const std::string req =
      "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n";
  for (size_t step : {size_t{1}, size_t{1000}}) {
    auto p = parse(req, {}, step);
    ASSERT_EQ(p.error, 0);
    ASSERT_EQ(p.requests.size(), 1u);
    EXPECT_EQ(p.requests[0].body, "hello world");
  }
}

TEST(HttpParser, ChunkedBodyOverTheLimitFailsAsSoonAsTheLimitIsCrossed) {
  ParserLimits limits;
  limits.max_body_bytes = 100;
  // 1000 chunks of 10 bytes, no last chunk: the parser must stop at the 11th chunk.
  std::string req = "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  const size_t headers = req.size();
  for (int i = 0; i < 1000; ++i) req += "a\r\n0123456789\r\n";
  auto p = parse(req, limits, 1);
  EXPECT_EQ(p.error, 413);
  EXPECT_LT(p.consumed, headers + 11 * 15 + 5);
  // One declared chunk over the limit fails before its data arrives.
  auto big = parse("POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffff\r\n", limits);
  EXPECT_EQ(big.error, 413);
}

TEST(HttpParser, ContentLengthOverTheLimitFailsBeforeTheBody) {
  ParserLimits limits;
  limits.max_body_bytes = 100;
  auto p = parse("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n", limits);
  EXPECT_EQ(p.error, 413);
  auto exact = parse("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'), limits);
  EXPECT_EQ(exact.error, 0);
  EXPECT_EQ(exact.requests.size(), 1u);
}

TEST(HttpParser, LongUrlGets414AndLongHeadersGet431WithoutBufferingThem) {
  ParserLimits limits;
  limits.max_request_line_bytes = 100;
  limits.max_header_bytes = 200;
  limits.max_header_count = 5;
  // No newline ever comes: still refused once over the limit.
  auto url = parse("GET /" + std::string(10000, 'a'), limits, 10);
  EXPECT_EQ(url.error, 414);
  EXPECT_LT(url.consumed, 200u);
  auto header = parse("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(10000, 'b'), limits, 10);
  EXPECT_EQ(header.error, 431);
  EXPECT_LT(header.consumed, 400u);
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 10; ++i) many += "X" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(parse(many + "\r\n", limits).error, 431);
}

// Found by fuzz_http_request: a header line arriving in pieces was counted twice against the limit.
TEST(HttpParser, HeaderLimitIsTheSameWhateverTheChunking) {
  ParserLimits limits;
  limits.max_header_bytes = 64;
  for (size_t value = 50; value < 70; ++value) {
    const std::string req = "GET / HTTP/1.1\r\nX: " + std::string(value, 'v') + "\r\nHost: a\r\n\r\n";
    EXPECT_EQ(parse(req, limits, 1).error, parse(req, limits).error) << value;
    EXPECT_EQ(parse(req, limits, 7).error, parse(req, limits).error) << value;
  }
}

TEST(HttpParser, MalformedRequestsAreRefused) {
  struct Case {
    const char* name;
    std::string bytes;
    int status;
  };
  const std::vector<Case> cases = {
      {"both lengths (smuggling)",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"two different lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400},
      {"negative length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
      {"gzip transfer coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"no host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"folded header", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  2\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\n", 505},
      {"TLS hello on the plain port", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n", 13), 400},
      {"relative URL", "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"bad escape", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"NUL escape", "GET /a%00 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"chunk without CRLF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab", 400},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse(c.bytes).error, c.status) << c.name;
  }
}

TEST(HttpParser, ConnectionSemanticsFollowTheVersion) {
  auto p = parse(
      "GET /a%20b HTTP/1.0\r\n\r\n"
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
      "\r\nGET http://example.com/x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(p.error, 0);
  ASSERT_EQ(p.requests.size(), 4u);
  EXPECT_EQ(p.requests[0].path, "/a b");
  EXPECT_FALSE(p.requests[0].keep_alive);
  EXPECT_TRUE(p.requests[1].keep_alive);
  EXPECT_FALSE(p.requests[2].keep_alive);
  EXPECT_EQ(p.requests[3].path, "/x");
}

TEST(HttpParser, AsksForContinueOnlyWhileTheBodyIsOutstanding) {
  RequestParser parser({});
  parser.feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(parser.state(), ParseState::kBody);
  EXPECT_TRUE(parser.wants_continue());
  parser.feed("ok");
  EXPECT_EQ(parser.state(), ParseState::kComplete);
  EXPECT_FALSE(parser.wants_continue());
}

}  // namespace
}  // namespace fenlei::server
