// LlamaRunner (src/llm/llama_runner.h) on a small random-weights LLaMA whose attention is not zero: a new
// start() forgets the cells of the previous pass without zeroing them, and must still give exactly the
// logits of a fresh runner; the persistent thread pool gives the same logits as one thread.
#if TAGMETRY_HAVE_LLAMA
#include "llama_runner.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "spm_vocab.h"
#include "tagmetry/gguf_writer.h"
#include "test_support.h"

namespace tagmetry {
namespace {

// Two layers, hidden 64, 4 heads, FFN 128, the base SentencePiece vocabulary; weights uniform in
// [-0.2, 0.2] from a fixed seed, so attention mixes the positions.
void write_random_llama(const std::filesystem::path& path) {
  testing::SpmVocab v = testing::base_spm_vocab();
  const int64_t n_vocab = v.size(), n_embd = 64, n_ff = 128, n_head = 4, n_layer = 2;
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_u32("llama.vocab_size", static_cast<uint32_t>(n_vocab));
  w.add_u32("llama.context_length", 256);
  w.add_u32("llama.embedding_length", n_embd);
  w.add_u32("llama.block_count", n_layer);
  w.add_u32("llama.feed_forward_length", n_ff);
  w.add_u32("llama.attention.head_count", n_head);
  w.add_u32("llama.attention.head_count_kv", n_head);
  w.add_u32("llama.rope.dimension_count", n_embd / n_head);
  w.add_f32("llama.rope.freq_base", 10000.0f);
  w.add_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  testing::add_spm_vocab(w, v);
  uint32_t seed = 7;
  auto matrix = [&](std::string name, int64_t rows, int64_t cols) {
    const uint32_t s = seed++;
    w.add_tensor(std::move(name), {cols, rows}, GgufType::kF32, [rows, cols, s](std::string& out) {
      std::mt19937 rng(s);
      std::uniform_real_distribution<float> d(-0.2f, 0.2f);
      for (int64_t i = 0; i < rows * cols; ++i) {
        const float x = d(rng);
        out.append(reinterpret_cast<const char*>(&x), 4);
      }
    });
  };
  auto ones = [&](std::string name) {
    w.add_tensor(std::move(name), {n_embd}, GgufType::kF32, [n_embd](std::string& out) {
      const float one = 1.0f;
      for (int64_t i = 0; i < n_embd; ++i) out.append(reinterpret_cast<const char*>(&one), 4);
    });
  };
  matrix("token_embd.weight", n_vocab, n_embd);
  ones("output_norm.weight");
  matrix("output.weight", n_vocab, n_embd);
  for (int l = 0; l < n_layer; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    ones(b + "attn_norm.weight");
    ones(b + "ffn_norm.weight");
    for (const char* t : {"attn_q", "attn_k", "attn_v", "attn_output"}) matrix(b + t + ".weight", n_embd, n_embd);
    matrix(b + "ffn_gate.weight", n_ff, n_embd);
    matrix(b + "ffn_up.weight", n_ff, n_embd);
    matrix(b + "ffn_down.weight", n_embd, n_ff);
  }
  auto written = w.write(path);
  ASSERT_TRUE(written.ok()) << written.status().message();
}

// The logits after `prompt` and then after each of `more`, one token at a time.
std::vector<std::vector<float>> run(LlamaRunner& r, const std::vector<int32_t>& prompt,
                                    const std::vector<int32_t>& more) {
  std::vector<std::vector<float>> out;
  auto logits = r.start(prompt);
  EXPECT_TRUE(logits.ok()) << logits.status().message();
  if (!logits.ok()) return out;
  out.emplace_back(*logits, *logits + r.n_vocab());
  for (int32_t t : more) {
    logits = r.next(t);
    EXPECT_TRUE(logits.ok()) << logits.status().message();
    if (!logits.ok()) return out;
    out.emplace_back(*logits, *logits + r.n_vocab());
  }
  return out;
}

TEST(LlamaRunner, ASecondPassGivesExactlyTheLogitsOfAFreshRunner) {
  testing::TempDir dir;
  write_random_llama(dir / "m.gguf");
  const std::vector<int32_t> long_pass = {1, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312};
  const std::vector<int32_t> prompt = {1, 290, 291, 292}, more = {293, 294, 295, 296, 297, 298};
  for (int threads : {1, 2}) {
    auto fresh = LlamaRunner::load(dir / "m.gguf", 0, threads);
    ASSERT_TRUE(fresh.ok()) << fresh.status().message();
    const auto expected = run(**fresh, prompt, more);
    auto reused = LlamaRunner::load(dir / "m.gguf", 0, threads);
    ASSERT_TRUE(reused.ok());
    run(**reused, long_pass, {320, 321, 322});  // fills cells the next pass does not use
    const auto got = run(**reused, prompt, more);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], expected[i]) << "threads " << threads << ", step " << i;
    // The attention does depend on the earlier tokens (the test would not see a leak otherwise).
    EXPECT_NE(got.back(), run(**reused, {1, 200, 201, 202}, more).back());
  }
}

TEST(LlamaRunner, TwoThreadsGiveTheLogitsOfOne) {
  testing::TempDir dir;
  write_random_llama(dir / "m.gguf");
  auto one = LlamaRunner::load(dir / "m.gguf", 0, 1);
  auto two = LlamaRunner::load(dir / "m.gguf", 0, 2);
  ASSERT_TRUE(one.ok() && two.ok());
  const std::vector<int32_t> prompt = {1, 290, 291, 292}, more = {293, 294, 295};
  EXPECT_EQ(run(**two, prompt, more), run(**one, prompt, more));
}

}  // namespace
}  // namespace tagmetry
#endif
