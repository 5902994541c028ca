// Plain-text metrics report.
#include <algorithm>
#include <cstdio>

#include "fenlei/metrics.h"
#include "text/utf8.h"

namespace fenlei::eval {
namespace {

bool is_wide(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
         (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
         (cp >= 0x20000 && cp <= 0x3FFFD);
}

std::string pad_right(const std::string& s, size_t width) {
  const size_t w = display_width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string pad_left(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

std::string fixed4(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", v);
  return buf;
}

std::string label_name(const Metrics& m, size_t i) {
  return i < m.per_class.size() ? m.per_class[i].label : std::to_string(i);
}

// The k x k table, columns headed by class index (labels can be long), rows by "index label".
std::string confusion_matrix_text(const Metrics& m, size_t label_w) {
  const size_t k = m.confusion.size();
  const auto table = m.confusion.dense();
  size_t cell_w = std::to_string(k - 1).size();
  for (const auto& row : table)
    for (int64_t v : row) cell_w = std::max(cell_w, std::to_string(v).size());
  const size_t index_w = std::to_string(k - 1).size();
  const size_t row_w = index_w + 1 + label_w;
  std::string out = "\nconfusion (rows: true label, columns: predicted)\n" + pad_right("", row_w);
  for (size_t j = 0; j < k; ++j) out += "  " + pad_left(std::to_string(j), cell_w);
  out += "\n";
  for (size_t i = 0; i < k; ++i) {
    const std::string name = i < m.per_class.size() ? m.per_class[i].label : "";
    out += pad_right(pad_left(std::to_string(i), index_w) + " " + name, row_w);
    for (size_t j = 0; j < k; ++j) out += "  " + pad_left(std::to_string(table[i][j]), cell_w);
    out += "\n";
  }
  return out;
}

// Too many labels for a table: the most frequent confusions (off-diagonal cells), most first.
std::string confusion_pairs_text(const Metrics& m) {
  auto cells = m.confusion.entries();
  cells.erase(std::remove_if(cells.begin(), cells.end(),
                             [](const ConfusionMatrix::Entry& e) { return e.truth == e.predicted; }),
              cells.end());
  std::stable_sort(cells.begin(), cells.end(),
                   [](const ConfusionMatrix::Entry& a, const ConfusionMatrix::Entry& b) {
                     return a.count > b.count;
                   });
  const size_t shown = std::min(cells.size(), kMaxConfusionPairs);
  std::string out = "\nconfusion: " + std::to_string(m.confusion.size()) +
                    " labels are too many for a matrix; the " + std::to_string(shown) + " of " +
                    std::to_string(cells.size()) +
                    " most frequent confusions (--json lists every cell)\n";
  if (shown == 0) return out;
  size_t true_w = 10, predicted_w = 12;  // "true label", "predicted as"
  for (size_t i = 0; i < shown; ++i) {
    true_w = std::max(true_w, display_width(label_name(m, static_cast<size_t>(cells[i].truth))));
    predicted_w = std::max(predicted_w,
                           display_width(label_name(m, static_cast<size_t>(cells[i].predicted))));
  }
  out += pad_right("true label", true_w) + "  " + pad_right("predicted as", predicted_w) +
         "  count\n";
  for (size_t i = 0; i < shown; ++i) {
    out += pad_right(label_name(m, static_cast<size_t>(cells[i].truth)), true_w) + "  " +
           pad_right(label_name(m, static_cast<size_t>(cells[i].predicted)), predicted_w) + "  " +
           pad_left(std::to_string(cells[i].count), 5) + "\n";
  }
  return out;
}

}  // namespace

size_t display_width(const std::string& utf8_text) {
  size_t width = 0;
  for (char32_t cp : utf8::to_u32(utf8_text)) width += is_wide(cp) ? 2 : 1;
  return width;
}

std::string format_metrics_text(const Metrics& m, bool per_class, bool confusion) {
  std::string out = "n " + std::to_string(m.n) + "  loss " + fixed4(m.loss) + "  accuracy " +
                    fixed4(m.accuracy) + "  macro_f1 " + fixed4(m.macro_f1) + "  weighted_f1 " +
                    fixed4(m.weighted_f1) + "\n";
  size_t label_w = 5;  // "label"
  for (const auto& c : m.per_class) label_w = std::max(label_w, display_width(c.label));

  if (per_class && !m.per_class.empty()) {
    const size_t table_w = std::max<size_t>(label_w, 12);  // "weighted avg"
    size_t support_w = std::max<size_t>(7, std::to_string(m.n).size());  // "support"
    for (const auto& c : m.per_class)
      support_w = std::max(support_w, std::to_string(c.support).size());
    out += "\n" + pad_right("label", table_w) + "  precision     recall         f1  " +
           pad_left("support", support_w) + "\n";
    for (const auto& c : m.per_class) {
      out += pad_right(c.label, table_w) + "  " + pad_left(fixed4(c.precision), 9) + "  " +
             pad_left(fixed4(c.recall), 9) + "  " + pad_left(fixed4(c.f1), 9) + "  " +
             pad_left(std::to_string(c.support), support_w) + "\n";
    }
    // scikit-learn's classification_report rows; support is every example.
    auto average_row = [&](const char* name, double p, double r, double f) {
      out += pad_right(name, table_w) + "  " + pad_left(fixed4(p), 9) + "  " +
             pad_left(fixed4(r), 9) + "  " + pad_left(fixed4(f), 9) + "  " +
             pad_left(std::to_string(m.n), support_w) + "\n";
    };
    out += "\n";
    average_row("macro avg", m.macro_precision, m.macro_recall, m.macro_f1);
    average_row("weighted avg", m.weighted_precision, m.weighted_recall, m.weighted_f1);
  }

  if (confusion && !m.confusion.empty()) {
    if (m.confusion.size() <= kMaxConfusionMatrixLabels) {
      out += confusion_matrix_text(m, label_w);
    } else {
      out += confusion_pairs_text(m);
    }
  }
  return out;
}

}  // namespace fenlei::eval
