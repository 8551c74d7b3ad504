#pragma once
// A caption policy: which tags stay, which go, where the trigger sits, which natural-language lines are
// mixed in, and how kohya should shuffle and drop them — one reviewable TOML file (docs/policy.md).
//
//   [caption_policy]  name, trigger_token, caption_prefix, language_primary, language_secondary
//   [tagging]         engine, threshold, max_tags, remove_underscore, undesired_tags
//   [tags]            always_first, core_tags, drop_if_constant, constant_share, replacements,
//                     merge_aliases, remove_implied
//   [hybrid]          mode, lines, sentence_commas
//   [train_side_recommendation_kohya]  shuffle_caption, keep_tokens, caption_tag_dropout_rate,
//                     caption_dropout_rate, enable_wildcard
//
// Presets (data/policy/<name>.toml): default "hybrid-anchor", sd15 "tag-heavy", sdxl "balanced-hybrid".

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tagmetry/defaults.h"
#include "tagmetry/operation.h"
#include "tagmetry/status.h"

namespace tagmetry {

struct KohyaCaptionParams;
class TagDatabase;
class JaDictionary;

// [train_side_recommendation_kohya]: the subset settings a policy's captions are designed for. The
// kohya export writes them into dataset_config.toml (apply_to() copies them into KohyaCaptionParams).
struct KohyaTrainRecommendation {
  bool shuffle_caption = true;
  int keep_tokens = 1;
  double caption_tag_dropout_rate = 0.10;
  double caption_dropout_rate = 0.0;
  bool enable_wildcard = true;

  // Copies the five values into a subset's caption settings (other fields untouched).
  void apply_to(KohyaCaptionParams& params) const;
  // The five keys as TOML lines ("shuffle_caption = true\n…"), for a [[datasets.subsets]] table.
  std::string to_toml() const;
};

struct CaptionPolicy {
  // [caption_policy]
  std::string name = "custom";
  std::string trigger_token;          // first item of every line when non-empty
  std::string caption_prefix;         // item after the trigger on every line ("" = none)
  std::string language_primary = "en";
  std::string language_secondary;     // "ja" or ""
  // [tagging] (engine/threshold are recorded for `tagmetry tag`; apply uses max_tags and the rest)
  std::string engine = "wd-eva02-large-tagger-v3";
  double threshold = kDefaultGeneralThreshold;
  int max_tags = 40;                  // tags per {TAGS} line after the trigger and prefix; 0 = no limit
  bool remove_underscore = true;      // "long_hair" → "long hair" (tags of 3 bytes or less kept: "^_^")
  std::vector<std::string> undesired_tags;  // '*' wildcards ("rating:*")
  // [tags]
  std::vector<std::string> always_first;    // moved to the front in this order when present
  std::vector<std::string> core_tags;       // kept after always_first; never dropped or cut by max_tags
  bool drop_if_constant = false;            // drop tags present in >= constant_share of the images
  double constant_share = 0.9;
  std::vector<std::pair<std::string, std::string>> replacements;  // from → to ("" removes), in order
  bool merge_aliases = true;          // "Long Hair", "long hair" → long_hair; database aliases resolved
  bool remove_implied = true;         // very_long_hair makes long_hair redundant (data/policy/implications.csv)
  // [hybrid]
  std::string mode = "multiline_random";    // multiline_random: every line; single: the first line only
  std::vector<std::string> lines = {"{TAGS}"};  // {TAGS} {EN_SENTENCE} {EN_SENTENCE_DETAILED} {JA_SENTENCE}
  bool sentence_commas = false;       // false: sentences have no ',' so kohya's split keeps them whole
  // [train_side_recommendation_kohya]
  KohyaTrainRecommendation kohya;
};

// Names of the shipped presets: "default", "sd15", "sdxl".
const std::vector<std::string>& policy_preset_names();

// The TOML text of a preset (data/policy/<name>.toml). Errors for unknown names (listing the valid ones).
Result<std::string> policy_preset_text(std::string_view name);

// Parses policy TOML. Unknown tables or keys and values of the wrong type or range are errors naming
// the key and line ("policy.toml:7: [tags] drop_if_constnt: unknown key"). `source` names the text.
Result<CaptionPolicy> parse_caption_policy(std::string_view toml_text, std::string_view source);
Result<CaptionPolicy> load_caption_policy(const std::filesystem::path& path);
Result<CaptionPolicy> load_policy_preset(std::string_view name);

// Tag implications (implying → implied), e.g. very_long_hair → long_hair. Loaded from
// data/policy/implications.csv ("implying,implied" rows, '#' comments).
struct TagImplications {
  std::vector<std::pair<std::string, std::string>> pairs;
  static Result<TagImplications> load_default();
  static Result<TagImplications> parse(std::string_view csv, std::string_view source);
};

// True when `tag` matches `pattern` where '*' matches any run of characters (case-sensitive).
bool wildcard_match(std::string_view pattern, std::string_view tag);

// Resources the policy uses; each may be null (aliases then only normalise spelling; {JA_SENTENCE}
// falls back to the built-in words).
struct PolicyResources {
  const TagDatabase* tags = nullptr;
  const JaDictionary* ja = nullptr;
  const TagImplications* implications = nullptr;
};

// The per-image tag pipeline up to ordering and max_tags: normalise/merge aliases, replacements,
// undesired, implied, then `drop` (tags to drop because they are constant over the dataset), order
// (always_first, core_tags, rest) and max_tags. Tags are returned in Danbooru spelling (underscores).
std::vector<std::string> select_policy_tags(const CaptionPolicy& policy, const std::vector<std::string>& tags,
                                            const PolicyResources& resources,
                                            const std::vector<std::string>& constant_tags = {});

// Normalises and cleans tags (the first steps of select_policy_tags, without constant-drop, ordering
// and max_tags); used to measure which tags are constant over the dataset.
std::vector<std::string> clean_policy_tags(const CaptionPolicy& policy, const std::vector<std::string>& tags,
                                           const PolicyResources& resources);

// Builds the caption lines for one image from its selected tags (as select_policy_tags returns them):
// one line per template of policy.lines (or only the first in "single" mode), the trigger and
// caption_prefix first on each. A template may mix text and placeholders.
std::vector<std::string> render_policy_lines(const CaptionPolicy& policy, const std::vector<std::string>& tags,
                                             const PolicyResources& resources);

// Tags written as kohya sees them with remove_underscore (3-byte tags such as "^_^" are kept).
std::string display_tag(const CaptionPolicy& policy, const std::string& tag);

struct PolicyApplyParams {
  bool dry_run = false;        // compute and report, write nothing (takes no lock)
  bool from_current = false;   // use the current captions as the source (re-baseline the originals)
  bool recursive = false;
  std::string caption_extension = ".txt";
  // A multi-line policy without a trigger_token takes the dataset's trigger (the first tag of at least
  // 80% of the source captions, unless it is a known Danbooru tag or in always_first) or refuses;
  // allow_no_trigger writes the lines without one instead.
  bool allow_no_trigger = false;
  std::string db;            // database file holding the journal; empty = DATASET/.tagmetry/tagmetry.db
  std::string command_line;  // recorded in the journal
};

// `tagmetry policy apply DIR`: which policy, what the CLI loads for it, and how it is applied.
struct PolicyApplyCommandParams : PolicyApplyParams {
  std::string dir;          // dataset folder (positional)
  std::string preset;       // a shipped policy ("default", "sd15", "sdxl"), or
  std::string policy;       // a policy TOML file (exactly one of the two)
  std::string trigger;      // overrides the policy's trigger_token
  std::string tags_db;      // tag list for alias merging ("" = the shipped one)
  bool no_tags_db = false;  // do not load a tag list
  bool json = false;
};

// The declaration of `tagmetry policy apply` (docs/policy.md).
const Operation<PolicyApplyCommandParams>& policy_apply_operation();

struct PolicyFileChange {
  std::string file;    // caption path relative to the dataset root
  std::string before;  // full caption text before
  std::string after;   // full caption text after
};

struct PolicyApplyReport {
  size_t images = 0, captions = 0;
  size_t changed = 0;                       // captions written (or that would be, with dry_run)
  std::string trigger;                      // the trigger used on every line ("" = none)
  bool trigger_detected = false;            // found in the captions, not given
  std::vector<std::string> constant_tags;   // dropped by drop_if_constant
  std::vector<PolicyFileChange> changes;    // changed files, dataset order
  std::vector<std::pair<std::string, std::string>> skipped;  // file, reason (not counted in `changed`)
  // Captions changed since the policy last wrote them (by retag, edit, undo or by hand): their current text
  // is the new source and .tagmetry/originals was refreshed from it.
  std::vector<std::string> refreshed;
  // Captions whose source had further lines (hand-written sentences) that the policy's lines replace.
  std::vector<std::string> replaced_lines;
};

// Applies the policy to every captioned image under `root` as one journaled operation "policy", holding
// the dataset lock (undo reverts it). The source tags of each image are its original caption's first line:
// the first apply saves every caption to ROOT/.tagmetry/originals/<relpath> before rewriting it, and later
// applies read from there — as long as the caption is still what the policy last wrote (per the journal);
// a caption changed since is its own new source (report.refreshed). Presets can so be switched and
// re-applied without compounding, and without undoing a retag. Unchanged files are not rewritten.
// Per-file problems go to `skipped`. Errors: a bad root, another run holding the lock (kBusy), a
// multi-line policy with no trigger given or found (kInvalidArgument, unless allow_no_trigger).
Result<PolicyApplyReport> apply_caption_policy(const std::filesystem::path& root, const CaptionPolicy& policy,
                                               const PolicyResources& resources, const PolicyApplyParams& params);

// A1111 prompt syntax around a tag removed: "(blue hair:1.2)" → "blue hair", "((masterpiece))" →
// "masterpiece", "[smile]" → "smile", "hatsune miku \(vocaloid\)" → "hatsune miku (vocaloid)".
std::string strip_prompt_weight(std::string_view tag);

}  // namespace tagmetry
