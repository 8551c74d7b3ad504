#pragma once
// `tagmetry preflight` (docs/preflight.md): every way kohya-ss sd-scripts would read a training set-up
// differently from what its author means, found before training: config keys its schema rejects,
// caption files it aborts on or reads partly, images it trains sideways or on another file's caption,
// an unprotected trigger, captions cut at max_token_length, and the step count. Each finding names the
// files and the fix. Reference: sd-scripts 48d368f (2026-02) library/config_util.py, train_util.py.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tagmetry/kohya_bucket_report.h"
#include "tagmetry/operation.h"
#include "tagmetry/options.h"
#include "tagmetry/status.h"

namespace tagmetry {

// The bucket and step settings (KohyaBucketsParams: config, train script, resolution, …) and its own.
struct KohyaPreflightParams : KohyaBucketsParams {
  std::string trigger;       // "" = the first word of the first training subset's class_tokens
  std::optional<int> max_token_length;  // 75 / 150 / 225; unset = the script's, else 75
  bool all_files = false;    // text output: every file of a finding (default: the first 5)
};

// `tagmetry preflight` declared once (include/tagmetry/operation.h).
const Operation<KohyaPreflightParams>& kohya_preflight_operation();
const OptionSet<KohyaPreflightParams>& kohya_preflight_options();  // kohya_preflight_operation().options

// One problem of config_util.ConfigSanitizer's schema (voluptuous), e.g.
// where "[[datasets]] #1 subsets #2", key "is_reg", message "extra keys not allowed".
struct KohyaSchemaProblem {
  std::string where;
  std::string key;
  std::string message;  // "extra keys not allowed", "expected float", "required key not provided"
  std::string fix;
};

// Checks a dataset_config.toml against the schema train_network.py builds (DreamBooth and fine-tuning
// datasets, dropout keys; `controlnet` adds ControlNet/masked-loss subsets, as --masked_loss does).
// Errors for a file that is not TOML.
Result<std::vector<KohyaSchemaProblem>> kohya_check_config_schema(const std::filesystem::path& toml_path,
                                                                  bool controlnet = false);

// A kohya command line (train.sh): the script and its --flags. Backslash-newline continuations, quotes
// and `--flag=value` are understood; shell variables are kept as written.
struct KohyaTrainScript {
  std::string script;                                   // "train_network.py", "sdxl_train_network.py", …
  std::map<std::string, std::optional<std::string>> args;  // "resolution" → "512,512"; flags → nullopt
  bool has(const std::string& name) const { return args.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
};
KohyaTrainScript parse_kohya_train_script(std::string_view text);

struct KohyaPreflightFinding {
  std::string rule;      // "config-key", "empty-caption", … (docs/preflight.md lists them)
  std::string severity;  // "error" (kohya stops), "warning" (kohya trains something else), "info"
  std::string message;
  std::string fix;
  std::vector<std::string> files;
};

struct KohyaPreflightReport {
  std::vector<KohyaPreflightFinding> findings;
  size_t images = 0;          // images kohya would load (registered ones)
  std::string config;         // the config used ("" = none)
  std::string train_script;   // the script read ("" = none)
  KohyaStepCount steps;
  // True when a finding is a warning or an error.
  bool has_findings() const;
  // {"images","config","train_script","steps":{…},"findings":[{"rule","severity","message","fix","files"}]}
  std::string to_json(int indent = 2) const;
};

// The rule ids, in report order.
const std::vector<std::string>& kohya_preflight_rules();

// Runs every check on DIR (a dataset folder, a kohya train_data_dir or an `export kohya` folder).
// `params` names the config and the training script (see apply_kohya_train_script: the script's flags
// override the bucket and step values) and gives the values neither sets. Errors (exit 2): unreadable
// config or script, settings kohya rejects, no images.
Result<KohyaPreflightReport> kohya_preflight(const std::filesystem::path& dir, const KohyaPreflightParams& params = {});

}  // namespace tagmetry
