#pragma once
// The tokenizer of the Dart tag models (p1atdev/dart-v2-*): a Hugging Face `tokenizers` WordLevel model in
// which every Danbooru tag is one token. Loaded from the model's tokenizer.json and applied the way the
// `tokenizers` library does for this configuration:
//   1. added (special) tokens such as <general> or <|input_end|> are cut out of the text first, literally;
//   2. the rest is normalised (Lowercase, when tokenizer.json has that normalizer);
//   3. split by the pre-tokenizer's regex `,(?:\s)*` with the separators removed (empty pieces dropped;
//      another Split pattern is applied with std::regex, other pre-tokenizers are rejected);
//   4. each piece is looked up whole in the vocabulary; a piece not in it becomes the unknown token.
// Matches p1atdev/danbooru-tags-transformer train/tokenizer/train_tokenizer.py and dartrs'
// DartTokenizer ("1girl, cat ears" -> two ids). llama.cpp's GGUF vocabularies cannot express this, so
// Tagmetry tokenizes and feeds the ids to the model.
//
// An immutable DartTokenizer is safe to share between threads.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

class DartTokenizer {
 public:
  // Parses tokenizer.json text. Errors (kCorrupt) name `source` and say what is missing (a model that is
  // not WordLevel, no vocabulary, no unknown token).
  static Result<DartTokenizer> parse(std::string_view json_text, std::string_view source);
  static Result<DartTokenizer> load(const std::filesystem::path& tokenizer_json);

  // Token ids of `text` (see the steps above). Never fails: unknown pieces become unk_id().
  std::vector<int32_t> encode(std::string_view text) const;
  // The token's text ("1girl", "<general>"), or "" for an id outside the vocabulary.
  const std::string& token(int32_t id) const;
  // The id of `token` taken whole (no splitting, no lower-casing), or -1.
  int32_t id(std::string_view token) const;
  // True for added/special tokens (<|bos|>, </general>, <|reserved_3|>, ...).
  bool is_special(int32_t id) const;
  // The tags of `ids` in order: special tokens and ids outside the vocabulary skipped (as
  // decode(skip_special_tokens=True) does).
  std::vector<std::string> decode_tags(const std::vector<int32_t>& ids) const;

  int32_t unk_id() const { return unk_id_; }
  // Number of ids (the largest id + 1).
  size_t size() const { return id_to_token_.size(); }

 private:
  std::vector<std::string> id_to_token_;
  std::vector<bool> special_;
  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::pair<std::string, int32_t>> added_;  // longest first, for the literal cut
  bool lowercase_ = false;  // ASCII lower-casing (Dart's vocabulary is lower case; non-ASCII letters stay)
  enum class Split { kNone, kCommaSpaces, kRegex };
  Split split_ = Split::kNone;                       // the pre-tokenizer
  std::shared_ptr<const std::regex> split_regex_;    // for kRegex (another Split pattern)
  int32_t unk_id_ = -1;

  void encode_piece_list(std::string_view text, std::vector<int32_t>& out) const;
};

}  // namespace tagmetry
