// Reads sd-scripts dataset_config.toml (library/config_util.py ConfigSanitizer schema, 2026-02).
#include <toml.hpp>

#include <algorithm>
#include <map>
#include <sstream>

#include "tagmetry/files.h"
#include "tagmetry/kohya_config.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

const std::vector<std::string>& kohya_subset_keys() {
  static const std::vector<std::string> keys = {
      "color_aug", "face_crop_aug_range", "flip_aug", "num_repeats", "random_crop", "shuffle_caption",
      "keep_tokens", "keep_tokens_separator", "secondary_separator", "enable_wildcard", "token_warmup_min",
      "token_warmup_step", "caption_prefix", "caption_suffix", "caption_dropout_every_n_epochs",
      "caption_dropout_rate", "caption_tag_dropout_rate", "caption_extension", "class_tokens", "cache_info",
      "alpha_mask", "image_dir", "is_reg"};
  return keys;
}

const std::vector<std::string>& kohya_dataset_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k = {"batch_size", "bucket_no_upscale", "bucket_reso_steps", "enable_bucket",
                                  "max_bucket_reso", "min_bucket_reso", "resolution", "network_multiplier"};
    for (auto& s : kohya_subset_keys())
      if (s != "image_dir" && s != "is_reg") k.push_back(s);
    return k;
  }();
  return keys;
}

namespace {

using Table = toml::value;

// subset → dataset → general, like BlueprintGenerator.search_value.
struct Fallbacks {
  std::vector<const Table*> levels;
  const toml::value* find(const std::string& key) const {
    for (auto* t : levels)
      if (t && t->is_table() && t->contains(key)) return &t->at(key);
    return nullptr;
  }
};

Status get(const Fallbacks& f, const std::string& key, std::string& out) {
  if (auto* v = f.find(key)) {
    if (!v->is_string()) return invalid_argument(key + ": expected a string");
    out = v->as_string().str;
  }
  return {};
}
Status get(const Fallbacks& f, const std::string& key, bool& out) {
  if (auto* v = f.find(key)) {
    if (!v->is_boolean()) return invalid_argument(key + ": expected true or false");
    out = v->as_boolean();
  }
  return {};
}
Status get(const Fallbacks& f, const std::string& key, int& out) {
  if (auto* v = f.find(key)) {
    if (!v->is_integer()) return invalid_argument(key + ": expected an integer");
    out = static_cast<int>(v->as_integer());
  }
  return {};
}
Status get(const Fallbacks& f, const std::string& key, double& out) {
  if (auto* v = f.find(key)) {
    if (v->is_integer()) out = static_cast<double>(v->as_integer());
    else if (v->is_floating()) out = v->as_floating();
    else return invalid_argument(key + ": expected a number");
  }
  return {};
}

void check_keys(const Table& t, const std::vector<std::string>& allowed, const std::string& where,
                std::vector<std::string>& warnings) {
  if (!t.is_table()) return;
  for (auto& [key, value] : t.as_table()) {
    (void)value;
    if (key == "subsets" && where.find("subset") == std::string::npos && where != "[general]") continue;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      warnings.push_back(where + ": key '" + key + "' is not accepted by sd-scripts' config schema");
  }
}

template <class T>
Status get_optional(const Fallbacks& f, const std::string& key, std::optional<T>& out) {
  if (!f.find(key)) return {};
  T v{};
  TM_RETURN_IF_ERROR(get(f, key, v));
  out = v;
  return {};
}

Status read_dataset_settings(const Fallbacks& f, KohyaDatasetSettings& d) {
  if (auto* v = f.find("resolution")) {
    if (v->is_integer()) {
      d.resolution = std::make_pair(static_cast<int>(v->as_integer()), static_cast<int>(v->as_integer()));
    } else if (v->is_array() && v->as_array().size() == 2 && v->as_array()[0].is_integer() &&
               v->as_array()[1].is_integer()) {
      d.resolution = std::make_pair(static_cast<int>(v->as_array()[0].as_integer()),
                                    static_cast<int>(v->as_array()[1].as_integer()));
    } else {
      return invalid_argument("resolution: expected an integer or [width, height]");
    }
  }
  TM_RETURN_IF_ERROR(get_optional(f, "batch_size", d.batch_size));
  TM_RETURN_IF_ERROR(get_optional(f, "min_bucket_reso", d.min_bucket_reso));
  TM_RETURN_IF_ERROR(get_optional(f, "max_bucket_reso", d.max_bucket_reso));
  TM_RETURN_IF_ERROR(get_optional(f, "bucket_reso_steps", d.bucket_reso_steps));
  TM_RETURN_IF_ERROR(get_optional(f, "enable_bucket", d.enable_bucket));
  TM_RETURN_IF_ERROR(get_optional(f, "bucket_no_upscale", d.bucket_no_upscale));
  return {};
}

Status read_subset(const Fallbacks& f, KohyaSubset& s) {
  std::string dir;
  TM_RETURN_IF_ERROR(get(f, "image_dir", dir));
  s.image_dir = dir;
  TM_RETURN_IF_ERROR(get(f, "caption_extension", s.caption_extension));
  TM_RETURN_IF_ERROR(get(f, "class_tokens", s.class_tokens));
  TM_RETURN_IF_ERROR(get(f, "num_repeats", s.num_repeats));
  TM_RETURN_IF_ERROR(get(f, "is_reg", s.is_reg));
  KohyaCaptionParams& c = s.caption;
  TM_RETURN_IF_ERROR(get(f, "caption_prefix", c.caption_prefix));
  TM_RETURN_IF_ERROR(get(f, "caption_suffix", c.caption_suffix));
  TM_RETURN_IF_ERROR(get(f, "shuffle_caption", c.shuffle_caption));
  TM_RETURN_IF_ERROR(get(f, "keep_tokens", c.keep_tokens));
  TM_RETURN_IF_ERROR(get(f, "keep_tokens_separator", c.keep_tokens_separator));
  TM_RETURN_IF_ERROR(get(f, "secondary_separator", c.secondary_separator));
  TM_RETURN_IF_ERROR(get(f, "enable_wildcard", c.enable_wildcard));
  TM_RETURN_IF_ERROR(get(f, "caption_dropout_rate", c.caption_dropout_rate));
  TM_RETURN_IF_ERROR(get(f, "caption_dropout_every_n_epochs", c.caption_dropout_every_n_epochs));
  TM_RETURN_IF_ERROR(get(f, "caption_tag_dropout_rate", c.caption_tag_dropout_rate));
  TM_RETURN_IF_ERROR(get(f, "token_warmup_min", c.token_warmup_min));
  TM_RETURN_IF_ERROR(get(f, "token_warmup_step", c.token_warmup_step));
  return c.validate();
}

}  // namespace

Result<KohyaDatasetConfig> read_kohya_dataset_config(const fs::path& toml_path) {
  TM_ASSIGN_OR_RETURN(std::string text, read_text_file(toml_path));
  toml::value root;
  try {
    std::istringstream in(text);
    root = toml::parse(in, toml_path.string());
  } catch (const std::exception& e) {
    return corrupt(toml_path.string() + ": " + std::string(trim(e.what())));
  }
  KohyaDatasetConfig config;
  static const toml::value kEmpty = toml::table{};
  const toml::value& general = root.contains("general") ? root.at("general") : kEmpty;
  check_keys(general, kohya_dataset_keys(), "[general]", config.warnings);
  for (auto& [key, v] : root.as_table()) {
    (void)v;
    if (key != "general" && key != "datasets")
      config.warnings.push_back("top-level key '" + key + "' is not accepted by sd-scripts' config schema");
  }
  if (!root.contains("datasets")) return invalid_argument(toml_path.string() + ": no [[datasets]]");
  const auto& datasets = root.at("datasets");
  if (!datasets.is_array()) return invalid_argument(toml_path.string() + ": datasets must be an array of tables");
  size_t di = 0;
  for (auto& dataset : datasets.as_array()) {
    const std::string where = "[[datasets]] #" + std::to_string(di + 1);
    check_keys(dataset, kohya_dataset_keys(), where, config.warnings);
    KohyaDatasetSettings settings;
    if (Status st = read_dataset_settings(Fallbacks{{&dataset, &general}}, settings); !st.ok())
      return st.with_context(toml_path.string() + ": " + where);
    config.datasets.push_back(settings);
    if (!dataset.contains("subsets")) {
      config.warnings.push_back(where + ": no subsets");
      ++di;
      continue;
    }
    size_t si = 0;
    for (auto& subset : dataset.at("subsets").as_array()) {
      const std::string swhere = where + " subset #" + std::to_string(++si);
      if (subset.contains("metadata_file")) {
        config.warnings.push_back(swhere + ": fine-tuning subset (metadata_file) skipped");
        continue;
      }
      check_keys(subset, kohya_subset_keys(), swhere, config.warnings);
      KohyaSubset s;
      s.dataset_index = di;
      Fallbacks f{{&subset, &dataset, &general}};
      if (Status st = read_subset(f, s); !st.ok()) return st.with_context(toml_path.string() + ": " + swhere);
      if (s.image_dir.empty()) return invalid_argument(toml_path.string() + ": " + swhere + ": image_dir is required");
      std::error_code ec;
      if (s.image_dir.is_relative() && !fs::is_directory(s.image_dir, ec)) {
        fs::path beside = toml_path.parent_path() / s.image_dir;
        if (fs::is_directory(beside, ec)) s.image_dir = beside;
      }
      config.subsets.push_back(std::move(s));
    }
    ++di;
  }
  return config;
}

bool kohya_is_image(const fs::path& path) {
  static const std::vector<std::string> exts = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".avif", ".jxl"};
  std::string e = to_lower_ascii(path.extension().string());
  return std::find(exts.begin(), exts.end(), e) != exts.end();
}

Result<std::vector<KohyaCaptionedImage>> kohya_subset_images(const KohyaSubset& subset,
                                                             std::vector<std::string>* warnings) {
  std::error_code ec;
  if (!fs::is_directory(subset.image_dir, ec))
    return not_found(subset.image_dir.string() + ": image_dir is not a folder");
  std::vector<fs::path> images;
  for (auto& entry : fs::directory_iterator(subset.image_dir, ec))
    if (entry.is_regular_file(ec) && kohya_is_image(entry.path())) images.push_back(entry.path());
  if (ec) return io_error(subset.image_dir.string() + ": " + ec.message());
  std::sort(images.begin(), images.end(),
            [](const fs::path& a, const fs::path& b) { return natural_less(a.filename().string(), b.filename().string()); });
  std::vector<KohyaCaptionedImage> out;
  for (auto& image : images) {
    KohyaCaptionedImage item;
    item.image = image;
    fs::path cap = image;
    cap.replace_extension(subset.caption_extension);
    if (fs::is_regular_file(cap, ec)) {
      auto text = read_text_file(cap);
      if (text.ok()) {
        item.caption = kohya_caption_from_file_text(*text, subset.caption.enable_wildcard);
        item.has_caption_file = true;
      } else if (warnings) {
        warnings->push_back(text.status().message());
      }
    }
    if (!item.has_caption_file) item.caption = subset.class_tokens;
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace tagmetry
