#pragma once
// The tagger models Tagmetry knows by name: where each lives on the Hugging Face Hub (repo, revision,
// files), which preprocessing family it belongs to, and its default thresholds. This table is the one
// place these facts are written down (see docs/models.md); everything else reads it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/defaults.h"
#include "tagmetry/operation.h"
#include "tagmetry/status.h"

namespace tagmetry {

// Preprocessing/label family. kWd: NHWC, BGR, 0-255, probabilities, selected_tags.csv. kJoyTag: NCHW, RGB,
// CLIP mean/std, logits, top_tags.txt. (DESIGN.md "Tagger model specifications".)
enum class ModelType { kWd, kJoyTag };

// Returns "wd" or "joytag".
const char* model_type_name(ModelType type);
// Parses "wd" / "joytag" (case-insensitive); kInvalidArgument otherwise.
Result<ModelType> parse_model_type(std::string_view text);

struct ModelEntry {
  std::string name;                  // short user-facing name: "wd-vit-v3"
  std::vector<std::string> aliases;  // other accepted names: "wd-vit-tagger-v3"
  std::string repo;                  // Hugging Face repo id: "SmilingWolf/wd-vit-tagger-v3"
  std::string revision = "main";     // branch, tag or commit
  ModelType type = ModelType::kWd;
  std::string family;                // "WD v3", "WD14 v2", "JoyTag"
  std::string model_file = "model.onnx";
  std::string labels_file = "selected_tags.csv";  // or "top_tags.txt" (JoyTag)
  double general_threshold = kDefaultGeneralThreshold;
  double character_threshold = kDefaultCharacterThreshold;  // JoyTag has no character category: equal to general
  std::string threshold_source;       // where the defaults come from ("model card: P=R threshold 0.2614")
  std::string description;
  uint64_t approx_bytes = 0;          // approximate size of model_file, for listings and disk checks
  bool is_default = false;            // the model used when none is named
  bool registered = true;             // false for entries made up for an unregistered repo id
};

// All registered models, in display order (WD v3, WD14 v2, JoyTag). Never empty; the reference is valid
// for the program's lifetime. Thread-safe.
const std::vector<ModelEntry>& model_registry();

// The entry marked is_default (wd-vit-v3).
const ModelEntry& default_model();

// Finds a model by short name, alias or repo id (case-insensitive), optionally followed by "@REVISION"
// ("wd-vit-v3@v2.0", "SmilingWolf/wd-vit-tagger-v3@<commit>") which replaces the entry's revision.
// An unregistered "org/name" repo id is accepted only when `type_for_unknown_repo` is given: the entry then
// uses that family's file names and default thresholds (registered = false). Otherwise kNotFound, with a
// message listing the known names.
Result<ModelEntry> find_model(std::string_view name, std::optional<ModelType> type_for_unknown_repo = {});

// True when `name` looks like a Hugging Face repo id ("org/name", one slash, no spaces).
bool looks_like_repo_id(std::string_view name);

// `tagmetry models list|pull|info`: one params struct for the three subcommands (each declares the
// options it takes).
struct ModelsParams {
  std::vector<std::string> names;  // pull: model names or repo ids (positional; "" = the default model)
  std::string name;                // info: a model name, repo id or folder (positional)
  bool json = false;
  bool offline = false;            // never touch the network (also HF_HUB_OFFLINE=1)
  std::string model_type;          // layout of an unregistered repo id or a folder ("", "wd", "joytag")
  bool quantize = false;           // pull: also build the int8 copy
};

// The declarations of `tagmetry models list`, `models pull` and `models info` (docs/models.md).
const Operation<ModelsParams>& models_list_operation();
const Operation<ModelsParams>& models_pull_operation();
const Operation<ModelsParams>& models_info_operation();

}  // namespace tagmetry
