#pragma once
// A tiny one-layer LLaMA GGUF with a SentencePiece ("llama") vocabulary, written by the tests: the shape of
// a TIPO / DanTagGen GGUF (their added tokens included) whose greedy decoding follows a known bigram chain.
//
// Vocabulary: <unk> <s> </s>, the 256 byte tokens <0x00>..<0xFF>, the printable ASCII characters and "▁",
// every word of `chain` with all its prefixes (so SentencePiece merges reach the whole word), then the
// family's added tokens as control tokens. Weights: one-hot token embeddings, attention and MLP all zero
// (the residual stream is the current token's embedding), and an output matrix whose row `b` has a 1 in
// column `a` for each chain link a -> b; every other token is followed by </s>. So after a prompt the
// model writes the chain from the prompt's last token, whatever came before.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace tagmetry::testing {

// Writes the GGUF. `family` is "tipo" (adds <|gen_meta|> and TIPO's other added tokens) or "dantaggen"
// (<|input_end|>, <|empty|>, the length tokens). `chain` lists links between token texts ("▁ears" ->
// ",▁smile"); texts that are byte tokens ("<0x0A>") or added tokens are used as they are. Fails the
// current test (ADD_FAILURE) when writing fails.
void write_tiny_vocab_gguf(const std::filesystem::path& path, const std::string& family,
                           const std::vector<std::pair<std::string, std::string>>& chain);

}  // namespace tagmetry::testing
