#include "train/grads_codec.h"

#include <cstdint>
#include <cstring>

namespace fenlei::train {
namespace {

template <typename T>
void put(std::string* out, const T* values, size_t n) {
  out->append(reinterpret_cast<const char*>(values), n * sizeof(T));
}

// Reads n values of T at *pos, advancing it; false when the bytes run out.
template <typename T>
bool take(std::string_view bytes, size_t* pos, T* values, size_t n) {
  const size_t len = n * sizeof(T);
  if (bytes.size() - *pos < len) return false;
  if (len > 0) std::memcpy(values, bytes.data() + *pos, len);
  *pos += len;
  return true;
}

}  // namespace

void encode_grads(const nn::Grads& grads, std::string* out) {
  out->clear();
  for (int i = 0; i < grads.size(); ++i) {
    const nn::Tensor& t = grads[i];
    if (grads.is_sparse(i)) {
      const auto& rows = grads.touched_rows(i);
      const int64_t count = static_cast<int64_t>(rows.size());
      const size_t cols = static_cast<size_t>(t.cols());
      put(out, &count, 1);
      put(out, rows.data(), rows.size());
      for (size_t k = 0; k < rows.size(); ++k) put(out, grads.touched_row(i, k), cols);
    } else {
      put(out, t.data.data(), t.data.size());
    }
  }
}

Status decode_grads(std::string_view bytes, nn::Grads& grads) {
  grads.zero();
  size_t pos = 0;
  std::vector<int32_t> rows;
  for (int i = 0; i < grads.size(); ++i) {
    nn::Tensor& t = grads[i];
    if (grads.is_sparse(i)) {
      int64_t count = 0;
      if (!take(bytes, &pos, &count, 1) || count < 0 || count > t.rows())
        return data_loss_error("gradient message: bad row count for '" + t.name + "'");
      rows.resize(static_cast<size_t>(count));
      if (!take(bytes, &pos, rows.data(), rows.size()))
        return data_loss_error("gradient message: truncated rows of '" + t.name + "'");
      const size_t cols = static_cast<size_t>(t.cols());
      for (int32_t r : rows) {
        if (r < 0 || r >= t.rows())
          return data_loss_error("gradient message: row out of range in '" + t.name + "'");
        if (!take(bytes, &pos, grads.touch_row(i, r), cols))
          return data_loss_error("gradient message: truncated values of '" + t.name + "'");
      }
    } else if (!take(bytes, &pos, t.data.data(), t.data.size())) {
      return data_loss_error("gradient message: truncated values of '" + t.name + "'");
    }
  }
  if (pos != bytes.size()) return data_loss_error("gradient message: trailing bytes");
  return Status();
}

void encode_grads(const transformer::EncoderGrads& grads, std::string* out) {
  out->clear();
  const auto views = transformer::param_views(const_cast<transformer::EncoderWeights*>(&grads.d));
  for (const auto& v : views) put(out, v.data, static_cast<size_t>(v.size));
  const transformer::SparseRows& word = grads.word;
  const int64_t count = static_cast<int64_t>(word.rows.size());
  put(out, &count, 1);
  put(out, word.rows.data(), word.rows.size());
  put(out, word.values.data(), word.values.size());
}

Status decode_grads(std::string_view bytes, transformer::EncoderGrads* grads) {
  grads->clear();
  size_t pos = 0;
  for (const auto& v : transformer::param_views(&grads->d)) {
    if (!take(bytes, &pos, v.data, static_cast<size_t>(v.size)))
      return data_loss_error("gradient message: truncated values of '" + v.name + "'");
  }
  transformer::SparseRows& word = grads->word;
  int64_t count = 0;
  if (!take(bytes, &pos, &count, 1) || count < 0 || count > static_cast<int64_t>(word.slot.size()))
    return data_loss_error("gradient message: bad row count for the word embeddings");
  std::vector<int32_t> rows(static_cast<size_t>(count));
  if (!take(bytes, &pos, rows.data(), rows.size()))
    return data_loss_error("gradient message: truncated rows of the word embeddings");
  for (int32_t r : rows) {
    if (r < 0 || r >= static_cast<int32_t>(word.slot.size()) || word.slot[r] >= 0)
      return data_loss_error("gradient message: bad row in the word embeddings");
    if (!take(bytes, &pos, word.row(r), static_cast<size_t>(word.dim)))
      return data_loss_error("gradient message: truncated values of the word embeddings");
  }
  if (pos != bytes.size()) return data_loss_error("gradient message: trailing bytes");
  return Status();
}

Status sum_encoder_grads(Collective& collective, transformer::EncoderGrads* grads,
                         transformer::EncoderGrads* scratch, std::string* message) {
  if (collective.size() == 1) return Status();
  encode_grads(*grads, message);
  auto add_in_rank_order = [&](const std::vector<std::string_view>& all,
                               std::string* sum) -> Status {
    for (size_t r = 1; r < all.size(); ++r) {
      FENLEI_RETURN_IF_ERROR(decode_grads(all[r], scratch));
      grads->add(*scratch);
    }
    encode_grads(*grads, sum);
    return Status();
  };
  FENLEI_RETURN_IF_ERROR(collective.combine_at_root(message, add_in_rank_order));
  if (collective.rank() != 0) FENLEI_RETURN_IF_ERROR(decode_grads(*message, grads));
  return Status();
}

}  // namespace fenlei::train
