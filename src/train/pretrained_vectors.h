// Pretrained word vectors in the word2vec / fastText text format (.vec): a header line
// "count dim", then one "word v1 ... vdim" line per word. Streamed: only the vectors of words in
// the model's vocabulary are kept, so a multi-gigabyte file costs no more memory than the table.
#pragma once

#include <cstddef>
#include <istream>
#include <string>

#include "fenlei/status.h"
#include "vocab/vocab.h"

namespace fenlei::train {

struct VectorCoverage {
  size_t file_words = 0;  // vectors read from the file
  size_t matched = 0;     // vocabulary tokens (excluding <pad>, <unk>) that got a vector
  size_t vocabulary = 0;  // vocabulary tokens excluding <pad> and <unk>
  double fraction() const { return vocabulary ? double(matched) / double(vocabulary) : 0.0; }
};

// Reads vectors from `in` and writes the vector of every vocabulary token found into row
// vocab.id(word) of `table` ([vocab.size(), dim], row-major); other rows are left as they are.
// INVALID_ARGUMENT "NAME:LINE: ..." for a bad header, a dimension other than `dim`, a line with
// the wrong number of values (a truncated last line included), a value that is not a finite
// number, or fewer vectors than the header promises.
StatusOr<VectorCoverage> apply_pretrained_vectors(std::istream& in, const std::string& name,
                                                  const vocab::Vocabulary& vocab, int dim,
                                                  float* table);
// Same, from a file (NOT_FOUND if missing).
StatusOr<VectorCoverage> apply_pretrained_vectors_file(const std::string& path,
                                                       const vocab::Vocabulary& vocab, int dim,
                                                       float* table);

}  // namespace fenlei::train
