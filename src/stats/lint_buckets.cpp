// Lint rules from kohya's bucketing (kohya_buckets.h): images cut or upscaled by more than a threshold,
// and buckets that hold a single image.
#include "lint_buckets.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "tagmetry/kohya_buckets.h"
#include "tagmetry/kohya_config.h"

namespace tagmetry::stats_internal {

namespace {

std::string percent(double f) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", f * 100.0);
  return buf;
}

std::string times(double f) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2fx", f);
  return buf;
}

}  // namespace

void lint_bucket_rules(const DatasetCorpus& corpus, const LintParams& params, std::vector<LintFinding>& out) {
  if (params.resolution <= 0) return;
  KohyaBucketSettings s;
  s.width = s.height = params.resolution;
  s.min_bucket_reso = std::min(s.min_bucket_reso, params.resolution);
  s.max_bucket_reso = std::max(s.max_bucket_reso, params.resolution);
  if (!params.config.empty()) {
    auto config = read_kohya_dataset_config(params.config);
    if (config.ok() && !config->datasets.empty()) {
      const KohyaDatasetSettings& d = config->datasets.front();
      if (d.resolution) std::tie(s.width, s.height) = *d.resolution;
      if (d.min_bucket_reso) s.min_bucket_reso = *d.min_bucket_reso;
      if (d.max_bucket_reso) s.max_bucket_reso = *d.max_bucket_reso;
      if (d.bucket_reso_steps) s.bucket_reso_steps = *d.bucket_reso_steps;
      if (d.bucket_no_upscale) s.bucket_no_upscale = *d.bucket_no_upscale;
      if (d.enable_bucket) s.enable_bucket = *d.enable_bucket;
    }
  }
  auto bucketer = KohyaBucketer::create(s);
  if (!bucketer.ok()) return;  // the config's own problem: `tagmetry preflight` names it
  std::vector<std::string> cut, upscaled;
  double worst_cut = 0, worst_scale = 0;
  std::string worst_cut_file, worst_scale_file;
  std::map<std::pair<int, int>, std::vector<std::string>> buckets;
  for (const CorpusItem& it : corpus.items) {
    if (it.width <= 0 || it.height <= 0) continue;
    auto c = bucketer->select(it.width, it.height);
    if (!c.ok()) continue;
    const double fraction = kohya_crop_box(*c).cut_fraction;
    if (fraction > params.max_bucket_cut) {
      cut.push_back(it.image);
      if (fraction > worst_cut) worst_cut = fraction, worst_cut_file = it.image;
    }
    if (c->scale > params.max_upscale) {
      upscaled.push_back(it.image);
      if (c->scale > worst_scale) worst_scale = c->scale, worst_scale_file = it.image;
    }
    buckets[{c->bucket_width, c->bucket_height}].push_back(it.image);
  }
  const std::string reso = std::to_string(s.width) + "x" + std::to_string(s.height);
  if (!cut.empty())
    out.push_back({"bucket-crop", LintSeverity::kWarning,
                   std::to_string(cut.size()) + (cut.size() == 1 ? " image loses" : " images lose") + " more than " +
                       percent(params.max_bucket_cut) + " to kohya's bucket crop at " + reso + " (most: " +
                       worst_cut_file + ", " + percent(worst_cut) + "); see `tagmetry buckets`",
                   cut});
  if (!upscaled.empty())
    out.push_back({"bucket-upscale", LintSeverity::kWarning,
                   std::to_string(upscaled.size()) + (upscaled.size() == 1 ? " image is" : " images are") +
                       " upscaled more than " + times(params.max_upscale) + " into its bucket at " + reso + " (most: " +
                       worst_scale_file + ", " + times(worst_scale) + "), which trains blur",
                   upscaled});
  size_t sized = 0;
  for (auto& [wh, files] : buckets) sized += files.size();
  if (s.enable_bucket && sized > 1)
    for (auto& [wh, files] : buckets)
      if (files.size() == 1)
        out.push_back({"bucket-single", LintSeverity::kInfo,
                       "bucket " + std::to_string(wh.first) + "x" + std::to_string(wh.second) +
                           " holds a single image: every batch from it has that image alone",
                       files});
}

}  // namespace tagmetry::stats_internal
