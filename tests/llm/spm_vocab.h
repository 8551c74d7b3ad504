#pragma once
// A SentencePiece ("llama") vocabulary for the LLaMA GGUF files the tests and benchmarks write (TIPO /
// DanTagGen shape): <unk> <s> </s>, the 256 byte tokens <0x00>..<0xFF>, the printable ASCII characters and
// "▁", then whatever the caller adds, then the family's added tokens as control tokens. No gtest here: the
// benchmark in bench/complete builds it too.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tagmetry {
class GgufWriter;
}

namespace tagmetry::testing {

// llama.cpp's llama_token_type values.
constexpr int32_t kTokenNormal = 1, kTokenUnknown = 2, kTokenControl = 3, kTokenByte = 6;

struct SpmVocab {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::map<std::string, int32_t> id;
  // Adds `text` unless it is already there; returns its id.
  int32_t add(const std::string& text, int32_t type);
  int32_t size() const { return static_cast<int32_t>(tokens.size()); }
};

// The base: <unk> <s> </s>, byte tokens, printable ASCII, "▁".
SpmVocab base_spm_vocab();
// The family's added tokens in their published order: "tipo" (<|empty|> .. <|gen_meta|>, ids 32000-32012
// in TIPO) or "dantaggen" (<|input_end|>, <|empty|>, the length tokens).
std::vector<std::string> kgen_added_tokens(const std::string& family);
// Writes tokenizer.ggml.* (model "llama", tokens, scores = length so longer pieces merge first, types,
// unk 0 / bos 1 / eos 2, add_bos).
void add_spm_vocab(GgufWriter& w, const SpmVocab& v);

}  // namespace tagmetry::testing
