#include "fenlei/segmenter.h"

#include <cstdlib>

#include "base/crc32.h"
#include "base/file_util.h"
#include "fenlei/log.h"
#include "text/utf8.h"
#include "fenlei/version.h"
#include "seg/cut_engine.h"
#include "seg/dict_cache.h"
#include "seg/freq_dict.h"
#include "seg/hmm_tables.h"
#include "seg/seg_model.h"

namespace fenlei::seg {
namespace {

using detail::Model;

struct ViewSink {
  std::string_view text;
  std::vector<std::string_view>* out;
  void emit(size_t b, size_t e) { out->emplace_back(text.data() + b, e - b); }
  void emit_pieces(const detail::ByteRanges& pieces) {
    // Adjacent pieces (always the case with jieba's own dictionary) make one view.
    bool contiguous = true;
    for (size_t i = 1; i < pieces.size(); ++i) contiguous &= pieces[i].first == pieces[i - 1].second;
    if (contiguous) {
      emit(pieces.front().first, pieces.back().second);
    } else {
      for (const auto& r : pieces) emit(r.first, r.second);
    }
  }
};

struct StringSink {
  std::string_view text;
  std::vector<std::string>* out;
  void emit(size_t b, size_t e) { out->emplace_back(text.substr(b, e - b)); }
  void emit_pieces(const detail::ByteRanges& pieces) {
    std::string joined;
    for (const auto& r : pieces) joined.append(text.substr(r.first, r.second - r.first));
    out->push_back(std::move(joined));
  }
};

std::string resolve_jieba_dir(const SegmenterOptions& options) {
  if (!options.jieba_dir.empty()) return options.jieba_dir;
  const char* env = std::getenv("FENLEI_JIEBA_DIR");
  if (env && *env) return env;
  return FENLEI_DEFAULT_JIEBA_DIR;
}

StatusOr<std::string> read_source(const std::string& path) {
  auto content = read_file(path);
  if (!content.ok()) return content.status();
  return content;
}

}  // namespace

Segmenter::Segmenter(std::shared_ptr<const detail::Model> model, bool from_cache,
                     std::string dict_path)
    : model_(std::move(model)), from_cache_(from_cache), dict_path_(std::move(dict_path)) {}

std::string Segmenter::dictionary_id() const { return detail::content_id(*model_); }
Segmenter::~Segmenter() = default;

StatusOr<std::shared_ptr<const Segmenter>> Segmenter::load(const SegmenterOptions& options) {
  const std::string dir = resolve_jieba_dir(options);
  const std::string dict_path = options.dict_path.empty() ? dir + "/dict.txt" : options.dict_path;
  const std::string start_path = dir + "/finalseg/prob_start.py";
  const std::string trans_path = dir + "/finalseg/prob_trans.py";
  const std::string emit_path = dir + "/finalseg/prob_emit.py";

  // The cache key: every source's identity, in the order they are applied.
  std::string key = "fenlei segmenter cache v" + std::to_string(detail::kModelFormatVersion) + "\n";
  for (const std::string* path : {&dict_path, &start_path, &trans_path, &emit_path}) {
    auto desc = detail::describe_source_file(*path);
    if (!desc.ok()) {
      return desc.status().with_context(
          "jieba dictionary (install python3-jieba, or set FENLEI_JIEBA_DIR / --dict)");
    }
    key += *desc;
  }
  // User dictionaries are small and the likeliest to be edited within one mtime tick, so they
  // are keyed by content as well; the big system files by size, mtime and inode only (hashing
  // dict.txt would cost more than loading the whole cache).
  std::vector<std::string> user_contents;
  for (const auto& path : options.user_dict_paths) {
    auto desc = detail::describe_source_file(path);
    if (!desc.ok()) return desc.status().with_context("user dictionary");
    FENLEI_ASSIGN_OR_RETURN(std::string content, read_source(path));
    key += "user" + *desc + "crc " + std::to_string(crc32_str(content)) + "\n";
    user_contents.push_back(std::move(content));
  }
  for (const auto& text : options.user_dict_texts) {
    key += "user text " + std::to_string(text.size()) + " " + std::to_string(crc32_str(text)) + "\n";
  }

  std::string cache_path;
  if (options.use_cache) {
    const std::string cache_dir =
        options.cache_dir.empty() ? detail::default_cache_dir() : options.cache_dir;
    if (!cache_dir.empty()) cache_path = detail::cache_file_path(cache_dir, key);
  }
  if (!cache_path.empty()) {
    auto cached = detail::read_cache(cache_path, key);
    if (cached.ok()) return std::make_shared<const Segmenter>(std::move(*cached), true, dict_path);
    if (cached.status().code() != StatusCode::kNotFound) {
      FENLEI_LOG(kDebug) << "segmenter cache ignored, rebuilding: " << cached.status().message();
    }
  }

  FreqDict dict;
  {
    FENLEI_ASSIGN_OR_RETURN(std::string content, read_source(dict_path));
    FENLEI_RETURN_IF_ERROR(load_main_dict(content, dict_path, &dict));
  }
  if (dict.total <= 0) {
    return invalid_argument_error(dict_path + ": the dictionary has no word with a frequency > 0");
  }
  for (size_t i = 0; i < options.user_dict_paths.size(); ++i) {
    FENLEI_RETURN_IF_ERROR(load_user_dict(user_contents[i], options.user_dict_paths[i], &dict));
  }
  for (size_t i = 0; i < options.user_dict_texts.size(); ++i) {
    FENLEI_RETURN_IF_ERROR(load_user_dict(options.user_dict_texts[i],
                                          "<user dictionary text " + std::to_string(i + 1) + ">",
                                          &dict));
  }
  FENLEI_ASSIGN_OR_RETURN(std::string start_py, read_source(start_path));
  FENLEI_ASSIGN_OR_RETURN(std::string trans_py, read_source(trans_path));
  FENLEI_ASSIGN_OR_RETURN(std::string emit_py, read_source(emit_path));
  FENLEI_ASSIGN_OR_RETURN(HmmTables hmm, parse_hmm_tables(start_py, start_path, trans_py,
                                                          trans_path, emit_py, emit_path));
  const std::string blob = detail::build_model_blob(dict, hmm, key);
  FENLEI_ASSIGN_OR_RETURN(auto model, detail::attach_model(blob));
  if (!cache_path.empty()) {
    Status written = detail::write_cache(cache_path, blob);
    if (!written.ok()) {
      FENLEI_LOG(kDebug) << "segmenter cache not written (continuing without): "
                         << written.message();
    }
  }
  return std::make_shared<const Segmenter>(std::move(model), false, dict_path);
}

void Segmenter::cut(std::string_view text, CutMode mode, bool hmm,
                    std::vector<std::string_view>* tokens) const {
  tokens->clear();
  ViewSink sink{text, tokens};
  detail::CutEngine<ViewSink> engine(*model_, &sink, mode, hmm);
  engine.run(text);
}

std::vector<std::string> Segmenter::cut(std::string_view text, CutMode mode, bool hmm) const {
  std::vector<std::string> tokens;
  StringSink sink{text, &tokens};
  detail::CutEngine<StringSink> engine(*model_, &sink, mode, hmm);
  engine.run(text);
  return tokens;
}

bool Segmenter::is_word(std::string_view word) const {
  const std::u32string cps = utf8::to_u32(word);
  return model_->node_is_word(model_->find(cps.begin(), cps.end()));
}

size_t Segmenter::num_keys() const { return model_->n_nodes - 1; }
int64_t Segmenter::total_freq() const { return model_->total; }

}  // namespace fenlei::seg
