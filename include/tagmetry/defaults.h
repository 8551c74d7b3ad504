#pragma once
// Defaults and limits that several modules share, each declared here once: the tagger's default
// thresholds and kohya's CLIP token limits. Params structs, the model registry, the store's columns and
// (through `tagmetry options --typescript`) the web app take them from here.

namespace tagmetry {

// The default probability thresholds of a WD tagger: general tags 0.35 (SmilingWolf's model cards),
// character tags 0.85 (SmilingWolf's wd-tagger demo default).
inline constexpr double kDefaultGeneralThreshold = 0.35;
inline constexpr double kDefaultCharacterThreshold = 0.85;

// kohya's token budget per 77-token chunk: 75 tokens plus BOS and EOS.
inline constexpr int kClipChunkTokens = 75;
// kohya's --max_token_length: one, two or three chunks (75, 150 or 225 tokens).
inline constexpr bool is_kohya_max_token_length(int n) {
  return n == kClipChunkTokens || n == 2 * kClipChunkTokens || n == 3 * kClipChunkTokens;
}

}  // namespace tagmetry
