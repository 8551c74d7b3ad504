#pragma once
// Export a captioned dataset folder as a ready-to-train kohya-ss sd-scripts LoRA project:
//   OUT/img/<repeats>_<trigger> <class>/   images + captions (hard links when possible, else copies)
//   OUT/reg/<repeats>_<class>/            regularisation images (with --reg-dir)
//   OUT/dataset_config.toml               only keys sd-scripts' config schema accepts
//   OUT/metadata.json                     fine-tuning format {full path: {"tags", "caption"}}
//   OUT/train.sh                          accelerate launch train_network.py / sdxl_train_network.py
//   OUT/sample_prompts.txt                kohya sample-prompt format
//   OUT/a1111_prompt.txt                  "<lora:NAME:0.8>, trigger, class, …" for AUTOMATIC1111

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tagmetry/operation.h"
#include "tagmetry/status.h"

namespace tagmetry {

struct KohyaExportParams {
  std::string trigger;             // required
  std::string class_token;         // "woman", "1girl", …; optional
  std::string name;                // LoRA file name (default: the trigger); ASCII letters, digits, _ - .
  int repeats = 10;
  std::optional<int> target_steps; // computes repeats instead
  std::string reg_dir;
  int reg_repeats = 1;
  std::string preset = "sd15";     // sd15 | sdxl
  std::string caption_extension = ".txt";  // of the source captions; kept in the export
  std::string model = "/path/to/model.safetensors";
  bool force = false;              // write into a non-empty OUT
  bool add_trigger = false;        // prepend the trigger to exported caption lines that lack it
                                   // (without it, such captions are an error: kohya would never train it)
  bool recursive = false;          // include subfolders (flattened: sub/a.png → sub_a.png)
  // Policy whose [train_side_recommendation_kohya] goes into dataset_config.toml: a preset name or a
  // TOML file; "" = the one `policy apply` recorded in DATASET/.tagmetry/policy.toml, if any.
  std::string policy;
};

// The operation's declaration (name, summary, options; include/tagmetry/operation.h).
const Operation<KohyaExportParams>& kohya_export_operation();
const OptionSet<KohyaExportParams>& kohya_export_options();

// The training settings of a preset (what train.sh passes).
struct KohyaPreset {
  std::string script;  // train_network.py | sdxl_train_network.py
  int resolution = 512;
  int network_dim = 64, network_alpha = 32, max_train_epochs = 10, train_batch_size = 1,
      gradient_accumulation_steps = 2;
  std::string learning_rate = "1e-4", mixed_precision = "fp16", optimizer_type = "AdamW8bit",
              lr_scheduler = "cosine_with_restarts";
  int clip_skip = 2;  // 0: not passed (SDXL)
  std::vector<std::string> extra_args;
};
Result<KohyaPreset> kohya_preset(const std::string& name);

// Optimizer steps kohya will run: ceil(ceil(images * repeats * (reg ? 2 : 1) / batch) / grad_accum) * epochs.
long long kohya_total_steps(size_t images, int repeats, bool with_reg, const KohyaPreset& preset);
// Smallest repeats (>= 1) whose kohya_total_steps reaches `target_steps`.
int kohya_repeats_for_steps(size_t images, long long target_steps, bool with_reg, const KohyaPreset& preset);

// Errors for names kohya or AUTOMATIC1111 cannot use: an empty trigger, path separators or characters
// Windows forbids in folder names, a LoRA name that is not ASCII [A-Za-z0-9_.-].
Status kohya_check_names(const KohyaExportParams& params);

struct KohyaExportResult {
  std::filesystem::path out;
  size_t images = 0, captions = 0, reg_images = 0, hard_links = 0, copies = 0;
  int repeats = 0;
  long long total_steps = 0;
  std::string a1111_prompt;
  std::vector<std::string> warnings;  // images without captions, captions not starting with the trigger
  // Images not exported, each "relpath: why" (not an image, empty, truncated or corrupt, a caption shared
  // with another image, a name taken by another exported file).
  std::vector<std::string> skipped;
  size_t triggers_added = 0;          // captions that got the trigger (add_trigger)
  std::string policy;                 // the policy whose settings were written ("" = none)
};

// Writes the project. Errors (nothing written): bad names, DIR without images, OUT not empty without
// force, captions lacking the trigger without add_trigger, an unreadable policy. Images kohya could not
// load (a full decode, cached in DATASET/.tagmetry) and images sharing a caption are skipped and named
// in `skipped`; other per-image problems are warnings; the rest is exported.
Result<KohyaExportResult> kohya_export(const std::filesystem::path& dataset_dir, const std::filesystem::path& out,
                                       const KohyaExportParams& params);

// A prompt tag as A1111 and kohya's sample generator read it literally: '(' and ')' escaped with a
// backslash ("hatsune miku (vocaloid)" → "hatsune miku \(vocaloid\)"); already escaped ones kept.
std::string escape_prompt_parentheses(std::string_view tag);

// Quotes a string as a TOML basic string.
std::string toml_quote(std::string_view s);

}  // namespace tagmetry
