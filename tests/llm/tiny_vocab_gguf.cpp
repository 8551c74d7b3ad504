#include "tiny_vocab_gguf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>

#include "spm_vocab.h"
#include "tagmetry/gguf_writer.h"

namespace tagmetry::testing {
namespace {

void append_f32(std::string& out, float v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}

// Code points of a UTF-8 string, each as its bytes.
std::vector<std::string> code_points(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0) n = 4;
    else if (c >= 0xE0) n = 3;
    else if (c >= 0xC0) n = 2;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace

void write_tiny_vocab_gguf(const std::filesystem::path& path, const std::string& family,
                           const std::vector<std::pair<std::string, std::string>>& chain) {
  SpmVocab v = base_spm_vocab();
  const std::vector<std::string> added = kgen_added_tokens(family);
  auto is_special = [&](const std::string& t) {
    return std::find(added.begin(), added.end(), t) != added.end() || t.rfind("<0x", 0) == 0 || t == "</s>";
  };
  for (auto& [a, b] : chain)
    for (const std::string* w : {&a, &b}) {
      if (is_special(*w)) continue;
      std::string prefix;
      for (auto& cp : code_points(*w)) {
        prefix += cp;
        v.add(prefix, kTokenNormal);
      }
    }
  for (auto& t : added) v.add(t, kTokenControl);

  const int64_t n_vocab = v.size();
  auto& id = v.id;
  const int64_t n_embd = (n_vocab + 31) / 32 * 32, n_head = 4, n_ff = 32;
  std::vector<int32_t> next(n_vocab, id["</s>"]);
  for (auto& [a, b] : chain) {
    ASSERT_TRUE(id.count(a) && id.count(b)) << a << " -> " << b;
    next[id[a]] = id[b];
  }

  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_string("general.name", "tiny-" + family);
  w.add_u32("llama.vocab_size", static_cast<uint32_t>(n_vocab));
  w.add_u32("llama.context_length", 512);
  w.add_u32("llama.embedding_length", static_cast<uint32_t>(n_embd));
  w.add_u32("llama.block_count", 1);
  w.add_u32("llama.feed_forward_length", static_cast<uint32_t>(n_ff));
  w.add_u32("llama.attention.head_count", static_cast<uint32_t>(n_head));
  w.add_u32("llama.attention.head_count_kv", static_cast<uint32_t>(n_head));
  w.add_u32("llama.rope.dimension_count", static_cast<uint32_t>(n_embd / n_head));
  w.add_f32("llama.rope.freq_base", 10000.0f);
  w.add_f32("llama.attention.layer_norm_rms_epsilon", 1e-6f);
  add_spm_vocab(w, v);

  auto matrix = [&](std::string name, int64_t rows, int64_t cols, std::function<float(int64_t, int64_t)> f) {
    w.add_tensor(std::move(name), {cols, rows}, GgufType::kF32, [rows, cols, f](std::string& out) {
      out.reserve(static_cast<size_t>(rows * cols * 4));
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) append_f32(out, f(r, c));
    });
  };
  auto ones = [&](std::string name) {
    w.add_tensor(std::move(name), {n_embd}, GgufType::kF32, [n_embd](std::string& out) {
      for (int64_t i = 0; i < n_embd; ++i) append_f32(out, 1.0f);
    });
  };
  auto zero = [](int64_t, int64_t) { return 0.0f; };
  matrix("token_embd.weight", n_vocab, n_embd, [](int64_t r, int64_t c) { return r == c ? 1.0f : 0.0f; });
  ones("output_norm.weight");
  matrix("output.weight", n_vocab, n_embd, [&next](int64_t r, int64_t c) {
    return c < static_cast<int64_t>(next.size()) && next[c] == r ? 1.0f : 0.0f;
  });
  ones("blk.0.attn_norm.weight");
  ones("blk.0.ffn_norm.weight");
  for (const char* t : {"attn_q", "attn_k", "attn_v", "attn_output"})
    matrix(std::string("blk.0.") + t + ".weight", n_embd, n_embd, zero);
  matrix("blk.0.ffn_gate.weight", n_ff, n_embd, zero);
  matrix("blk.0.ffn_up.weight", n_ff, n_embd, zero);
  matrix("blk.0.ffn_down.weight", n_embd, n_ff, zero);
  auto written = w.write(path);
  ASSERT_TRUE(written.ok()) << written.status().message();
}

}  // namespace tagmetry::testing
