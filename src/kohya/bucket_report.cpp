// Buckets, counts and steps of a kohya training set (train_util.BaseDataset.make_buckets and
// train_network.py's step count; sd-scripts 48d368f, 2026-02).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <thread>

#include "tagmetry/kohya_bucket_report.h"

namespace tagmetry {
namespace fs = std::filesystem;

KohyaStepCount kohya_step_count(long long batches, const KohyaBucketsParams& p) {
  KohyaStepCount s;
  s.batches_per_epoch = batches;
  // math.ceil(len(train_dataloader) / args.gradient_accumulation_steps): float division, like Python.
  s.steps_per_epoch = static_cast<long long>(std::ceil(static_cast<double>(batches) / p.gradient_accumulation_steps));
  if (p.epochs)
    s.max_train_steps = static_cast<long long>(*p.epochs) *
                        static_cast<long long>(std::ceil(static_cast<double>(batches) / p.num_processes /
                                                         p.gradient_accumulation_steps));
  else
    s.max_train_steps = p.max_train_steps;
  s.epochs = s.steps_per_epoch > 0
                 ? static_cast<long long>(std::ceil(static_cast<double>(s.max_train_steps) / s.steps_per_epoch))
                 : 0;
  return s;
}

namespace {

std::string relative_name(const fs::path& file, const fs::path& root) {
  if (!root.empty()) {
    std::error_code ec;
    fs::path rel = fs::absolute(file, ec).lexically_relative(fs::absolute(root, ec));
    if (!rel.empty() && rel.native().rfind("..", 0) != 0) return rel.generic_string();
  }
  return file.generic_string();
}

}  // namespace

KohyaBucketsReport simulate_kohya_buckets(const KohyaTrainingSet& set, const KohyaBucketsParams& params,
                                          const fs::path& root, unsigned threads) {
  KohyaBucketsReport report;
  report.warnings = set.warnings;
  // Sizes first (the slow part: one header read per file), in parallel.
  std::vector<const KohyaTrainImage*> all;
  for (auto& ds : set.datasets)
    for (auto& img : ds.images) all.push_back(&img);
  std::vector<Result<std::pair<int, int>>> sizes(all.size(), Result<std::pair<int, int>>(std::make_pair(0, 0)));
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(1, all.size() / 64)));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < all.size();) sizes[i] = kohya_image_size(all[i]->path);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();

  long long batches = 0;
  double ar_sum = 0.0;
  size_t ar_n = 0;
  size_t k = 0;
  for (size_t di = 0; di < set.datasets.size(); ++di) {
    const KohyaTrainDataset& ds = set.datasets[di];
    auto bucketer = KohyaBucketer::create(ds.buckets);  // validated by kohya_training_set
    std::map<std::pair<int, int>, KohyaBucketCount> buckets;
    for (auto& img : ds.images) {
      const auto& size = sizes[k++];
      const std::string name = relative_name(img.path, root);
      if (!size.ok()) {
        report.skipped.push_back(size.status().message());
        continue;
      }
      auto choice = bucketer.ok() ? bucketer->select(size->first, size->second) : Result<KohyaBucketChoice>(bucketer.status());
      if (!choice.ok()) {
        report.skipped.push_back(name + ": " + choice.status().message());
        continue;
      }
      KohyaBucketedImage out;
      out.file = name;
      out.width = size->first;
      out.height = size->second;
      out.choice = *choice;
      out.crop = kohya_crop_box(*choice);
      out.num_repeats = img.num_repeats;
      out.is_reg = img.is_reg;
      out.dataset = di;
      if (ds.buckets.enable_bucket) {
        ar_sum += std::fabs(choice->ar_error);
        ++ar_n;
      }
      KohyaBucketCount& b = buckets[{choice->bucket_width, choice->bucket_height}];
      b.dataset = di;
      b.width = choice->bucket_width;
      b.height = choice->bucket_height;
      b.images += 1;
      b.count += img.num_repeats;
      report.images.push_back(std::move(out));
    }
    for (auto& [reso, b] : buckets) {
      b.batches = (b.count + ds.batch_size - 1) / ds.batch_size;
      batches += b.batches;
      report.buckets.push_back(b);
    }
  }
  report.mean_ar_error = ar_n ? ar_sum / static_cast<double>(ar_n) : 0.0;
  report.steps = kohya_step_count(batches, params);
  return report;
}

std::string KohyaBucketsReport::to_json(int indent) const {
  using nlohmann::json;
  json j;
  j["images"] = json::array();
  for (auto& i : images) {
    j["images"].push_back({{"file", i.file},
                           {"width", i.width},
                           {"height", i.height},
                           {"bucket", {i.choice.bucket_width, i.choice.bucket_height}},
                           {"resized", {i.choice.resized_width, i.choice.resized_height}},
                           {"crop_ltrb", {i.crop.left, i.crop.top, i.crop.right, i.crop.bottom}},
                           {"cropped", i.crop.cut_fraction},
                           {"scale", i.choice.scale},
                           {"ar_error", i.choice.ar_error},
                           {"repeats", i.num_repeats},
                           {"reg", i.is_reg},
                           {"dataset", i.dataset}});
  }
  j["buckets"] = json::array();
  for (auto& b : buckets)
    j["buckets"].push_back({{"dataset", b.dataset},
                            {"resolution", {b.width, b.height}},
                            {"images", b.images},
                            {"count", b.count},
                            {"batches", b.batches}});
  j["batches_per_epoch"] = steps.batches_per_epoch;
  j["steps_per_epoch"] = steps.steps_per_epoch;
  j["max_train_steps"] = steps.max_train_steps;
  j["epochs"] = steps.epochs;
  j["mean_ar_error"] = mean_ar_error;
  j["skipped"] = skipped;
  j["warnings"] = warnings;
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace tagmetry
