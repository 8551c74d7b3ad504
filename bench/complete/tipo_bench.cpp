// TIPO-200M-shaped speed bench (issue #15, "Measured"): writes a random-weights Q8_0 GGUF of
// KBlueLeaf/TIPO-200M's shape and times Tagmetry's llama.cpp runner on it the way llama-bench times
// llama.cpp (bench/complete/tipo_bench.sh runs both side by side).
//
//   tipo_bench write OUT.gguf              the model (LLaMA, 20 layers, hidden 768, 12 heads, FFN 2304,
//                                          vocab 32013 with TIPO's added tokens at 32000-32012; untied output)
//   tipo_bench speed GGUF THREADS [PP TG REPS]
//                                          load time (page cache), then per rep: PP random prompt tokens in
//                                          one start() (pp t/s) and TG tokens from an empty context, each
//                                          one next() + Tagmetry's sampler + piece() (tg t/s), with the
//                                          split decode / sample / piece, wall and process CPU time.
// Shape from the published config.json (hidden_size 768, intermediate_size 2304, num_hidden_layers 20,
// num_attention_heads 12, num_key_value_heads 12, vocab_size 32013, max_position_embeddings 2048,
// rope_theta 10000, rms_norm_eps 1e-5, tie_word_embeddings false).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "llama_runner.h"
#include "spm_vocab.h"
#include "tag_sampler.h"
#include "tagmetry/gguf_writer.h"

namespace {

using namespace tagmetry;
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

constexpr int64_t kEmbd = 768, kFf = 2304, kLayers = 20, kHeads = 12, kVocab = 32013, kCtx = 2048;

// 32000 tokens as TIPO's SentencePiece vocabulary has (base pieces, then filler words that decode to
// comma-separated tags of about three tokens: ",▁aN" starts a tag, "▁bN" adds a word, "cN" a suffix), then
// TIPO's 13 added tokens.
testing::SpmVocab tipo_vocab() {
  testing::SpmVocab v = testing::base_spm_vocab();
  for (int i = 0; v.size() < 32000; ++i) {
    const std::string n = std::to_string(i / 3);
    const char* forms[] = {",\xE2\x96\x81" "a", "\xE2\x96\x81" "b", "c"};
    v.add(forms[i % 3] + n, testing::kTokenNormal);
  }
  for (auto& t : testing::kgen_added_tokens("tipo")) v.add(t, testing::kTokenControl);
  return v;
}

int write_model(const std::string& out) {
  testing::SpmVocab vocab = tipo_vocab();
  if (vocab.size() != kVocab) {
    std::fprintf(stderr, "vocabulary has %d tokens, expected %lld\n", vocab.size(), static_cast<long long>(kVocab));
    return 1;
  }
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_string("general.name", "tipo-200m-shape-random");
  w.add_u32("general.file_type", 7);  // LLAMA_FTYPE_MOSTLY_Q8_0
  w.add_u32("llama.vocab_size", kVocab);
  w.add_u32("llama.context_length", kCtx);
  w.add_u32("llama.embedding_length", kEmbd);
  w.add_u32("llama.block_count", kLayers);
  w.add_u32("llama.feed_forward_length", kFf);
  w.add_u32("llama.attention.head_count", kHeads);
  w.add_u32("llama.attention.head_count_kv", kHeads);
  w.add_u32("llama.rope.dimension_count", kEmbd / kHeads);
  w.add_f32("llama.rope.freq_base", 10000.0f);
  w.add_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  testing::add_spm_vocab(w, vocab);

  uint64_t seed = 1;
  // Random N(0, 0.02)-like weights (the initializer_range), quantized to Q8_0 row by row.
  auto q8 = [&](std::string name, int64_t rows, int64_t cols) {
    const uint64_t s = seed++;
    w.add_tensor(std::move(name), {cols, rows}, GgufType::kQ8_0, [rows, cols, s](std::string& out) {
      std::mt19937 rng(static_cast<uint32_t>(s));
      std::uniform_real_distribution<float> d(-0.035f, 0.035f);  // sd 0.02
      std::vector<float> row(static_cast<size_t>(cols));
      out.reserve(gguf_tensor_bytes(GgufType::kQ8_0, static_cast<uint64_t>(rows * cols)));
      for (int64_t r = 0; r < rows; ++r) {
        for (auto& x : row) x = d(rng);
        append_q8_0(out, row.data(), row.size());
      }
    });
  };
  auto ones = [&](std::string name) {
    w.add_tensor(std::move(name), {kEmbd}, GgufType::kF32, [](std::string& out) {
      const float one = 1.0f;
      for (int64_t i = 0; i < kEmbd; ++i) out.append(reinterpret_cast<const char*>(&one), 4);
    });
  };
  q8("token_embd.weight", kVocab, kEmbd);
  ones("output_norm.weight");
  q8("output.weight", kVocab, kEmbd);
  for (int64_t l = 0; l < kLayers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    ones(b + "attn_norm.weight");
    ones(b + "ffn_norm.weight");
    for (const char* t : {"attn_q", "attn_k", "attn_v", "attn_output"}) q8(b + t + ".weight", kEmbd, kEmbd);
    q8(b + "ffn_gate.weight", kFf, kEmbd);
    q8(b + "ffn_up.weight", kFf, kEmbd);
    q8(b + "ffn_down.weight", kEmbd, kFf);
  }
  auto size = w.write(out);
  if (!size.ok()) {
    std::fprintf(stderr, "%s\n", size.status().message().c_str());
    return 1;
  }
  std::printf("%s: %.1f MB, %zu tensors\n", out.c_str(), *size / 1e6, w.tensor_count());
  return 0;
}

int speed(const std::string& gguf, int threads, int pp, int tg, int reps) {
  const auto t0 = Clock::now();
  const double c0 = cpu_now();
  auto loaded = LlamaRunner::load(gguf, 0, threads);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    return 1;
  }
  std::printf("load: %.3f s wall, %.3f s CPU (n_ctx %d)\n", since(t0), cpu_now() - c0, (*loaded)->n_ctx());
  LlamaRunner& r = **loaded;
  const int32_t n_vocab = r.n_vocab();
  std::mt19937 pick(42);
  std::uniform_int_distribution<int32_t> any(3, 31999);
  // TIPO's defaults (completion_sampling_defaults("tipo")).
  const SamplingSettings ss{0.5, 80, 0.95, 0.1, 1.17};
  std::mt19937_64 rng(1);
  // Warm-up like llama-bench: one prompt and one generation step.
  {
    std::vector<int32_t> p(static_cast<size_t>(pp));
    for (auto& t : p) t = any(pick);
    if (!r.start(p).ok() || !r.next(any(pick)).ok()) return 1;
  }
  for (int rep = 0; rep < reps; ++rep) {
    std::vector<int32_t> prompt(static_cast<size_t>(pp));
    prompt[0] = 1;  // BOS, as llama-bench
    for (size_t i = 1; i < prompt.size(); ++i) prompt[i] = any(pick);
    auto t = Clock::now();
    double c = cpu_now();
    if (!r.start(prompt).ok()) return 1;
    const double pp_s = since(t), pp_cpu = cpu_now() - c;

    double decode_s = 0, sample_s = 0, piece_s = 0;
    std::vector<bool> seen(static_cast<size_t>(n_vocab), false);
    std::string text;
    t = Clock::now();
    c = cpu_now();
    auto step = Clock::now();
    auto logits = r.start({1});
    decode_s += since(step);
    for (int i = 0; i < tg; ++i) {
      if (!logits.ok()) return 1;
      step = Clock::now();
      int32_t id = sample_token(*logits, n_vocab, {}, ss, rng, seen);
      sample_s += since(step);
      if (id < 0) id = 3;
      seen[static_cast<size_t>(id)] = true;
      step = Clock::now();
      text += r.piece(id);
      piece_s += since(step);
      if (i + 1 == tg) break;
      step = Clock::now();
      logits = r.next(id);
      decode_s += since(step);
    }
    const double tg_s = since(t), tg_cpu = cpu_now() - c;
    std::printf("rep %d: pp%d %.1f t/s (%.3f s wall, %.3f s CPU) | tg%d %.1f t/s (%.3f s wall, %.3f s CPU; "
                "decode %.3f, sample %.3f, piece %.4f)\n",
                rep + 1, pp, pp / pp_s, pp_s, pp_cpu, tg, tg / tg_s, tg_s, tg_cpu, decode_s, sample_s, piece_s);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "write" && argc == 3) return write_model(argv[2]);
  if (cmd == "speed" && (argc == 4 || argc == 7))
    return speed(argv[2], std::atoi(argv[3]), argc == 7 ? std::atoi(argv[4]) : 512,
                 argc == 7 ? std::atoi(argv[5]) : 128, argc == 7 ? std::atoi(argv[6]) : 3);
  std::fprintf(stderr, "usage: tipo_bench write OUT.gguf | tipo_bench speed GGUF THREADS [PP TG REPS]\n");
  return 2;
}
