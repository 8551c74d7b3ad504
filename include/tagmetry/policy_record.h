#pragma once
// The caption policy last applied to a dataset, remembered in DATASET/.tagmetry/policy.toml so that
// `export kohya` writes the training settings the captions were designed for (enable_wildcard,
// keep_tokens, dropout) without being told again.

#include <filesystem>
#include <optional>

#include "tagmetry/caption_policy.h"
#include "tagmetry/status.h"

namespace tagmetry {

// DATASET/.tagmetry/policy.toml
std::filesystem::path applied_policy_path(const std::filesystem::path& dataset_root);

// Records `policy` (name, trigger, hybrid lines, [train_side_recommendation_kohya]) as the dataset's
// applied policy, atomically, in a form load_caption_policy reads back.
Status record_applied_policy(const std::filesystem::path& dataset_root, const CaptionPolicy& policy);

// The recorded policy; nullopt when none was recorded; errors for a record that cannot be read.
Result<std::optional<CaptionPolicy>> read_applied_policy(const std::filesystem::path& dataset_root);

}  // namespace tagmetry
