#pragma once
// The Dart v2 prompt (p1atdev/dart-v2-*-sft, completion mode), exactly as the model was trained on it
// (danbooru-tags-transformer src/formatter.py format_sft; dartrs compose_prompt_v2):
//
//   <|bos|><copyright>{copyrights}</copyright><character>{characters}</character><|rating:{r}|>
//   <|aspect_ratio:{a}|><|length:{l}|><general>{general tags}<|identity:{i}|><|input_end|>
//
// (one line; tags joined with ", "). The base (pretrain) models end after <general>{tags}. The model
// answers with more general tags, then </general><|eos|>.

#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

struct DartPromptParts {
  std::vector<std::string> copyrights;
  std::vector<std::string> characters;
  std::vector<std::string> general;
  std::string rating = "general";  // sfw general sensitive nsfw questionable explicit
  std::string aspect = "square";   // ultra_wide wide square tall ultra_tall
  std::string length = "long";     // very_short short medium long very_long
  std::string identity = "none";   // none lax strict (SFT only)
  bool sft = true;                 // false: a base model's prompt (no identity / input_end)
};

// The prompt text. Precondition: the values are valid (see parse_dart_* below).
std::string dart_prompt(const DartPromptParts& parts);

// Dart v2's aspect-ratio token for width:height, r = w / h (danbooru-tags-transformer
// src/aspect_ratio.py): r <= 1/2 ultra_tall, r <= 8/9 tall, r < 9/8 square, r < 2 wide, else ultra_wide.
std::string dart_aspect_ratio(double width, double height);
// Parses "W:H" or "WxH" (832:1216, 16:9) into dart_aspect_ratio(); a name (tall, square, ...) is taken as
// is. kInvalidArgument with the accepted forms otherwise.
Result<std::string> parse_dart_aspect(std::string_view text);

// Validates a rating / length / identity value; kInvalidArgument listing the choices otherwise.
Status check_dart_rating(std::string_view rating);
Status check_dart_length(std::string_view length);
Status check_dart_identity(std::string_view identity);

// The choices, in order (for option declarations and docs).
const std::vector<std::string>& dart_ratings();
const std::vector<std::string>& dart_lengths();
const std::vector<std::string>& dart_identities();

// Dart's length classes count general tags: < 10 very_short, < 20 short, < 30 medium, < 40 long, else
// very_long (danbooru-tags-transformer src/length.py). Returns the most general tags a completion of that
// class keeps: 9, 19, 29, 39, 56 (very_long has no upper bound in training; 56 keeps prompts within 75
// CLIP tokens' reach of three chunks).
int dart_length_cap(std::string_view length);

}  // namespace tagmetry
