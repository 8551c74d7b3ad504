#pragma once
// The CLIP BPE tokenizer of OpenAI CLIP ViT-L/14 (49,408 tokens), the text encoder tokenizer of SD1.x and
// the first one of SDXL. Matches openai/CLIP simple_tokenizer.py (and Hugging Face CLIPTokenizer, which
// kohya-ss sd-scripts uses) token for token:
//   text → NFC, fullwidth ASCII → ASCII, curly quotes → straight (the parts of ftfy.fix_text that change
//   tag captions) → whitespace runs to one space, trimmed → lower case → split with the pattern
//   <|startoftext|> | <|endoftext|> | 's|'t|'re|'ve|'m|'ll|'d | \p{L}+ | \p{N} | [^\s\p{L}\p{N}]+
//   → each piece's UTF-8 bytes mapped to CLIP's printable byte alphabet, "</w>" on its last symbol
//   → BPE merges by rank (lowest first, all occurrences left to right) → ids.
// Not reproduced: ftfy's mojibake repair and HTML-entity unescaping ("&amp;" stays three tokens).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/defaults.h"
#include "tagmetry/operation.h"
#include "tagmetry/status.h"

namespace tagmetry {

// kClipChunkTokens and is_kohya_max_token_length(): tagmetry/defaults.h.
inline constexpr int kClipBosId = 49406;  // <|startoftext|>
inline constexpr int kClipEosId = 49407;  // <|endoftext|>
inline constexpr int kClipVocabSize = 49408;

// Thread-safety: every const member may be called concurrently from any number of threads (the word
// cache is internally synchronised). Copying is cheap (shared immutable tables and shared cache).
class ClipTokenizer {
 public:
  // Loads the vocabulary shipped in data/clip/bpe_simple_vocab_16e6.txt.gz (see find_data_file).
  static Result<ClipTokenizer> load_default();
  // Loads a merges file in CLIP's format ("#version" line, then "a b" per line), gzipped or plain.
  static Result<ClipTokenizer> load(const std::filesystem::path& merges_file);
  // Builds from the merges text itself (first line is the version header and is skipped).
  static Result<ClipTokenizer> from_merges_text(std::string_view text);

  // Token ids of `text`, without BOS/EOS. Invalid UTF-8 bytes are treated as U+FFFD.
  std::vector<int> encode(std::string_view text) const;
  // Number of tokens encode() returns, without building the id list.
  size_t count(std::string_view text) const;
  // The token string for an id ("girl</w>", "1"), in CLIP's byte alphabet; "" for an unknown id.
  const std::string& token_text(int id) const;
  // Decodes ids back into text (byte alphabet undone, "</w>" → space), as CLIP's decode() does.
  std::string decode(const std::vector<int>& ids) const;

  // Splits text into the pre-tokenizer's pieces (after normalisation), for display and tests.
  std::vector<std::string> pre_tokenize(std::string_view text) const;

 private:
  struct Tables;
  struct Cache;
  ClipTokenizer() = default;
  void append_word(std::string_view word, std::vector<int>& out) const;

  std::shared_ptr<const Tables> tables_;
  std::shared_ptr<Cache> cache_;
};

// Normalises text the way the tokenizer sees it (the ftfy subset above, whitespace, lower case).
std::string clip_normalize(std::string_view text);

// Where kohya's chunking puts each token: with max_token_length 75/150/225 the ids are cut into 75-token
// chunks (each wrapped as BOS … EOS), and tokens past max_token_length are silently dropped.
struct ClipChunking {
  size_t total = 0;             // tokens in the text (no BOS/EOS)
  size_t kept = 0;              // tokens the trainer sees: min(total, max_token_length)
  size_t truncated = 0;         // tokens cut off
  std::vector<size_t> chunk_starts;  // index of the first token of each chunk used (0, 75, 150)
};
ClipChunking clip_chunking(size_t total_tokens, int max_token_length);

// `tagmetry tokens TEXT`: CLIP token count of a text, a caption file or stdin ("-").
struct TokensParams {
  std::string text;
  int max_token_length = kClipChunkTokens;  // kohya's --max_token_length (is_kohya_max_token_length)
};
// The operation's declaration (name, summary, options; include/tagmetry/operation.h).
const Operation<TokensParams>& tokens_operation();

}  // namespace tagmetry
