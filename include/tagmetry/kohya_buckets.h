#pragma once
// kohya-ss sd-scripts aspect-ratio bucketing, reproduced exactly (double arithmetic, the same rounding
// and the same tie-breaking): which bucket an image goes to, the size it is resized to and the part of
// the resized image that is kept. Matches library/model_util.py make_bucket_resolutions and
// library/train_util.py BucketManager.select_bucket, BaseDataset.adjust_min_max_bucket_reso_by_steps and
// trim_and_resize_if_required (sd-scripts 48d368f, 2026-02). Pure functions; thread-safe.

#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

// A dataset's bucket settings as kohya holds them after reading the command line and dataset_config.
struct KohyaBucketSettings {
  int width = 512;  // resolution (kohya's --resolution "W" or "W,H")
  int height = 512;
  bool enable_bucket = true;
  int min_bucket_reso = 256;
  int max_bucket_reso = 1024;
  int bucket_reso_steps = 64;
  bool bucket_no_upscale = false;
};

// Parses kohya's --resolution text: "512" → 512x512, "768,512" → 768x512.
Result<std::pair<int, int>> parse_kohya_resolution(std::string_view text);

// model_util.make_bucket_resolutions: the predefined buckets (width, height), sorted like Python tuples.
std::vector<std::pair<int, int>> kohya_bucket_resolutions(int max_width, int max_height, int min_size, int max_size,
                                                          int divisible);

// Where one image goes.
struct KohyaBucketChoice {
  int bucket_width = 0, bucket_height = 0;    // the bucket (the trained size)
  int resized_width = 0, resized_height = 0;  // the size the image is resized to before the centre crop
  double scale = 1.0;     // the resize factor (kohya's `scale`; resized_width / width with bucket_no_upscale)
  double ar_error = 0.0;  // bucket aspect ratio - image aspect ratio (signed, as kohya returns it)
};

// The part of the resized image that trim_and_resize_if_required keeps (random_crop off):
// [left, right) x [top, bottom) in resized-image pixels.
struct KohyaCropBox {
  int left = 0, top = 0, right = 0, bottom = 0;
  double cut_fraction = 0.0;  // 1 - kept area / resized area
};

// A BucketManager with its settings validated and min/max adjusted as kohya adjusts them.
class KohyaBucketer {
 public:
  // Errors for the settings kohya rejects (its asserts): non-positive sizes or steps, min_bucket_reso
  // above the resolution's smaller side or max_bucket_reso below its larger side (after rounding them to
  // bucket_reso_steps), a resolution larger than max_bucket_reso. With enable_bucket = false, min/max/steps
  // are ignored (one bucket: the resolution).
  static Result<KohyaBucketer> create(const KohyaBucketSettings& settings);

  // select_bucket for an image of width x height. With enable_bucket = false the bucket is the
  // resolution and the image is scaled to cover it. Errors where kohya itself stops (a zero side, or
  // with bucket_no_upscale an image so small or so elongated that a bucket side rounds to 0, which
  // raises ZeroDivisionError in select_bucket).
  Result<KohyaBucketChoice> select(int width, int height) const;

  const KohyaBucketSettings& settings() const { return settings_; }  // min/max as adjusted
  const std::vector<std::pair<int, int>>& predefined() const { return resos_; }

 private:
  KohyaBucketSettings settings_;
  std::vector<std::pair<int, int>> resos_;  // predefined buckets (empty with bucket_no_upscale)
  std::vector<double> aspect_ratios_;
};

// The centred crop of trim_and_resize_if_required for a choice.
KohyaCropBox kohya_crop_box(const KohyaBucketChoice& choice);

// The image size as kohya reads it: imagesize 1.4.1 (the version sd-scripts pins) from the header, EXIF
// orientation ignored, and Pillow's size when imagesize gives no positive width. imagesize's quirks are
// kept: an extended WebP (VP8X) reads one pixel smaller in each side than it is, and a lossy WebP's
// scale bits end up in the size. Errors when neither can read the file (kohya stops there too).
Result<std::pair<int, int>> kohya_image_size(const std::filesystem::path& path);

// Only the imagesize 1.4.1 part: (-1, -1) when it cannot tell; an error when imagesize itself raises
// (a JPEG whose markers run past the end of the file, which stops kohya).
Result<std::pair<int, int>> imagesize_get(const std::filesystem::path& path);

}  // namespace tagmetry
