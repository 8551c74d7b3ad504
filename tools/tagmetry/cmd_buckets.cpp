// tagmetry buckets: the aspect-ratio bucket, resize and crop kohya-ss sd-scripts gives each image, the
// buckets' counts and the step count (library: kohya_bucket_report.h; docs/buckets.md).
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/files.h"
#include "tagmetry/kohya_bucket_report.h"

namespace tagmetry::cli {
namespace {

void print_text(const KohyaBucketsReport& r, size_t datasets, bool list_images) {
  if (list_images) {
    std::printf("%-40s %11s %11s %11s %6s %6s\n", "image", "size", "bucket", "resized", "cut", "scale");
    for (auto& i : r.images) {
      char size[32], bucket[32], resized[32];
      std::snprintf(size, sizeof size, "%dx%d", i.width, i.height);
      std::snprintf(bucket, sizeof bucket, "%dx%d", i.choice.bucket_width, i.choice.bucket_height);
      std::snprintf(resized, sizeof resized, "%dx%d", i.choice.resized_width, i.choice.resized_height);
      std::printf("%-40s %11s %11s %11s %5.1f%% %6.3f\n", i.file.c_str(), size, bucket, resized,
                  i.crop.cut_fraction * 100.0, i.choice.scale);
    }
    std::printf("\n");
  }
  std::printf("%s%-11s %7s %9s %8s\n", datasets > 1 ? "dataset " : "", "bucket", "images", "count", "batches");
  for (auto& b : r.buckets) {
    char reso[32];
    std::snprintf(reso, sizeof reso, "%dx%d", b.width, b.height);
    if (datasets > 1) std::printf("%7zu ", b.dataset + 1);
    std::printf("%-11s %7zu %9lld %8lld\n", reso, b.images, b.count, b.batches);
  }
  std::printf("\nmean aspect-ratio error %.4f\n", r.mean_ar_error);
  std::printf("%lld batches an epoch, %lld steps an epoch, %lld steps, %lld epochs\n", r.steps.batches_per_epoch,
              r.steps.steps_per_epoch, r.steps.max_train_steps, r.steps.epochs);
}

RunFunction setup_buckets(CLI::App& sub) {
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);

  sub.add_option("DIR", *dir,
                 "Image folder, kohya train_data_dir (N_name subfolders) or export folder (with dataset_config.toml)")
      ->required();
  auto bound = std::make_shared<BoundOptions<KohyaBucketsParams>>(sub, kohya_buckets_operation().options);
  sub.add_flag("--json", *json, "JSON output")->group("Output");
  return [dir, json, bound]() {
    if (*json) start_json_run();
    auto done = [&](int code) { return *json ? finish_json_run(code) : code; };
    KohyaBucketsParams p;
    if (Status s = bound->apply(p); !s.ok()) return print_error(s), done(kExitUsage);
    if (auto script = apply_kohya_train_script(*dir, p); !script.ok()) return print_error(script.status()), done(kExitUsage);
    auto set = kohya_training_set(*dir, p);
    if (!set.ok()) return print_error(set.status()), done(kExitUsage);
    const KohyaBucketsReport r = simulate_kohya_buckets(*set, p, std::filesystem::absolute(*dir));
    for (auto& w : r.warnings) print_warning(w);
    for (auto& s : r.skipped) print_error(s);
    if (!p.html.empty()) {
      const std::filesystem::path out(p.html);
      if (Status s = write_file_atomic(out, kohya_buckets_html(r, *dir, out.parent_path().empty() ? "." : out.parent_path()));
          !s.ok())
        return print_error(s), done(kExitUsage);
    }
    if (*json) std::cout << r.to_json() << "\n";
    else print_text(r, set->datasets.size(), p.images);
    return done(r.skipped.empty() ? kExitOk : kExitSomeFailed);
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(kohya_buckets_operation(), 74, setup_buckets);
}  // namespace tagmetry::cli
