// kohya-ss sd-scripts bucketing (library/model_util.py make_bucket_resolutions, library/train_util.py
// BucketManager.select_bucket, adjust_min_max_bucket_reso_by_steps, trim_and_resize_if_required;
// sd-scripts 48d368f, 2026-02). Python's float arithmetic is IEEE double like ours, int(x + 0.5)
// truncates like a cast, and numpy's argmin takes the first of equal minima.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>

#include "tagmetry/kohya_buckets.h"
#include "tagmetry/strings.h"

namespace tagmetry {

Result<std::pair<int, int>> parse_kohya_resolution(std::string_view text) {
  std::vector<std::string> parts = split(std::string(text), ",");
  if (parts.empty() || parts.size() > 2) return invalid_argument("resolution '" + std::string(text) + "': expected W or W,H");
  int v[2] = {0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string t(trim(parts[i]));
    char* end = nullptr;
    long n = std::strtol(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0' || n <= 0 || n > 1000000)
      return invalid_argument("resolution '" + std::string(text) + "': '" + t + "' is not a positive integer");
    v[i] = static_cast<int>(n);
  }
  if (parts.size() == 1) v[1] = v[0];
  return std::make_pair(v[0], v[1]);
}

namespace {

// CPython's float // (float_floor_div via _float_div_mod), which is not always floor(a / b).
double python_floordiv(double vx, double wx) {
  double mod = std::fmod(vx, wx);
  double div = (vx - mod) / wx;
  if (mod != 0.0 && ((wx < 0) != (mod < 0))) div -= 1.0;
  if (div == 0.0) return std::copysign(0.0, vx / wx);
  double floordiv = std::floor(div);
  if (div - floordiv > 0.5) floordiv += 1.0;
  return floordiv;
}

}  // namespace

std::vector<std::pair<int, int>> kohya_bucket_resolutions(int max_width, int max_height, int min_size, int max_size,
                                                          int divisible) {
  const int64_t max_area = static_cast<int64_t>(max_width) * max_height;
  std::set<std::pair<int, int>> resos;  // std::pair orders like a Python tuple
  // int(math.sqrt(max_area) // divisible) * divisible: sqrt is a double, // floors it.
  int width = static_cast<int>(python_floordiv(std::sqrt(static_cast<double>(max_area)), divisible)) * divisible;
  resos.insert({width, width});
  for (width = min_size; width <= max_size; width += divisible) {
    const int64_t h = ((max_area / width) / divisible) * divisible;  // integer // on ints
    const int height = static_cast<int>(std::min<int64_t>(max_size, h));
    if (height >= min_size) {
      resos.insert({width, height});
      resos.insert({height, width});
    }
  }
  return {resos.begin(), resos.end()};
}

Result<KohyaBucketer> KohyaBucketer::create(const KohyaBucketSettings& in) {
  KohyaBucketer b;
  b.settings_ = in;
  KohyaBucketSettings& s = b.settings_;
  if (s.width <= 0 || s.height <= 0) return invalid_argument("resolution must be positive");
  if (!s.enable_bucket) {
    // BucketManager(False, (w, h), None, None, None) with the resolution as its only bucket.
    s.bucket_no_upscale = false;
    b.resos_ = {{s.width, s.height}};
    b.aspect_ratios_ = {static_cast<double>(s.width) / s.height};
    return b;
  }
  if (s.bucket_reso_steps <= 0) return invalid_argument("bucket_reso_steps must be positive");
  if (s.min_bucket_reso <= 0 || s.max_bucket_reso <= 0) return invalid_argument("min/max_bucket_reso must be positive");
  // adjust_min_max_bucket_reso_by_steps
  const int steps = s.bucket_reso_steps;
  if (s.min_bucket_reso % steps != 0) s.min_bucket_reso -= s.min_bucket_reso % steps;
  if (s.max_bucket_reso % steps != 0) s.max_bucket_reso += steps - s.max_bucket_reso % steps;
  if (std::min(s.width, s.height) < s.min_bucket_reso)
    return invalid_argument("min_bucket_reso " + std::to_string(s.min_bucket_reso) +
                            " is larger than the resolution's smaller side " + std::to_string(std::min(s.width, s.height)) +
                            " (kohya: \"min_bucket_reso must be equal or less than resolution\")");
  if (std::max(s.width, s.height) > s.max_bucket_reso)
    return invalid_argument("max_bucket_reso " + std::to_string(s.max_bucket_reso) +
                            " is smaller than the resolution's larger side " + std::to_string(std::max(s.width, s.height)) +
                            " (kohya: \"max_bucket_reso must be equal or greater than resolution\")");
  if (s.min_bucket_reso == 0) return invalid_argument("min_bucket_reso rounds down to 0 with bucket_reso_steps " + std::to_string(steps));
  if (!s.bucket_no_upscale) {
    b.resos_ = kohya_bucket_resolutions(s.width, s.height, s.min_bucket_reso, s.max_bucket_reso, steps);
    for (auto& [w, h] : b.resos_) b.aspect_ratios_.push_back(static_cast<double>(w) / h);
  }
  return b;
}

namespace {

int round_to_steps(double x, int steps) {
  const int64_t v = static_cast<int64_t>(x + 0.5);
  return static_cast<int>(v - v % steps);
}

Status kohya_stops(int width, int height, const std::string& why) {
  return invalid_argument(std::to_string(width) + "x" + std::to_string(height) +
                          ": kohya stops with ZeroDivisionError in select_bucket (" + why + ")");
}

}  // namespace

Result<KohyaBucketChoice> KohyaBucketer::select(int image_width, int image_height) const {
  if (image_width <= 0 || image_height <= 0) return kohya_stops(image_width, image_height, "the image has a zero side");
  const double aspect_ratio = static_cast<double>(image_width) / image_height;
  KohyaBucketChoice c;
  if (!settings_.bucket_no_upscale) {
    std::pair<int, int> reso{image_width, image_height};
    if (!std::binary_search(resos_.begin(), resos_.end(), reso)) {
      size_t best = 0;
      double best_err = std::fabs(aspect_ratios_[0] - aspect_ratio);
      for (size_t i = 1; i < aspect_ratios_.size(); ++i) {
        const double e = std::fabs(aspect_ratios_[i] - aspect_ratio);
        if (e < best_err) best = i, best_err = e;  // strict: the first minimum wins, like argmin
      }
      reso = resos_[best];
    }
    const double ar_reso = static_cast<double>(reso.first) / reso.second;
    const double scale = aspect_ratio > ar_reso ? static_cast<double>(reso.second) / image_height
                                                : static_cast<double>(reso.first) / image_width;
    c.bucket_width = reso.first;
    c.bucket_height = reso.second;
    c.resized_width = static_cast<int>(static_cast<int64_t>(image_width * scale + 0.5));
    c.resized_height = static_cast<int>(static_cast<int64_t>(image_height * scale + 0.5));
    c.scale = scale;
  } else {
    const int steps = settings_.bucket_reso_steps;
    const int64_t max_area = static_cast<int64_t>(settings_.width) * settings_.height;
    if (static_cast<int64_t>(image_width) * image_height > max_area) {
      const double resized_width = std::sqrt(static_cast<double>(max_area) * aspect_ratio);
      const double resized_height = static_cast<double>(max_area) / resized_width;
      (void)resized_height;
      const int b_width_rounded = round_to_steps(resized_width, steps);
      const int b_height_in_wr = round_to_steps(b_width_rounded / aspect_ratio, steps);
      if (b_height_in_wr == 0) return kohya_stops(image_width, image_height, "the bucket height rounds to 0");
      const double ar_width_rounded = static_cast<double>(b_width_rounded) / b_height_in_wr;
      const int b_height_rounded = round_to_steps(resized_height, steps);
      if (b_height_rounded == 0) return kohya_stops(image_width, image_height, "the bucket height rounds to 0");
      const int b_width_in_hr = round_to_steps(b_height_rounded * aspect_ratio, steps);
      const double ar_height_rounded = static_cast<double>(b_width_in_hr) / b_height_rounded;
      if (std::fabs(ar_width_rounded - aspect_ratio) < std::fabs(ar_height_rounded - aspect_ratio)) {
        c.resized_width = b_width_rounded;
        c.resized_height = static_cast<int>(static_cast<int64_t>(b_width_rounded / aspect_ratio + 0.5));
      } else {
        c.resized_width = static_cast<int>(static_cast<int64_t>(b_height_rounded * aspect_ratio + 0.5));
        c.resized_height = b_height_rounded;
      }
    } else {
      c.resized_width = image_width;
      c.resized_height = image_height;
    }
    c.bucket_width = c.resized_width - c.resized_width % steps;
    c.bucket_height = c.resized_height - c.resized_height % steps;
    c.scale = static_cast<double>(c.resized_width) / image_width;
    if (c.bucket_height == 0)
      return kohya_stops(image_width, image_height,
                         "the bucket is " + std::to_string(c.bucket_width) + "x0: a side below bucket_reso_steps " +
                             std::to_string(steps));
    if (c.bucket_width == 0)
      return invalid_argument(std::to_string(image_width) + "x" + std::to_string(image_height) +
                              ": the bucket is 0x" + std::to_string(c.bucket_height) +
                              " (a side below bucket_reso_steps " + std::to_string(steps) +
                              "); kohya cannot encode a 0-pixel-wide image");
  }
  c.ar_error = static_cast<double>(c.bucket_width) / c.bucket_height - aspect_ratio;
  return c;
}

KohyaCropBox kohya_crop_box(const KohyaBucketChoice& c) {
  KohyaCropBox box;
  // trim_and_resize_if_required: p = trim_size // 2 on the side that is longer than the bucket.
  box.left = c.resized_width > c.bucket_width ? (c.resized_width - c.bucket_width) / 2 : 0;
  box.top = c.resized_height > c.bucket_height ? (c.resized_height - c.bucket_height) / 2 : 0;
  box.right = box.left + std::min(c.bucket_width, c.resized_width);
  box.bottom = box.top + std::min(c.bucket_height, c.resized_height);
  const double resized = static_cast<double>(c.resized_width) * c.resized_height;
  const double kept = static_cast<double>(box.right - box.left) * (box.bottom - box.top);
  box.cut_fraction = resized > 0 ? 1.0 - kept / resized : 0.0;
  return box;
}

}  // namespace tagmetry
