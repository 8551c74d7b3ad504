#include "spm_vocab.h"

#include <cstdio>

#include "tagmetry/gguf_writer.h"

namespace tagmetry::testing {

int32_t SpmVocab::add(const std::string& text, int32_t type) {
  if (auto it = id.find(text); it != id.end()) return it->second;
  const int32_t n = size();
  id[text] = n;
  tokens.push_back(text);
  types.push_back(type);
  return n;
}

SpmVocab base_spm_vocab() {
  SpmVocab v;
  v.add("<unk>", kTokenUnknown);
  v.add("<s>", kTokenControl);
  v.add("</s>", kTokenControl);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    v.add(name, kTokenByte);
  }
  for (char c = 0x21; c < 0x7f; ++c) v.add(std::string(1, c), kTokenNormal);
  v.add("\xE2\x96\x81", kTokenNormal);  // "▁", SentencePiece's space
  return v;
}

std::vector<std::string> kgen_added_tokens(const std::string& family) {
  if (family == "tipo")
    return {"<|empty|>", "<|very_short|>", "<|short|>", "<|long|>", "<|very_long|>", "<|tag_to_long|>",
            "<|long_to_tag|>", "<|short_to_tag|>", "<|short_to_long|>", "<|tag_to_short_to_long|>",
            "<|short_to_tag_to_long|>", "<|short_to_long_to_tag|>", "<|gen_meta|>"};
  return {"<|input_end|>", "<|empty|>", "<|very_short|>", "<|short|>", "<|long|>", "<|very_long|>"};
}

void add_spm_vocab(GgufWriter& w, const SpmVocab& v) {
  std::vector<float> scores;
  scores.reserve(v.tokens.size());
  for (auto& t : v.tokens) scores.push_back(static_cast<float>(t.size()));  // longer pieces merge first
  w.add_string("tokenizer.ggml.model", "llama");
  w.add_string_array("tokenizer.ggml.tokens", v.tokens);
  w.add_f32_array("tokenizer.ggml.scores", scores);
  w.add_i32_array("tokenizer.ggml.token_type", v.types);
  w.add_u32("tokenizer.ggml.unknown_token_id", 0);
  w.add_u32("tokenizer.ggml.bos_token_id", 1);
  w.add_u32("tokenizer.ggml.eos_token_id", 2);
  w.add_bool("tokenizer.ggml.add_bos_token", true);
  w.add_bool("tokenizer.ggml.add_eos_token", false);
}

}  // namespace tagmetry::testing
