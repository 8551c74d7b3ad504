#pragma once
// kohya-ss sd-scripts dataset_config.toml (DreamBooth-style subsets): reading it the way
// library/config_util.py does (subset → dataset → general fallbacks; unknown keys reported), and
// listing a subset's images with the captions kohya would load.

#include <filesystem>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "tagmetry/kohya_caption.h"
#include "tagmetry/status.h"

namespace tagmetry {

// One [[datasets.subsets]] entry with every fallback resolved.
struct KohyaSubset {
  std::filesystem::path image_dir;        // as resolved (see read_kohya_dataset_config)
  std::string caption_extension = ".caption";  // kohya's DreamBooth default
  std::string class_tokens;               // caption of images that have no caption file
  int num_repeats = 1;
  bool is_reg = false;
  KohyaCaptionParams caption;
  size_t dataset_index = 0;
};

// A [[datasets]] entry's own settings (dataset → [general] fallbacks); unset ones fall back to the
// command line in kohya (and to kohya's defaults after that).
struct KohyaDatasetSettings {
  std::optional<std::pair<int, int>> resolution;  // `resolution = 512` or `[768, 512]`
  std::optional<int> batch_size, min_bucket_reso, max_bucket_reso, bucket_reso_steps;
  std::optional<bool> enable_bucket, bucket_no_upscale;
};

struct KohyaDatasetConfig {
  std::vector<KohyaDatasetSettings> datasets;  // one per [[datasets]], in file order
  std::vector<KohyaSubset> subsets;      // all datasets' subsets, in file order
  std::vector<std::string> warnings;     // e.g. keys sd-scripts' schema rejects, fine-tuning subsets skipped
};

// Keys sd-scripts' config schema accepts for DreamBooth datasets (general/dataset level and subset level).
const std::vector<std::string>& kohya_dataset_keys();
const std::vector<std::string>& kohya_subset_keys();

// Parses a dataset_config.toml. A relative image_dir is resolved against the current directory (as
// kohya does) and, when that does not exist, against the config file's folder. Errors name the file
// and the key (TOML syntax errors, wrong value types, a subset without image_dir).
Result<KohyaDatasetConfig> read_kohya_dataset_config(const std::filesystem::path& toml_path);

// Image extensions sd-scripts loads (IMAGE_EXTENSIONS, plus .avif/.jxl when their plugins are present).
bool kohya_is_image(const std::filesystem::path& path);

struct KohyaCaptionedImage {
  std::filesystem::path image;
  std::string caption;          // as kohya holds it before process_caption
  bool has_caption_file = false;
};

// The images of a subset (non-recursive, sorted by name) with their captions read as kohya reads them
// (kohya_caption_from_file_text; class_tokens when the caption file is missing). Unreadable caption
// files are reported in `warnings` and treated as missing.
Result<std::vector<KohyaCaptionedImage>> kohya_subset_images(const KohyaSubset& subset,
                                                             std::vector<std::string>* warnings = nullptr);

}  // namespace tagmetry
