#pragma once
// Prompts and answers of KohakuBlueleaf's tag models TIPO (KBlueLeaf/TIPO-*) and DanTagGen
// (KBlueLeaf/DanTagGen-*), as KGen builds and reads them for tag extension. Port notes: KohakuBlueleaf/KGen
// (2025, commit 8c82b48) src/kgen/executor/tipo.py apply_tipo_prompt / parse_tipo_result (tag-only
// request, mode None, expand), executor/dtg.py apply_dtg_prompt / tag_gen, formatter.py seperate_tags,
// metainfo.py; z-tipo-extension scripts/tipo.py (adds the aspect_ratio line). docs/complete.md.
//
// TIPO, for "1girl, cat ears" with character hatsune miku, copyright vocaloid, 832x1216, long:
//
//   rating: general
//   characters: hatsune miku
//   copyrights: vocaloid
//   aspect_ratio: 0.7
//   target: <|long|>
//   tag: 1girl, cat ears
//
// DanTagGen (delta / delta-rev2, which know the quality line), same request:
//
//   quality: 
//   rating: general
//   artist: <|empty|>
//   characters: hatsune miku
//   copyrights: vocaloid
//   aspect ratio: 0.7
//   target: <|long|>
//   general: 1girl, cat ears<|input_end|>
//
// All functions are pure and thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

class TagDatabase;

// Tags sorted into KGen's categories (formatter.py seperate_tags).
struct KgenTags {
  std::vector<std::string> special;     // 1girl, 2boys, 1other, multiple girls, male focus, ...
  std::vector<std::string> general;
  std::vector<std::string> characters;
  std::vector<std::string> copyrights;
  std::vector<std::string> artist;
  std::vector<std::string> meta;        // absurdres, highres, ...
  std::vector<std::string> quality;     // masterpiece, best quality, newest, score_9, ...
  std::vector<std::string> rating;      // safe general sfw sensitive nsfw explicit (questionable too)
};

// Sorts `tags` as seperate_tags does: special, quality and rating from KGen's lists (metainfo.py), artist,
// character, copyright and meta from the tag database `db` (KGen reads its own tag-list files; null: none
// of those), everything else general. Like KGen, a tag of 4 or more characters is written with spaces for
// underscores ("cat_ears" -> "cat ears", ":3" and "^_^" stay); A1111 escapes "\(" are removed.
KgenTags kgen_separate_tags(const std::vector<std::string>& tags, const TagDatabase* db);

// TIPO's tag-extension prompt: the non-empty meta lines (meta, rating, artist, characters, copyrights,
// quality, in that order), "aspect_ratio: {w/h:.1f}", "target: <|{length}|>" and "tag: {special, general}",
// joined with newlines, without a trailing newline. Precondition: check_kgen_length(length) is ok.
std::string tipo_prompt(const KgenTags& tags, std::string_view length, double aspect);

// DanTagGen's prompt: rating, artist, characters, copyrights (each "<|empty|>" when empty), "aspect ratio:
// {w/h:.1f}", "target: <|{length}|>" and "general: {special}, {general}<|input_end|>"; with
// `quality_line` (delta, delta-rev2) a first line "quality: {quality tags}". Reproduces KGen exactly,
// including "general: , cat ears" when there are no special tags and "quality: " when no quality tag is
// given (its "masterpiece" default never applies to a seperate_tags map).
std::string dtg_prompt(const KgenTags& tags, std::string_view length, double aspect, bool quality_line);

// The tags of the first "tag:" block of a TIPO answer (prompt + completion): blocks are "key: value" lines
// (a line without "key:" continues the block before it, parse_tipo_result's regex); the value is split
// on commas. "<s>" and "</s>" are removed as tokens (KGen's str.strip("<s>") strips those characters,
// which eats a trailing "s" of the last tag: not reproduced).
std::vector<std::string> parse_tipo_tags(std::string_view text);

// True when `text` has a "tag:" block followed by the start of another "key:" line: the tags are complete
// and generation can stop (what follows is a caption or metadata, not read).
bool tipo_tag_block_done(std::string_view text);

// The tags of a DanTagGen answer: the text after the last "<|input_end|>", "<s>"/"</s>" removed, split on
// commas (tag_gen).
std::vector<std::string> parse_dtg_tags(std::string_view text);

// KGen's length classes: very_short short long very_long. kInvalidArgument listing them otherwise
// (Dart's "medium" is named as such).
Status check_kgen_length(std::string_view length);

// Tag counts of KGen (metainfo.py): a TIPO run retries until it has tipo_min_tags (6, 18, 36, 54) and
// keeps at most tipo_max_tags (18, 36, 54, 72); DanTagGen retries until dtg_min_tags (8, 16, 32, 48).
// Precondition: a valid length.
int tipo_min_tags(std::string_view length);
int tipo_max_tags(std::string_view length);
int dtg_min_tags(std::string_view length);

// Width / height from "W:H" or "WxH" (832:1216 -> 0.684...) or a plain ratio ("0.7");
// kInvalidArgument otherwise.
Result<double> parse_aspect_value(std::string_view text);

}  // namespace tagmetry
