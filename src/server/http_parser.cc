#include "server/http_parser.h"

#include <algorithm>
#include <cctype>

namespace fenlei::server {
namespace {

bool is_token_char(unsigned char c) {
  // RFC 9110 tchar.
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~': return true;
    default: return false;
  }
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return is_token_char(static_cast<unsigned char>(c)); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// True if `list` (a comma-separated header value) contains `token`, case-insensitively.
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    if (lower(item) == token) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

bool percent_decode(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return false;
    out->push_back(c);
    i += 2;
  }
  return true;
}

void RequestParser::fail(int status, std::string message) {
  state_ = ParseState::kError;
  error_status_ = status;
  error_message_ = std::move(message);
}

ParsedRequest RequestParser::take() {
  ParsedRequest out = std::move(request_);
  request_ = ParsedRequest{};
  state_ = ParseState::kIdle;
  body_mode_ = BodyMode::kNone;
  line_.clear();
  header_bytes_ = 0;
  remaining_ = 0;
  expect_continue_ = false;
  return out;
}

size_t RequestParser::feed_line(std::string_view data, size_t limit, int status_over_limit,
                                const char* what_over_limit) {
  const size_t newline = data.find('\n');
  const size_t take = newline == std::string_view::npos ? data.size() : newline + 1;
  // Counted before copying: a line over the limit is refused without being kept.
  if (line_.size() + take > limit + 2) {  // +2: the CRLF is not part of the line
    fail(status_over_limit, std::string(what_over_limit));
    return take;
  }
  line_.append(data.data(), newline == std::string_view::npos ? take : newline);
  return take;
}

size_t RequestParser::feed(std::string_view data) {
  size_t used = 0;
  while (used < data.size()) {
    const std::string_view rest = data.substr(used);
    switch (state_) {
      case ParseState::kComplete:
      case ParseState::kError:
        return used;
      case ParseState::kIdle:
        // Empty lines before a request are ignored (RFC 9112 2.2), e.g. a CRLF some clients send
        // after a POST body.
        if (rest[0] == '\r' || rest[0] == '\n') {
          ++used;
          continue;
        }
        state_ = ParseState::kRequestLine;
        continue;
      case ParseState::kRequestLine: {
        const bool had_newline = rest.find('\n') != std::string_view::npos;
        used += feed_line(rest, limits_.max_request_line_bytes, 414, "");
        if (state_ == ParseState::kError) {
          error_message_ = "the request line is over the limit of " +
                           std::to_string(limits_.max_request_line_bytes) +
                           " bytes; send long inputs in the body, not the URL";
          return used;
        }
        if (!had_newline) return used;
        std::string line = std::move(line_);
        line_.clear();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        on_request_line(line);
        continue;
      }
      case ParseState::kHeaders: {
        const size_t left = limits_.max_header_bytes > header_bytes_
                                ? limits_.max_header_bytes - header_bytes_
                                : 0;
        const bool had_newline = rest.find('\n') != std::string_view::npos;
        used += feed_line(rest, left, 431, "");
        if (state_ == ParseState::kError) {
          error_message_ = "the request headers are over the limit of " +
                           std::to_string(limits_.max_header_bytes) + " bytes";
          return used;
        }
        if (!had_newline) return used;
        header_bytes_ += line_.size() + 1;  // complete lines only: line_ is checked by feed_line
        std::string line = std::move(line_);
        line_.clear();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (body_mode_ == BodyMode::kTrailers) {
          on_trailer_line(line);
        } else {
          on_header_line(line);
        }
        continue;
      }
      case ParseState::kBody: {
        switch (body_mode_) {
          case BodyMode::kLength:
          case BodyMode::kChunkData: {
            const size_t n = static_cast<size_t>(
                std::min<uint64_t>(remaining_, static_cast<uint64_t>(rest.size())));
            request_.body.append(rest.data(), n);
            remaining_ -= n;
            used += n;
            if (remaining_ == 0) {
              if (body_mode_ == BodyMode::kLength) {
                state_ = ParseState::kComplete;
                return used;
              }
              body_mode_ = BodyMode::kChunkDataEnd;
            }
            continue;
          }
          case BodyMode::kChunkDataEnd: {
            // The CRLF after a chunk's data (a bare LF is tolerated).
            if (rest[0] == '\r' && line_.empty()) {
              line_.push_back('\r');
              ++used;
              continue;
            }
            if (rest[0] != '\n') {
              fail(400, "malformed chunked body: chunk data is not followed by CRLF");
              return used;
            }
            line_.clear();
            ++used;
            body_mode_ = BodyMode::kChunkSize;
            continue;
          }
          case BodyMode::kChunkSize: {
            const bool had_newline = rest.find('\n') != std::string_view::npos;
            used += feed_line(rest, 256, 400, "malformed chunked body: chunk-size line too long");
            if (state_ == ParseState::kError || !had_newline) return used;
            std::string line = std::move(line_);
            line_.clear();
            if (!line.empty() && line.back() == '\r') line.pop_back();
            on_chunk_size_line(line);
            continue;
          }
          case BodyMode::kNone:
          case BodyMode::kTrailers:
            fail(400, "internal parser state");
            return used;
        }
        return used;
      }
    }
  }
  return used;
}

void RequestParser::on_request_line(std::string_view line) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return fail(400, "malformed request line; expected 'METHOD /path HTTP/1.1'");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "malformed request line: bad method");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(version[5])) ||
      !std::isdigit(static_cast<unsigned char>(version[7]))) {
    return fail(400, "malformed request line: bad HTTP version");
  }
  if (version[5] != '1') return fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  request_.minor_version = version[7] - '0';
  request_.keep_alive = request_.minor_version >= 1;
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return fail(400, "malformed request line: control character in URL");
  }
  std::string_view origin_form = target;
  // Absolute form (proxies send it): keep only the path.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin_form.substr(0, scheme.size()) == scheme) {
      const size_t slash = origin_form.find('/', scheme.size());
      origin_form = slash == std::string_view::npos ? std::string_view("/") : origin_form.substr(slash);
    }
  }
  if (origin_form.empty() || (origin_form[0] != '/' && origin_form != "*")) {
    return fail(400, "malformed request line: the URL must start with '/'");
  }
  const size_t q = origin_form.find('?');
  if (!percent_decode(origin_form.substr(0, q), &request_.path)) {
    return fail(400, "malformed URL: bad percent-escape");
  }
  if (q != std::string_view::npos) request_.query = std::string(origin_form.substr(q + 1));
  request_.method = std::string(method);
  state_ = ParseState::kHeaders;
}

void RequestParser::on_header_line(std::string_view line) {
  if (line.empty()) return on_headers_done();
  if (line[0] == ' ' || line[0] == '\t') {
    return fail(400, "malformed header: folded header lines are not accepted");
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    return fail(400, "malformed header line (expected 'Name: value')");
  }
  const std::string_view value = trim(line.substr(colon + 1));
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) {
      return fail(400, "malformed header: control character in a value");
    }
  }
  if (request_.headers.size() >= limits_.max_header_count) {
    return fail(431, "more than " + std::to_string(limits_.max_header_count) + " header fields");
  }
  request_.headers.emplace_back(lower(line.substr(0, colon)), std::string(value));
}

void RequestParser::on_headers_done() {
  if (request_.minor_version >= 1 &&
      std::none_of(request_.headers.begin(), request_.headers.end(),
                   [](const auto& field) { return field.first == "host"; })) {
    return fail(400, "an HTTP/1.1 request needs a Host header");
  }
  const std::string_view connection = request_.header("connection");
  if (has_token(connection, "close")) request_.keep_alive = false;
  if (request_.minor_version == 0 && has_token(connection, "keep-alive")) {
    request_.keep_alive = true;
  }

  bool chunked = false, has_length = false;
  uint64_t length = 0;
  for (const auto& [name, value] : request_.headers) {
    if (name == "transfer-encoding") {
      // Only "chunked" alone: anything else (gzip, a chunked that is not last) is not ours to undo.
      if (lower(value) != "chunked" || chunked) {
        return fail(501, "Transfer-Encoding '" + value + "' is not supported; send chunked or a Content-Length");
      }
      chunked = true;
    } else if (name == "content-length") {
      if (value.empty() || value.size() > 19 ||
          !std::all_of(value.begin(), value.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        return fail(400, "malformed Content-Length");
      }
      const uint64_t v = std::stoull(value);
      if (has_length && v != length) return fail(400, "conflicting Content-Length headers");
      has_length = true;
      length = v;
    }
  }
  // Both at once is how requests get smuggled past proxies: refuse rather than pick one.
  if (chunked && has_length) return fail(400, "both Transfer-Encoding and Content-Length");
  expect_continue_ = lower(request_.header("expect")) == "100-continue";
  if (chunked) {
    state_ = ParseState::kBody;
    body_mode_ = BodyMode::kChunkSize;
    return;
  }
  if (length > limits_.max_body_bytes) {
    return fail(413, "request body is " + std::to_string(length) + " bytes, over the limit of " +
                         std::to_string(limits_.max_body_bytes) +
                         "; split the instances over several requests");
  }
  if (length == 0) {
    state_ = ParseState::kComplete;
    return;
  }
  request_.body.reserve(static_cast<size_t>(length));
  remaining_ = length;
  state_ = ParseState::kBody;
  body_mode_ = BodyMode::kLength;
}

bool RequestParser::add_body_bytes(size_t n) {
  if (request_.body.size() + n > limits_.max_body_bytes) {
    fail(413, "request body is over the limit of " + std::to_string(limits_.max_body_bytes) +
                  " bytes; split the instances over several requests");
    return false;
  }
  return true;
}

void RequestParser::on_chunk_size_line(std::string_view line) {
  const size_t semicolon = line.find(';');  // chunk extensions are ignored
  const std::string_view digits = trim(line.substr(0, semicolon));
  if (digits.empty() || digits.size() > 15) return fail(400, "malformed chunked body: bad chunk size");
  uint64_t size = 0;
  for (char c : digits) {
    const int v = hex_value(c);
    if (v < 0) return fail(400, "malformed chunked body: bad chunk size");
    size = size * 16 + static_cast<uint64_t>(v);
  }
  if (size == 0) {
    state_ = ParseState::kHeaders;
    body_mode_ = BodyMode::kTrailers;
    return;
  }
  // The declared size counts against the limit before any of its bytes arrive.
  if (size > limits_.max_body_bytes || !add_body_bytes(static_cast<size_t>(size))) {
    return fail(413, "request body is over the limit of " + std::to_string(limits_.max_body_bytes) +
                         " bytes; split the instances over several requests");
  }
  remaining_ = size;
  body_mode_ = BodyMode::kChunkData;
}

void RequestParser::on_trailer_line(std::string_view line) {
  // Trailer fields are read (and counted against the header limit) but not kept.
  if (line.empty()) {
    state_ = ParseState::kComplete;
    body_mode_ = BodyMode::kNone;
    return;
  }
  if (line.find(':') == std::string_view::npos) {
    return fail(400, "malformed chunked body: bad trailer line");
  }
}

std::string_view find_header(const HttpHeaders& headers, std::string_view lower_name) {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

}  // namespace fenlei::server
