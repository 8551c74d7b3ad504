#pragma once
// Japanese text normalisation (ICU) and segmentation (MeCab with the IPAdic dictionary).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

// NFKC + case folding (ICU): full-width ASCII → ASCII, half-width katakana → full-width, "Ｂｌｕｅ" →
// "blue", "①" → "1". Invalid UTF-8 is an error naming the byte offset.
Result<std::string> normalize_ja_text(std::string_view text);

// One morpheme as MeCab (IPAdic) sees it.
struct JaToken {
  std::string surface;  // the text as written ("笑っ")
  std::string base;     // dictionary form ("笑う"); the surface when MeCab has none
  std::string pos;      // part of speech: 名詞, 動詞, 形容詞, 助詞, 助動詞, 記号, …
  std::string pos1;     // first sub-category: 数, 接尾, 自立, 非自立, 固有名詞, …
  bool known = true;    // false for words MeCab guessed (unknown to the dictionary)
};

// MeCab segmentation. Creating one loads the dictionary (memory-mapped, ~20 ms); segment() is
// thread-safe.
class JaSegmenter {
 public:
  ~JaSegmenter();
  JaSegmenter(const JaSegmenter&) = delete;
  JaSegmenter& operator=(const JaSegmenter&) = delete;

  // Opens the IPAdic (UTF-8) dictionary in `dicdir`, or when empty the first that exists of
  // $TAGMETRY_MECAB_DICDIR, /var/lib/mecab/dic/ipadic-utf8 (Debian), /usr/lib/<arch>/mecab/dic/ipadic-utf8 and
  // the usual /usr/lib, /usr/local/lib and Homebrew places. Error when none is found, saying where it
  // looked and to install mecab-ipadic-utf8.
  static Result<std::unique_ptr<JaSegmenter>> open(const std::filesystem::path& dicdir = {});

  // Splits `text` (UTF-8) into morphemes. Whitespace is dropped.
  Result<std::vector<JaToken>> segment(std::string_view text) const;

  const std::filesystem::path& dicdir() const { return dicdir_; }

 private:
  JaSegmenter() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::filesystem::path dicdir_;
};

// The IPAdic folders open() tries, in order (for messages and docs).
std::vector<std::filesystem::path> mecab_dictionary_candidates();

}  // namespace tagmetry
