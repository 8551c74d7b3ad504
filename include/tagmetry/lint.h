#pragma once
// Dataset lint (`tagmetry lint`, docs/lint.md): problems that silently spoil a LoRA training run, each
// a finding with a rule id, a severity and the files concerned.
//
// Rules (in report order): missing-caption, orphan-caption, unreadable-caption, empty-caption,
// duplicate-tag, empty-tag, weight-syntax, escaped-parenthesis, multiline-no-wildcard, caption-too-long, trigger-missing, trigger-not-first, trigger-many-tokens,
// trigger-common-word, unknown-tag, mixed-underscores, caption-extension, shared-caption,
// unreadable-image, image-too-small, bucket-crop, bucket-upscale, bucket-single, duplicate-image.

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "tagmetry/defaults.h"
#include "tagmetry/operation.h"
#include "tagmetry/status.h"

namespace tagmetry {

class ClipTokenizer;
class TagDatabase;
struct DatasetCorpus;

enum class LintSeverity { kError, kWarning, kInfo };
// "error", "warning", "info".
const char* lint_severity_name(LintSeverity severity);

struct LintFinding {
  std::string rule;
  LintSeverity severity = LintSeverity::kWarning;
  std::string message;
  std::vector<std::string> files;  // relative to the dataset root, '/' separators
};

struct LintParams {
  std::string trigger;            // "" skips the trigger rules
  int resolution = 512;           // training resolution; images with w*h < resolution² are flagged; 0 = off
  double max_bucket_cut = 0.25;   // bucket-crop above this fraction of the resized image cut away
  double max_upscale = 1.5;       // bucket-upscale above this resize factor
  std::string config;             // dataset_config.toml path ("" = none)
  std::string caption_extension = ".txt";
  int max_tokens = kClipChunkTokens;  // caption-too-long limit (kohya's default max_token_length)
  int trigger_max_tokens = 3;     // trigger-many-tokens above this
  size_t max_suggestions = 500;   // distinct unknown tags that get a closest-tag suggestion
};

// `tagmetry lint DIR` (GET /api/lint): the rules' parameters and how the folder is read. The server reads
// its own dataset and takes only the rule options (trigger, resolution, max-tokens).
struct LintCommandParams : LintParams {
  std::string dir;          // the dataset folder (positional)
  bool json = false;
  bool recursive = false;
  std::string tags_db;      // tag list for unknown-tag ("" = the shipped one)
  bool no_tags_db = false;  // skip unknown-tag
  int threads = 0;          // reader threads (0: one per core)
  bool no_decode = false;   // headers only: skip the full decode of each image
  bool no_cache = false;    // decode every image, neither reading nor writing DATASET/.tagmetry/decode-check.tsv
};

// The declaration of `tagmetry lint` (docs/lint.md).
const Operation<LintCommandParams>& lint_operation();
// The options of lint_operation() that choose what the rules check (trigger, resolution, config, max-tokens,
// no-decode, no-cache) under the group "Lint (with --lint)", for a command that lints besides its own
// work (`stats --lint`).
const OptionSet<LintCommandParams>& lint_rule_options();

// The rule ids in report order.
const std::vector<std::string>& lint_rules();

// Runs every rule over a loaded corpus (see dataset_stats.h: load_corpus). `tokenizer` and `tags_db`
// may be null; the rules that need them are then skipped. Findings are in rule order, then by message.
// Errors only for an unreadable --config (named with its path).
Result<std::vector<LintFinding>> lint_dataset(const DatasetCorpus& corpus, const LintParams& params,
                                              const ClipTokenizer* tokenizer, const TagDatabase* tags_db);

// {"findings": [{"rule","severity","message","files"}…]}, as `lint --json` prints it and GET /api/lint
// answers (the server adds each finding's image "ids").
nlohmann::json to_json(const std::vector<LintFinding>& findings);
// to_json(findings) as text (invalid UTF-8 replaced).
std::string lint_to_json(const std::vector<LintFinding>& findings, int indent = 2);

// True when a finding has severity error.
bool lint_has_errors(const std::vector<LintFinding>& findings);

}  // namespace tagmetry
