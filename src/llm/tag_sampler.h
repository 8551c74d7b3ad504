#pragma once
// Picks the next token from a model's logits: bans, then temperature, top-k, top-p, min-p (the order of
// Hugging Face generate()'s warpers, which Dart's model card settings assume), then a draw from a
// std::mt19937_64 seeded by the caller, so the same seed gives the same tokens on every platform.
// temperature <= 0 means greedy (the highest logit; ties go to the lowest id). Private to src/llm.

#include <cstdint>
#include <random>
#include <vector>

namespace tagmetry {

struct SamplingSettings {
  double temperature = 1.0;
  int top_k = 100;     // <= 0: off
  double top_p = 1.0;  // >= 1: off
  double min_p = 0.0;  // <= 0: off
  // Hugging Face's RepetitionPenaltyLogitsProcessor, before the rest: the logit of every id in `seen`
  // is divided by this (multiplied when negative). 1: off.
  double repetition_penalty = 1.0;
};

// Returns the chosen id, or -1 when every token is banned. `banned` and `seen` (the ids of the prompt and
// the tokens generated so far, for the repetition penalty) may be shorter than n_vocab.
int32_t sample_token(const float* logits, int32_t n_vocab, const std::vector<bool>& banned,
                     const SamplingSettings& s, std::mt19937_64& rng, const std::vector<bool>& seen = {});

}  // namespace tagmetry
