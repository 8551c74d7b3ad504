#pragma once
// PNG text chunks and A1111's "parameters" infotext: what Tagmetry writes into every generated image so
// that A1111's PNG Info, Civitai and Tagmetry itself read back the prompt, seed and settings.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

// Returns `png` with every text chunk (tEXt, zTXt, iTXt) named `keyword` removed and one new chunk
// holding `text` (UTF-8) inserted right after IHDR: tEXt when the text is Latin-1 (Pillow's
// PngInfo.add_text, which A1111 uses), otherwise an uncompressed iTXt. Errors when `png` is not a PNG.
Result<std::string> set_png_text(std::string_view png, std::string_view keyword, std::string_view text);

// The text of the first tEXt or uncompressed iTXt chunk named `keyword` (tEXt converted from Latin-1 to
// UTF-8); an empty string when there is none. Errors when `png` is not a PNG.
Result<std::string> png_text(std::string_view png, std::string_view keyword);

// "tEXt" or "iTXt": the type of the first text chunk named `keyword`, "" when none.
std::string png_text_chunk_type(std::string_view png, std::string_view keyword);

// The settings of one generated image, as A1111's infotext lists them.
struct Infotext {
  std::string prompt;
  std::string negative;
  int steps = 20;
  std::string sampler;    // "Euler a"
  std::string scheduler;  // "Automatic" ("" omits Schedule type)
  double cfg = 7.0;
  int64_t seed = -1;
  int width = 0, height = 0;
  std::string model_hash;   // first 10 hex digits of the checkpoint's SHA-256, "" when unknown
  std::string model;        // checkpoint name without extension, "" when unknown
  std::string lora_hashes;  // "name: 0123456789ab, …" as A1111 computes it, "" when unknown
  std::vector<std::pair<std::string, std::string>> extra;  // further keys, written before Version
  std::string version;                                     // "" omits Version
};

// A1111's infotext (processing.py create_infotext, 1.10): the prompt line, "Negative prompt: …" (omitted
// when empty), then "Steps: 28, Sampler: Euler a, Schedule type: Automatic, CFG scale: 5, Seed: 1, Size:
// 832x1216, Model hash: …, Model: …, Lora hashes: "…", Version: …", values holding ',', ':' or a newline
// written as JSON strings (infotext_utils.quote).
std::string format_infotext(const Infotext& info);

// A1111's quote(): the value, or a JSON string when it holds ',', ':' or '\n'.
std::string quote_infotext_value(std::string_view value);

// The "Key: value" pairs of an infotext's last line (A1111's parse_generation_parameters re_param; quoted
// values unquoted). Empty when the last line is not a parameters line.
std::vector<std::pair<std::string, std::string>> parse_infotext_parameters(std::string_view infotext);

}  // namespace tagmetry
