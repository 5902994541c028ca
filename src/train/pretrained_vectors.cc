// .vec reader (see pretrained_vectors.h).
#include "train/pretrained_vectors.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <vector>

namespace fenlei::train {
namespace {

// Splits on ASCII spaces and tabs (fastText lines end with a trailing space).
void split_fields(const std::string& line, std::vector<std::string_view>* out) {
  out->clear();
  size_t i = 0;
  const size_t n = line.size();
  while (i < n) {
    while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < n && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) out->emplace_back(line.data() + i, j - i);
    i = j;
  }
}

bool parse_long(std::string_view s, long long* v) {
  const std::string t(s);
  char* end = nullptr;
  errno = 0;
  *v = std::strtoll(t.c_str(), &end, 10);
  return errno == 0 && end == t.c_str() + t.size();
}

}  // namespace

StatusOr<VectorCoverage> apply_pretrained_vectors(std::istream& in, const std::string& name,
                                                  const vocab::Vocabulary& vocab, int dim,
                                                  float* table) {
  auto bad = [&](size_t line, const std::string& what) {
    return invalid_argument_error(name + ":" + std::to_string(line) + ": " + what);
  };
  std::string line;
  std::vector<std::string_view> f;
  if (!std::getline(in, line)) return invalid_argument_error(name + ": empty vectors file");
  split_fields(line, &f);
  long long count = 0, file_dim = 0;
  if (f.size() != 2 || !parse_long(f[0], &count) || !parse_long(f[1], &file_dim) || count < 0 ||
      file_dim < 1)
    return bad(1, "expected a header line 'COUNT DIM' (word2vec/fastText .vec text format)");
  if (file_dim != dim)
    return bad(1, "the vectors have dimension " + std::to_string(file_dim) +
                      " but the model's embeddings have " + std::to_string(dim) +
                      " (pass --embed-dim " + std::to_string(file_dim) + ")");
  VectorCoverage cov;
  cov.vocabulary = vocab.size() > 2 ? vocab.size() - 2 : 0;
  std::vector<uint8_t> seen(vocab.size(), 0);
  std::vector<float> values(static_cast<size_t>(dim));
  size_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    split_fields(line, &f);
    if (f.empty()) {
      if (in.peek() == EOF) break;  // a blank last line
      return bad(line_no, "empty line");
    }
    if (static_cast<long long>(cov.file_words) == count)
      return bad(line_no, "more vectors than the header's " + std::to_string(count));
    if (f.size() != size_t(dim) + 1) {
      const bool last = in.eof();
      return bad(line_no, "expected a word and " + std::to_string(dim) + " values, found " +
                              std::to_string(f.size() ? f.size() - 1 : 0) + " values" +
                              (last ? " (truncated last line?)" : ""));
    }
    for (int d = 0; d < dim; ++d) {
      const std::string t(f[size_t(d) + 1]);
      char* end = nullptr;
      const float v = std::strtof(t.c_str(), &end);
      if (end != t.c_str() + t.size() || !std::isfinite(v))
        return bad(line_no, "value " + std::to_string(d + 1) + " '" + t +
                                "' is not a finite number");
      values[size_t(d)] = v;
    }
    ++cov.file_words;
    const std::string_view word = f[0];
    if (!vocab.contains(word)) continue;
    const int32_t id = vocab.id(word);
    if (id < 2 || seen[size_t(id)]) continue;  // keep the first vector of a repeated word
    seen[size_t(id)] = 1;
    ++cov.matched;
    std::copy(values.begin(), values.end(), table + size_t(id) * size_t(dim));
  }
  if (in.bad()) return invalid_argument_error(name + ": read error");
  if (static_cast<long long>(cov.file_words) < count)
    return bad(line_no, "the header promises " + std::to_string(count) + " vectors but the file "
                        "has " + std::to_string(cov.file_words) + " (truncated file?)");
  return cov;
}

StatusOr<VectorCoverage> apply_pretrained_vectors_file(const std::string& path,
                                                       const vocab::Vocabulary& vocab, int dim,
                                                       float* table) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found_error("cannot open vectors file " + path);
  return apply_pretrained_vectors(in, path, vocab, dim, table);
}

}  // namespace fenlei::train
