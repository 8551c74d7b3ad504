// The training set kohya-ss sd-scripts assembles (library/train_util.py glob_images,
// DreamBoothDataset.__init__; library/config_util.py generate_dreambooth_subsets_config_by_subdirs and
// its subset → dataset → general → command-line fallbacks; sd-scripts 48d368f, 2026-02).
#include <algorithm>
#include <cstdlib>

#include "tagmetry/kohya_bucket_report.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

const Operation<KohyaBucketsParams>& kohya_buckets_operation() {
  static const Operation<KohyaBucketsParams> op{
      {"buckets", "Show kohya's aspect-ratio buckets, resize and crop of every image, and the step count",
       "GET /api/buckets", "buckets.md"},
      [] {
        using P = KohyaBucketsParams;
        OptionSet<P> s;
        add_kohya_buckets_options(s);
        s.group("Output");
        s.add("images", &P::images, "List every image with its bucket, resized size, cut and scale");
        s.add("html", &P::html, "Also write an HTML page: bucket histogram, every image with the cut-away part shaded");
        return s;
      }()};
  return op;
}

const OptionSet<KohyaBucketsParams>& kohya_buckets_options() { return kohya_buckets_operation().options; }

namespace {

// sd-scripts' IMAGE_EXTENSIONS (without the optional .avif/.jxl plugins).
const std::vector<std::string>& image_extensions() {
  static const std::vector<std::string> exts = {".png", ".jpg", ".jpeg", ".webp", ".bmp",
                                                ".PNG", ".JPG", ".JPEG", ".WEBP", ".BMP"};
  return exts;
}

bool ends_with_str(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// config_util's extract_dreambooth_params: "10_sks woman" → (10, "sks woman"); 0 when not a number.
std::pair<int, std::string> dreambooth_folder(const std::string& name) {
  const size_t us = name.find('_');
  std::string first(trim(name.substr(0, us)));
  char* end = nullptr;
  long n = std::strtol(first.c_str(), &end, 10);
  if (first.empty() || *end != '\0') return {0, ""};
  return {static_cast<int>(std::clamp<long>(n, -1, 1000000)), us == std::string::npos ? "" : name.substr(us + 1)};
}

// Subsets from a kohya train_data_dir / reg_data_dir (sorted by name; kohya takes the file system's order).
std::vector<KohyaSubset> subdir_subsets(const fs::path& base, bool is_reg) {
  std::vector<KohyaSubset> out;
  std::error_code ec;
  if (base.empty() || !fs::is_directory(base, ec)) return out;
  std::vector<fs::path> dirs;
  for (auto& e : fs::directory_iterator(base, ec))
    if (e.is_directory(ec)) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (auto& d : dirs) {
    auto [repeats, class_tokens] = dreambooth_folder(d.filename().string());
    if (repeats < 1) continue;
    KohyaSubset s;
    s.image_dir = d;
    s.num_repeats = repeats;
    s.class_tokens = class_tokens;
    s.is_reg = is_reg;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::vector<fs::path> kohya_glob_images(const fs::path& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // glob's "*" skips hidden names
    for (auto& ext : image_extensions())
      if (ends_with_str(name, ext)) {
        found.push_back(e.path().string());
        break;
      }
  }
  std::sort(found.begin(), found.end());  // Python sorts str by code point = UTF-8 byte order
  return {found.begin(), found.end()};
}

Result<KohyaTrainingSet> kohya_training_set(const fs::path& dir, const KohyaBucketsParams& params) {
  KohyaTrainingSet set;
  TM_ASSIGN_OR_RETURN(auto reso, parse_kohya_resolution(params.resolution));
  KohyaBucketSettings cli;
  cli.width = reso.first;
  cli.height = reso.second;
  cli.enable_bucket = !params.no_bucket;
  cli.min_bucket_reso = params.min_bucket_reso;
  cli.max_bucket_reso = params.max_bucket_reso;
  cli.bucket_reso_steps = params.bucket_reso_steps;
  cli.bucket_no_upscale = params.bucket_no_upscale;
  if (params.batch_size < 1) return invalid_argument("--batch-size must be at least 1");
  if (params.gradient_accumulation_steps < 1) return invalid_argument("--gradient-accumulation-steps must be at least 1");
  if (params.num_processes < 1) return invalid_argument("--num-processes must be at least 1");

  std::vector<KohyaDatasetSettings> dataset_settings;
  fs::path config = params.config;
  std::error_code ec;
  if (config.empty() && fs::is_regular_file(dir / "dataset_config.toml", ec)) config = dir / "dataset_config.toml";
  if (!config.empty()) {
    TM_ASSIGN_OR_RETURN(KohyaDatasetConfig c, read_kohya_dataset_config(config));
    dataset_settings = c.datasets;
    set.subsets = c.subsets;
    set.warnings = c.warnings;
  } else {
    dataset_settings.resize(1);
    if (!fs::is_directory(dir, ec)) return not_found(dir.string() + ": not a folder");
    if (!kohya_glob_images(dir).empty() || subdir_subsets(dir, false).empty()) {
      KohyaSubset s;
      s.image_dir = dir;
      s.num_repeats = params.num_repeats;
      set.subsets.push_back(s);
    } else {
      set.subsets = subdir_subsets(dir, false);
    }
    for (auto& s : subdir_subsets(params.reg_data_dir, true)) set.subsets.push_back(s);
    if (!params.reg_data_dir.empty() && !fs::is_directory(params.reg_data_dir, ec))
      return not_found(params.reg_data_dir + ": --reg-data-dir is not a folder");
  }

  for (size_t di = 0; di < dataset_settings.size(); ++di) {
    const KohyaDatasetSettings& d = dataset_settings[di];
    KohyaTrainDataset ds;
    ds.buckets = cli;
    if (d.resolution) std::tie(ds.buckets.width, ds.buckets.height) = *d.resolution;
    if (d.enable_bucket) ds.buckets.enable_bucket = *d.enable_bucket;
    if (d.min_bucket_reso) ds.buckets.min_bucket_reso = *d.min_bucket_reso;
    if (d.max_bucket_reso) ds.buckets.max_bucket_reso = *d.max_bucket_reso;
    if (d.bucket_reso_steps) ds.buckets.bucket_reso_steps = *d.bucket_reso_steps;
    if (d.bucket_no_upscale) ds.buckets.bucket_no_upscale = *d.bucket_no_upscale;
    ds.batch_size = d.batch_size.value_or(params.batch_size);
    const std::string where = dataset_settings.size() > 1 ? "dataset #" + std::to_string(di + 1) + ": " : "";
    if (ds.batch_size < 1) return invalid_argument(where + "batch_size must be at least 1");
    auto bucketer = KohyaBucketer::create(ds.buckets);
    if (!bucketer.ok()) return bucketer.status().with_context(where.empty() ? "buckets" : where.substr(0, where.size() - 2));
    ds.buckets = bucketer->settings();

    // DreamBoothDataset.__init__: register training images, then repeat regularisation images until
    // they match the training images' count.
    long long num_train = 0, num_reg = 0;
    std::vector<KohyaTrainImage> reg;
    for (size_t si = 0; si < set.subsets.size(); ++si) {
      const KohyaSubset& s = set.subsets[si];
      if (s.dataset_index != di) continue;
      const std::string name = s.image_dir.string();
      if (s.num_repeats < 1) {
        set.warnings.push_back(name + ": num_repeats " + std::to_string(s.num_repeats) + " < 1, kohya ignores this subset");
        continue;
      }
      if (!fs::is_directory(s.image_dir, ec)) {
        set.warnings.push_back(name + ": not a folder, kohya ignores this subset");
        continue;
      }
      auto images = kohya_glob_images(s.image_dir);
      if (images.empty()) {
        set.warnings.push_back(name + ": no images kohya loads, kohya ignores this subset");
        continue;
      }
      (s.is_reg ? num_reg : num_train) += static_cast<long long>(s.num_repeats) * static_cast<long long>(images.size());
      for (auto& p : images) {
        KohyaTrainImage img{p, s.num_repeats, s.is_reg, si};
        (s.is_reg ? reg : ds.images).push_back(std::move(img));
      }
    }
    if (num_reg > 0) {
      if (num_train < num_reg) set.warnings.push_back(where + "more regularisation images than training images: kohya leaves some unused");
      const size_t first_reg = ds.images.size();
      long long n = 0;
      bool first_loop = true;
      while (n < num_train) {
        for (size_t i = 0; i < reg.size(); ++i) {
          if (first_loop) {
            ds.images.push_back(reg[i]);
            n += reg[i].num_repeats;
          } else {
            ds.images[first_reg + i].num_repeats += 1;
            n += 1;
          }
          if (n >= num_train) break;
        }
        first_loop = false;
      }
    }
    set.datasets.push_back(std::move(ds));
  }
  size_t total = 0;
  for (auto& ds : set.datasets) total += ds.images.size();
  if (total == 0) return not_found(dir.string() + ": no images kohya would load" + (config.empty() ? "" : " (config " + config.string() + ")"));
  return set;
}

}  // namespace tagmetry
