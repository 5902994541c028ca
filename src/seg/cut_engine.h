// The cutting algorithms of jieba 0.42.1 over the flat dictionary (JIEBA_SPEC.md 2-7): block
// split, DAG + best route, HMM Viterbi, full mode and search mode. Emits byte ranges of the input
// to a Sink, so one implementation serves both the string_view and the std::string API.
//
// A CutEngine lives for one cut() call and owns that call's scratch buffers; the Model it reads
// is shared and never written, which is what makes Segmenter::cut thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "fenlei/segmenter.h"
#include "text/utf8.h"
#include "seg/char_class.h"
#include "seg/hmm_tables.h"
#include "seg/seg_model.h"

namespace fenlei::seg::detail {

// Byte ranges [begin, end) of the input text.
using ByteRanges = std::vector<std::pair<size_t, size_t>>;

// Decodes one code point leniently: valid UTF-8 decodes normally; any invalid byte is consumed
// alone as U+FFFD (a non-Han, non-space character), so arbitrary bytes can never hang or crash.
inline size_t decode_lenient(const unsigned char* p, size_t left, char32_t* cp) {
  const std::string_view rest(reinterpret_cast<const char*>(p), left);
  const size_t n = utf8::decode_one(rest, 0, cp);
  if (n > 0) return n;
  *cp = 0xFFFD;
  return 1;
}

template <typename Sink>
class CutEngine {
 public:
  CutEngine(const Model& model, Sink* sink, CutMode mode, bool hmm)
      : m_(model), sink_(sink), mode_(mode), hmm_(hmm) {}

  void run(std::string_view text) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    size_t pos = 0;
    char32_t c = 0;
    size_t len = n == 0 ? 0 : decode_lenient(p, n, &c);
    while (pos < n) {
      if (is_han_class(c)) {
        cps_.clear();
        offs_.clear();
        while (pos < n && is_han_class(c)) {
          cps_.push_back(c);
          offs_.push_back(pos);
          pos += len;
          if (pos < n) len = decode_lenient(p + pos, n - pos, &c);
        }
        offs_.push_back(pos);
        han_block();
      } else if (mode_ == CutMode::kFull) {
        // Pieces seg0, sep1, seg1, ..., sepK, segK, empty segments included.
        size_t seg_start = pos;
        while (pos < n && !is_han_class(c)) {
          if (c == '\r' && pos + 1 < n && p[pos + 1] == '\n') {
            sink_->emit(seg_start, pos);
            sink_->emit(pos, pos + 2);
            pos += 2;
            seg_start = pos;
          } else if (is_py_space(c)) {
            sink_->emit(seg_start, pos);
            sink_->emit(pos, pos + len);
            pos += len;
            seg_start = pos;
          } else {
            pos += len;
          }
          if (pos < n) len = decode_lenient(p + pos, n - pos, &c);
        }
        sink_->emit(seg_start, pos);
      } else {
        // One token per character, "\r\n" kept together. None has sub-grams for search mode.
        while (pos < n && !is_han_class(c)) {
          if (c == '\r' && pos + 1 < n && p[pos + 1] == '\n') {
            sink_->emit(pos, pos + 2);
            pos += 2;
          } else {
            sink_->emit(pos, pos + len);
            pos += len;
          }
          if (pos < n) len = decode_lenient(p + pos, n - pos, &c);
        }
      }
    }
  }

 private:
  void han_block() {
    if (mode_ == CutMode::kFull) {
      cut_all();
      return;
    }
    calc_route();
    if (hmm_) {
      walk_hmm();
    } else {
      walk_no_hmm();
    }
  }

  // Emits the block's code points [b, e) as one token (plus its sub-grams in search mode).
  void emit_word(size_t b, size_t e) {
    if (mode_ == CutMode::kSearch && e - b > 2) {
      for (size_t i = b; i + 2 <= e; ++i) {
        if (m_.node_is_word(m_.find(&cps_[i], &cps_[i] + 2))) sink_->emit(offs_[i], offs_[i + 2]);
      }
      if (e - b > 3) {
        for (size_t i = b; i + 3 <= e; ++i) {
          if (m_.node_is_word(m_.find(&cps_[i], &cps_[i] + 3))) {
            sink_->emit(offs_[i], offs_[i + 3]);
          }
        }
      }
    }
    sink_->emit(offs_[b], offs_[e]);
  }

  // route: R[k] = max over DAG ends x of (log(f) - logtotal) + R[x+1], ties to the larger x.
  void calc_route() {
    const size_t n = cps_.size();
    score_.resize(n + 1);
    route_.resize(n + 1);
    score_[n] = 0.0;
    route_[n] = static_cast<uint32_t>(n);
    const char32_t* s = cps_.data();
    for (size_t k = n; k-- > 0;) {
      double best = 0;
      size_t best_x = k;
      bool found = false;
      uint32_t node = 0;
      for (size_t i = k; i < n; ++i) {
        node = m_.child(node, s[i]);
        if (node == 0) break;
        const uint32_t info = m_.info[node];
        if (info & kInfoWord) {
          const double sc = m_.logp[info & kInfoLogpMask] + score_[i + 1];
          if (!found || sc >= best) {
            best = sc;
            best_x = i;
            found = true;
          }
        }
      }
      if (!found) best = m_.logp_unknown + score_[k + 1];
      score_[k] = best;
      route_[k] = static_cast<uint32_t>(best_x);
    }
  }

  void walk_no_hmm() {
    const size_t n = cps_.size();
    size_t buf_b = 0, buf_e = 0;
    for (size_t x = 0; x < n;) {
      const size_t y = route_[x] + 1;
      if (y - x == 1 && is_ascii_alnum(cps_[x])) {
        if (buf_b == buf_e) buf_b = x;
        buf_e = y;
      } else {
        if (buf_b != buf_e) emit_word(buf_b, buf_e);
        buf_b = buf_e = 0;
        emit_word(x, y);
      }
      x = y;
    }
    if (buf_b != buf_e) emit_word(buf_b, buf_e);
  }

  void walk_hmm() {
    const size_t n = cps_.size();
    size_t buf_b = 0, buf_e = 0;
    for (size_t x = 0; x < n;) {
      const size_t y = route_[x] + 1;
      if (y - x == 1) {
        if (buf_b == buf_e) buf_b = x;
        buf_e = y;
      } else {
        flush(buf_b, buf_e);
        buf_b = buf_e = 0;
        emit_word(x, y);
      }
      x = y;
    }
    flush(buf_b, buf_e);
  }

  void flush(size_t b, size_t e) {
    if (e - b == 0) return;
    if (e - b == 1) {
      emit_word(b, e);
      return;
    }
    if (m_.node_is_word(m_.find(&cps_[b], &cps_[b] + (e - b)))) {
      for (size_t i = b; i < e; ++i) emit_word(i, i + 1);
      return;
    }
    // finalseg.cut: CJK runs go to the HMM, other runs to the re_skip split.
    for (size_t i = b; i < e;) {
      size_t j = i;
      const bool cjk = is_cjk(cps_[i]);
      while (j < e && is_cjk(cps_[j]) == cjk) ++j;
      if (cjk) {
        viterbi(i, j);
      } else {
        skip_split(i, j);
      }
      i = j;
    }
  }

  // re_skip = ([a-zA-Z0-9]+(?:\.\d+)?%?): matches and the stretches between them are tokens.
  void skip_split(size_t b, size_t e) {
    const char32_t* s = cps_.data();
    size_t stretch = b;
    for (size_t p = b; p < e;) {
      if (!is_ascii_alnum(s[p])) {
        ++p;
        continue;
      }
      size_t q = p;
      while (q < e && is_ascii_alnum(s[q])) ++q;
      if (q + 1 < e && s[q] == '.' && s[q + 1] >= '0' && s[q + 1] <= '9') {
        q += 2;
        while (q < e && s[q] >= '0' && s[q] <= '9') ++q;
      }
      if (q < e && s[q] == '%') ++q;
      if (stretch < p) emit_word(stretch, p);
      emit_word(p, q);
      p = stretch = q;
    }
    if (stretch < e) emit_word(stretch, e);
  }

  void viterbi(size_t b, size_t e) {
    const size_t t_len = e - b;
    const char32_t* o = &cps_[b];
    const double* em = m_.hmm_emit;
    const double* tr = m_.hmm_trans;
    back_.resize(t_len * kNumStates);
    auto emit_p = [&](int state, char32_t c) {
      return em[static_cast<size_t>(state) * kCjkSpan + (c - kCjkFirst)];
    };
    double v[kNumStates];
    for (int y = 0; y < kNumStates; ++y) v[y] = m_.hmm_start[y] + emit_p(y, o[0]);
    // Predecessors (jieba's PrevStatus); on an exact tie the larger letter wins (S > M > E > B),
    // hence the >= towards the second candidate of each pair.
    for (size_t t = 1; t < t_len; ++t) {
      const char32_t c = o[t];
      double nv[kNumStates];
      uint8_t* bk = &back_[t * kNumStates];
      {
        const double eb = emit_p(kB, c);
        const double pe = v[kE] + tr[kE * 4 + kB] + eb, ps = v[kS] + tr[kS * 4 + kB] + eb;
        if (ps >= pe) { nv[kB] = ps; bk[kB] = kS; } else { nv[kB] = pe; bk[kB] = kE; }
      }
      {
        const double emm = emit_p(kM, c);
        const double pm = v[kM] + tr[kM * 4 + kM] + emm, pb = v[kB] + tr[kB * 4 + kM] + emm;
        if (pm >= pb) { nv[kM] = pm; bk[kM] = kM; } else { nv[kM] = pb; bk[kM] = kB; }
      }
      {
        const double ee = emit_p(kE, c);
        const double pb = v[kB] + tr[kB * 4 + kE] + ee, pm = v[kM] + tr[kM * 4 + kE] + ee;
        if (pm >= pb) { nv[kE] = pm; bk[kE] = kM; } else { nv[kE] = pb; bk[kE] = kB; }
      }
      {
        const double es = emit_p(kS, c);
        const double ps = v[kS] + tr[kS * 4 + kS] + es, pe = v[kE] + tr[kE * 4 + kS] + es;
        if (ps >= pe) { nv[kS] = ps; bk[kS] = kS; } else { nv[kS] = pe; bk[kS] = kE; }
      }
      for (int y = 0; y < kNumStates; ++y) v[y] = nv[y];
    }
    // Final state: E or S, a tie goes to S. Then follow the back pointers into back_[t*4].
    uint8_t state = v[kS] >= v[kE] ? kS : kE;
    for (size_t t = t_len; t-- > 0;) {
      const uint8_t prev = t > 0 ? back_[t * kNumStates + state] : 0;
      back_[t * kNumStates] = state;  // slot 0 of row t is no longer needed: reuse it for the tag
      state = prev;
    }
    size_t begin = 0, next = 0;
    for (size_t i = 0; i < t_len; ++i) {
      const uint8_t tag = back_[i * kNumStates];
      if (tag == kB) {
        begin = i;
      } else if (tag == kE) {
        emit_hmm_word(b + begin, b + i + 1);
        next = i + 1;
      } else if (tag == kS) {
        emit_hmm_word(b + i, b + i + 1);
        next = i + 1;
      }
    }
    if (next < t_len) emit_hmm_word(b + next, e);
  }

  void emit_hmm_word(size_t b, size_t e) {
    if (m_.has_force_split && e - b > 1) {
      const uint32_t node = m_.find(&cps_[b], &cps_[b] + (e - b));
      if (node != 0 && (m_.info[node] & kInfoForceSplit)) {
        for (size_t i = b; i < e; ++i) emit_word(i, i + 1);
        return;
      }
    }
    emit_word(b, e);
  }

  // Full mode (jieba's __cut_all), including its English-buffer quirk.
  void cut_all() {
    const size_t n = cps_.size();
    const char32_t* s = cps_.data();
    long long last_end = -1;
    bool eng = false;
    eng_.clear();
    for (size_t k = 0; k < n; ++k) {
      ends_.clear();
      uint32_t node = 0;
      for (size_t i = k; i < n; ++i) {
        node = m_.child(node, s[i]);
        if (node == 0) break;
        if (m_.info[node] & kInfoWord) ends_.push_back(static_cast<uint32_t>(i));
      }
      if (ends_.empty()) ends_.push_back(static_cast<uint32_t>(k));
      if (eng && !is_ascii_alnum(s[k])) {
        sink_->emit_pieces(eng_);
        eng_.clear();
        eng = false;
      }
      if (ends_.size() == 1 && static_cast<long long>(k) > last_end) {
        const size_t e = ends_[0] + 1;
        if (is_ascii_alnum(s[k])) {
          eng = true;
          eng_.emplace_back(offs_[k], offs_[e]);
        }
        if (!eng) sink_->emit(offs_[k], offs_[e]);
        last_end = ends_[0];
      } else {
        for (uint32_t j : ends_) {
          if (j > k) {
            sink_->emit(offs_[k], offs_[j + 1]);
            last_end = j;
          }
        }
      }
    }
    if (eng) sink_->emit_pieces(eng_);
  }

  const Model& m_;
  Sink* sink_;
  CutMode mode_;
  bool hmm_;
  // Per-call scratch, reused across the blocks of one text.
  std::vector<char32_t> cps_;
  std::vector<size_t> offs_;  // byte offsets of cps_ in the text, plus the end
  std::vector<double> score_;
  std::vector<uint32_t> route_;
  std::vector<uint8_t> back_;
  std::vector<uint32_t> ends_;
  ByteRanges eng_;
};

}  // namespace fenlei::seg::detail
