#pragma once
// A prompt style: how one model family wants its prompt written, declared as data (data/prompt/<name>.toml,
// docs/prompt.md): the order of tag groups, the quality tags, the default rating tag, whether underscores
// become spaces, the default negative prompt, the sizes the model was trained on, and the suggested sampler,
// scheduler, steps and CFG.
//
//   [style]       name, description, source
//   [prompt]      order, quality, rating, underscores_to_spaces, escape_parentheses, negative
//   [generation]  sampler, scheduler, steps, cfg, size, sizes
//
// Shipped styles: animagine-xl-3.1, animagine-xl-4.0, noobai-xl, illustrious-xl, sd15, none.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

// An image size in pixels.
struct ImageSize {
  int width = 0;
  int height = 0;
  bool operator==(const ImageSize&) const = default;
};

// "832x1216" → {832, 1216}. Both sides must be 64..8192; errors quote the text.
Result<ImageSize> parse_image_size(std::string_view text);
// "2:3" or "1.5" (width / height) → 0.666…; errors quote the text.
Result<double> parse_aspect(std::string_view text);

struct PromptStyle {
  // [style]
  std::string name = "none";
  std::string description;
  std::string source;  // where the conventions come from (model card URL)
  // [prompt]
  // Tag groups in prompt order; each of kPromptGroups exactly once.
  std::vector<std::string> order = {"trigger", "quality", "people",  "character", "copyright",
                                    "artist",  "rating",  "general", "meta"};
  std::vector<std::string> quality;   // quality tags the style adds, written as-is ("masterpiece")
  std::string rating;                 // rating tag added when the request has none ("safe"), or ""
  bool underscores_to_spaces = true;  // "blue_hair" → "blue hair" (kaomoji such as ^_^ kept)
  bool escape_parentheses = true;     // "star_(sky)" → "star \(sky\)", as A1111 reads it literally
  std::string negative;               // default negative prompt, A1111 syntax, written as-is
  // [generation]
  std::string sampler = "Euler a";  // A1111 sampler name
  std::string scheduler = "Automatic";
  int steps = 20;
  double cfg = 7.0;
  ImageSize size{1024, 1024};    // default size
  std::vector<ImageSize> sizes;  // sizes the model was trained on; empty: any multiple of 8
};

// The tag groups a style's `order` lists.
inline const std::vector<std::string> kPromptGroups = {"trigger", "quality", "people",  "character", "copyright",
                                                       "artist",  "rating",  "general", "meta"};

// Parses a style's TOML text. Errors name `source`, the line, the table and the key.
Result<PromptStyle> parse_prompt_style(std::string_view toml_text, std::string_view source);

// The shipped style names, in the order --help lists them.
const std::vector<std::string>& prompt_style_names();

// Loads a shipped style by name (data/prompt/<name>.toml) or, when `name_or_path` ends in .toml, that file.
// Unknown names list the shipped ones.
Result<PromptStyle> load_prompt_style(std::string_view name_or_path);

// The size in `style.sizes` nearest to `aspect` (width / height; closest log-ratio, then closest to the
// default size's area). Without a size list: the default size's area at that aspect, multiples of 64.
ImageSize nearest_size(const PromptStyle& style, double aspect);
// The allowed size nearest to `wanted` (closest aspect, then closest area); `wanted` rounded to a multiple
// of 8 when the style has no size list.
ImageSize nearest_size(const PromptStyle& style, ImageSize wanted);

}  // namespace tagmetry
