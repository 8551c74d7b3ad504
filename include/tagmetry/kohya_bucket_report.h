#pragma once
// `tagmetry buckets` (docs/buckets.md): what kohya-ss sd-scripts will train on, before it trains. The
// training set as kohya assembles it (images found the way its glob_images finds them, repeats,
// regularisation images repeated up to the training images' count), each image's bucket, resize and
// crop (kohya_buckets.h), the buckets' counts and batches, and the step count as train_network.py
// computes it (sd-scripts 48d368f, 2026-02).

#include <filesystem>
#include <optional>
#include <type_traits>
#include <utility>
#include <string>
#include <vector>

#include "tagmetry/kohya_buckets.h"
#include "tagmetry/kohya_config.h"
#include "tagmetry/operation.h"
#include "tagmetry/options.h"
#include "tagmetry/status.h"

namespace tagmetry {

// Settings of `buckets` (and of the step count `preflight` reports). The bucket settings act as kohya's
// command-line arguments: a dataset_config.toml overrides them per dataset.
struct KohyaBucketsParams {
  std::string config;                // dataset_config.toml ("" = the script's --dataset_config, or DIR/dataset_config.toml)
  std::string train_script;          // train.sh whose --flags override the options below ("" = DIR/train.sh when present)
  std::string resolution = "512";    // kohya --resolution "W" or "W,H"
  bool no_bucket = false;            // kohya's enable_bucket = false (kohya's own default; see docs)
  int min_bucket_reso = 256;
  int max_bucket_reso = 1024;
  int bucket_reso_steps = 64;
  bool bucket_no_upscale = false;
  int batch_size = 1;                // kohya --train_batch_size
  int num_repeats = 1;               // repeats of a plain image folder (kohya folders carry their own)
  std::string reg_data_dir;          // kohya --reg_data_dir (N_class subfolders)
  std::optional<int> epochs;         // kohya --max_train_epochs (overrides max_train_steps)
  int max_train_steps = 1600;        // kohya's default
  int gradient_accumulation_steps = 1;
  int num_processes = 1;             // accelerate's processes (GPUs)
  // Output of `tagmetry buckets` (declared by kohya_buckets_options only; the server refuses html).
  bool images = false;               // list every image in the text output
  std::string html;                  // also write the HTML page here
};

// Declares the options of KohyaBucketsParams on the option set of P (KohyaBucketsParams or a params
// struct derived from it, as preflight's): the one declaration of these options.
template <class P>
void add_kohya_buckets_options(OptionSet<P>& s);

// `tagmetry buckets` (and GET /api/buckets) declared once (include/tagmetry/operation.h).
const Operation<KohyaBucketsParams>& kohya_buckets_operation();
const OptionSet<KohyaBucketsParams>& kohya_buckets_options();  // kohya_buckets_operation().options

template <class P>
void add_kohya_buckets_options(OptionSet<P>& s) {
  using B = KohyaBucketsParams;
  auto f = [](auto B::*member) { return static_cast<std::remove_reference_t<decltype(std::declval<B>().*member)> P::*>(member); };
  s.group("Dataset");
  s.add("config", f(&B::config), "kohya dataset_config.toml (default: the script's dataset_config, or DIR/dataset_config.toml when present); its values override the options below per dataset");
  s.add("train-script", f(&B::train_script), "The training command (train.sh): its flags act as kohya's command line over the options below (default: DIR/train.sh when present)");
  s.add("num-repeats", f(&B::num_repeats), "Repeats of a plain image folder (kohya folders \"N_name\" carry their own)");
  s.add("reg-data-dir", f(&B::reg_data_dir), "kohya reg_data_dir: regularisation images in \"N_class\" subfolders");
  s.group("Buckets");
  s.add("resolution", f(&B::resolution), "Training resolution \"W\" or \"W,H\" (kohya --resolution)");
  s.add("no-bucket", f(&B::no_bucket), "No aspect-ratio buckets (kohya without enable_bucket): every image resized to cover the resolution and centre-cropped");
  s.add("min-bucket-reso", f(&B::min_bucket_reso), "Smallest bucket side (rounded down to --bucket-reso-steps)");
  s.add("max-bucket-reso", f(&B::max_bucket_reso), "Largest bucket side (rounded up to --bucket-reso-steps)");
  s.add("bucket-reso-steps", f(&B::bucket_reso_steps), "Bucket sides are multiples of this");
  s.add("bucket-no-upscale", f(&B::bucket_no_upscale), "Buckets from each image's own size, never upscaled (min/max ignored)");
  s.group("Steps");
  s.add("batch-size", f(&B::batch_size), "kohya train_batch_size");
  s.add("epochs", f(&B::epochs), "kohya max_train_epochs (overrides --max-train-steps)");
  s.add("max-train-steps", f(&B::max_train_steps), "kohya max_train_steps");
  s.add("gradient-accumulation-steps", f(&B::gradient_accumulation_steps), "kohya gradient_accumulation_steps");
  s.add("num-processes", f(&B::num_processes), "accelerate processes (GPUs) sharing each epoch");
}

// Reads the training command (params.train_script, or DIR/train.sh when present) and applies its
// --flags to `params` as kohya's command-line values: --resolution, --enable_bucket (absent: buckets off,
// kohya's default), bucket sizes, --train_batch_size, --max_train_epochs, --max_train_steps,
// --gradient_accumulation_steps, --dataset_config, --reg_data_dir. Returns the script's text ("" = none).
// Errors: an unreadable script, one with no *.py command, a flag value that is not a number.
Result<std::string> apply_kohya_train_script(const std::filesystem::path& dir, KohyaBucketsParams& params);

// One image as kohya registers it.
struct KohyaTrainImage {
  std::filesystem::path path;
  int num_repeats = 1;   // after the regularisation images' redistribution
  bool is_reg = false;
  size_t subset = 0;     // index into KohyaTrainingSet::subsets
};

struct KohyaTrainDataset {
  KohyaBucketSettings buckets;
  int batch_size = 1;
  std::vector<KohyaTrainImage> images;  // in kohya's registration order
};

// The datasets and subsets kohya would build.
struct KohyaTrainingSet {
  std::vector<KohyaSubset> subsets;
  std::vector<KohyaTrainDataset> datasets;
  std::vector<std::string> warnings;  // subsets kohya ignores, schema warnings of the config
};

// kohya's glob_images(dir, "*"): files with the extensions sd-scripts loads, in lower or upper case
// only (".Jpg" is not loaded), hidden files excluded, sorted by path as Python sorts strings.
std::vector<std::filesystem::path> kohya_glob_images(const std::filesystem::path& dir);

// Builds the training set from `dir`: the config (params.config, or DIR/dataset_config.toml), or a
// kohya train_data_dir (subfolders "N_class tokens"), or a plain image folder (one subset with
// params.num_repeats). Errors: an unreadable config, settings kohya rejects, no images at all.
Result<KohyaTrainingSet> kohya_training_set(const std::filesystem::path& dir, const KohyaBucketsParams& params);

struct KohyaBucketedImage {
  std::string file;        // path relative to the input folder ('/' separators) when inside it
  int width = 0, height = 0;  // as kohya reads them (kohya_image_size)
  KohyaBucketChoice choice;
  KohyaCropBox crop;
  int num_repeats = 1;
  bool is_reg = false;
  size_t dataset = 0;
};

struct KohyaBucketCount {
  size_t dataset = 0;
  int width = 0, height = 0;
  size_t images = 0;       // distinct images
  long long count = 0;     // with repeats (kohya's "count")
  long long batches = 0;   // ceil(count / batch_size)
};

struct KohyaStepCount {
  long long batches_per_epoch = 0;  // len(train_dataloader)
  long long steps_per_epoch = 0;    // ceil(batches / gradient_accumulation_steps)
  long long max_train_steps = 0;    // --max_train_steps, or epochs * ceil(batches / processes / accumulation)
  long long epochs = 0;             // ceil(max_train_steps / steps_per_epoch)
};

struct KohyaBucketsReport {
  std::vector<KohyaBucketedImage> images;
  std::vector<KohyaBucketCount> buckets;  // per dataset, sorted by resolution like BucketManager.sort
  KohyaStepCount steps;
  double mean_ar_error = 0.0;  // mean |ar_error| over the images of bucketed datasets (without repeats)
  std::vector<std::string> skipped;   // "file: why" (kohya would stop on these)
  std::vector<std::string> warnings;

  // {"images":[{"file","width","height","bucket":[w,h],"resized":[w,h],"crop_ltrb":[l,t,r,b],"cropped",
  //   "scale","repeats","reg","dataset"}],"buckets":[{"dataset","resolution":[w,h],"images","count",
  //   "batches"}],"steps_per_epoch","batches_per_epoch","max_train_steps","epochs","mean_ar_error",
  //   "skipped":[…],"warnings":[…]}
  std::string to_json(int indent = 2) const;
};

// The step count of train_network.py for `batches` = len(train_dataloader).
KohyaStepCount kohya_step_count(long long batches, const KohyaBucketsParams& params);

// Reads every image's size (headers only, `threads` workers; 0 = hardware concurrency), buckets it and
// counts. Images whose size cannot be read, or that kohya's select_bucket fails on, go to `skipped`.
KohyaBucketsReport simulate_kohya_buckets(const KohyaTrainingSet& set, const KohyaBucketsParams& params,
                                          const std::filesystem::path& root = {}, unsigned threads = 0);

// A self-contained HTML page: the bucket histogram and every image (linked relative to `html_dir`,
// found under `image_root`) with the part kohya's centred crop cuts away shaded; sorted by the
// fraction cut, re-sortable by upscale or name.
std::string kohya_buckets_html(const KohyaBucketsReport& report, const std::filesystem::path& image_root,
                               const std::filesystem::path& html_dir);

}  // namespace tagmetry
