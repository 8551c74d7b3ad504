#pragma once
// One llama.cpp model + context on the CPU, driven with token ids (the caller tokenizes). Private to
// src/llm. Built only with llama.cpp (TAGMETRY_HAVE_LLAMA); without it load() says why it is unavailable.
// Not thread-safe: one runner per thread.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

// Empty when llama.cpp is built in; otherwise why `complete` is unavailable (and how to get it).
std::string llama_unavailable_reason();

// What a GGUF's metadata says about its vocabulary, read without loading the model (gguf.h). `readable`
// is false for a file gguf cannot parse (the model load then reports why).
struct GgufVocabInfo {
  bool readable = false;
  std::string tokenizer_model;  // tokenizer.ggml.model: "llama", "gpt2", "none" or "" (absent)
  bool tipo_tokens = false;     // has <|gen_meta|> (TIPO's added tokens)
  bool dtg_tokens = false;      // has <|input_end|> (DanTagGen's)
};
GgufVocabInfo read_gguf_vocab_info(const std::filesystem::path& gguf);

class LlamaRunner {
 public:
  ~LlamaRunner();
  // Loads a GGUF (memory-mapped). n_ctx: context length (0: the model's, capped at 4096); n_threads <= 0:
  // the number of CPU cores. Errors name the file: kNotFound, kCorrupt (not a GGUF, truncated, or an
  // architecture llama.cpp cannot run, with llama.cpp's own message), kUnsupported (no llama.cpp).
  static Result<std::unique_ptr<LlamaRunner>> load(const std::filesystem::path& gguf, int n_ctx = 0,
                                                    int n_threads = 0);

  int32_t n_vocab() const;
  int n_ctx() const;
  // The GGUF's general.architecture ("llama").
  const std::string& architecture() const { return arch_; }

  // Whether the GGUF carries a vocabulary (TIPO, DanTagGen); a converted Dart GGUF has none
  // (tokenizer.ggml.model = none) and is driven with Tagmetry's token ids.
  bool has_vocabulary() const;
  // Whether the vocabulary has a token spelled exactly `text` ("<|gen_meta|>").
  bool has_token(const std::string& text) const;
  // The model's own tokenization of `text` (llama_tokenize with add_special and parse_special: BOS when
  // the model adds one, "<|long|>" as its single id). Requires has_vocabulary().
  Result<std::vector<int32_t>> tokenize(const std::string& text) const;
  // The text of one token, special tokens included ("</s>", "<|input_end|>"); a byte token gives its byte.
  std::string piece(int32_t token) const;
  // End of generation (EOS, EOT, ...).
  bool is_end(int32_t token) const;

  // Clears the context and evaluates `prompt`. Returns the logits after its last token (n_vocab floats,
  // valid until the next call).
  Result<const float*> start(const std::vector<int32_t>& prompt);
  // Appends one token and returns the logits after it.
  Result<const float*> next(int32_t token);

 private:
  LlamaRunner() = default;
  Result<const float*> decode(std::vector<int32_t> tokens);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string arch_;
  std::string path_;
  int n_past_ = 0;
};

}  // namespace tagmetry
