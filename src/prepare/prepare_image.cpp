// The per-image building blocks of prepare: geometry + resize, perceptual hash, output names, manifest.
#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "tagmetry/prepare.h"
#include "tagmetry/resample.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

// Python 3's round(): half to even.
int py_round(double v) {
  double r = std::nearbyint(v);  // default rounding mode: to nearest, ties to even
  return static_cast<int>(r);
}

// ImageOps.contain's size for fitting (w, h) into size x size.
std::pair<int, int> contain_size(int w, int h, int size) {
  if (w == h) return {size, size};
  if (w > h) return {size, std::max(1, py_round(static_cast<double>(h) / w * size))};
  return {std::max(1, py_round(static_cast<double>(w) / h * size)), size};
}

}  // namespace

RgbImage prepare_pixels(const RgbImage& image, const PrepareParams& params) { return prepare_pixels(view_of(image), params); }

RgbImage prepare_pixels(RgbView image, const PrepareParams& params) {
  const int size = params.size;
  if (params.mode == "crop") {
    const int side = std::min(image.width, image.height);
    const int x = (image.width - side) / 2;
    const int y = (image.height - side) / 2;
    if (image.width == image.height) return resize_lanczos(image, size, size);
    return resize_lanczos(crop_image(image, x, y, side, side), size, size);
  }
  auto [w, h] = contain_size(image.width, image.height, size);
  RgbImage fitted = resize_lanczos(image, w, h);  // a copy when the size is unchanged
  if (params.mode == "fit" || (w == size && h == size)) return fitted;
  // pad: ImageOps.pad pastes at round((size - w) * 0.5), round((size - h) * 0.5).
  RgbImage out;
  out.width = size;
  out.height = size;
  out.pixels.assign(static_cast<size_t>(size) * size * 3, 255);
  const int x0 = py_round((size - w) * 0.5);
  const int y0 = py_round((size - h) * 0.5);
  for (int row = 0; row < h; ++row) {
    std::copy_n(fitted.pixels.data() + static_cast<size_t>(row) * w * 3, static_cast<size_t>(w) * 3,
                out.pixels.data() + (static_cast<size_t>(y0 + row) * size + x0) * 3);
  }
  return out;
}

uint64_t difference_hash(const RgbImage& image) {
  // Area-average into a 9 x 8 grid of grey levels (ITU-R 601 luma, as Pillow's "L" conversion).
  // Each cell's sum is accumulated pixel by pixel in row order (the order fixes the rounding, so the
  // hash of an image never changes); the column of each x is looked up instead of divided out per pixel.
  double grid[8][9] = {};
  double count[8][9] = {};
  std::vector<uint8_t> column(static_cast<size_t>(image.width));
  int per_column[9] = {};
  for (int x = 0; x < image.width; ++x) {
    column[x] = static_cast<uint8_t>(static_cast<int64_t>(x) * 9 / image.width);
    ++per_column[column[x]];
  }
  for (int y = 0; y < image.height; ++y) {
    const int gy = static_cast<int>(static_cast<int64_t>(y) * 8 / image.height);
    const uint8_t* row = image.pixels.data() + static_cast<size_t>(y) * image.width * 3;
    double* cells = grid[gy];
    for (int x = 0; x < image.width; ++x)
      cells[column[x]] += 0.299 * row[3 * x] + 0.587 * row[3 * x + 1] + 0.114 * row[3 * x + 2];
    for (int gx = 0; gx < 9; ++gx) count[gy][gx] += per_column[gx];
  }
  uint64_t hash = 0;
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 8; ++x) {
      double left = count[y][x] > 0 ? grid[y][x] / count[y][x] : 0;
      double right = count[y][x + 1] > 0 ? grid[y][x + 1] / count[y][x + 1] : 0;
      hash = (hash << 1) | (left > right ? 1u : 0u);
    }
  }
  return hash;
}

int hamming_distance(uint64_t a, uint64_t b) { return std::popcount(a ^ b); }

std::array<uint8_t, 48> colour_signature(const RgbImage& image) {
  std::array<double, 48> sum{};
  std::array<double, 16> count{};
  for (int y = 0; y < image.height; ++y) {
    const int gy = static_cast<int>(static_cast<int64_t>(y) * 4 / image.height);
    const uint8_t* row = image.pixels.data() + static_cast<size_t>(y) * image.width * 3;
    for (int x = 0; x < image.width; ++x) {
      const int cell = gy * 4 + static_cast<int>(static_cast<int64_t>(x) * 4 / image.width);
      for (int c = 0; c < 3; ++c) sum[cell * 3 + c] += row[3 * x + c];
      count[cell] += 1;
    }
  }
  std::array<uint8_t, 48> out{};
  for (int i = 0; i < 48; ++i)
    out[i] = count[i / 3] > 0 ? static_cast<uint8_t>(std::lround(sum[i] / count[i / 3])) : 0;
  return out;
}

double colour_distance(const std::array<uint8_t, 48>& a, const std::array<uint8_t, 48>& b) {
  double total = 0;
  for (int cell = 0; cell < 16; ++cell) {
    double d2 = 0;
    for (int c = 0; c < 3; ++c) {
      const double d = static_cast<double>(a[cell * 3 + c]) - b[cell * 3 + c];
      d2 += d * d;
    }
    total += std::sqrt(d2);
  }
  return total / 16;
}

bool prepare_order_less(const std::string& a, const std::string& b) {
  auto without_extension = [](std::string_view p) {
    const size_t slash = p.rfind('/');
    const size_t dot = p.rfind('.');
    const size_t name = slash == std::string_view::npos ? 0 : slash + 1;
    return dot == std::string_view::npos || dot <= name ? p : p.substr(0, dot);
  };
  std::string_view sa = without_extension(a), sb = without_extension(b);
  if (natural_less(sa, sb)) return true;
  if (natural_less(sb, sa)) return false;
  return natural_less(a, b);
}

int name_digits(int start, size_t count) {
  int64_t last = static_cast<int64_t>(start) + static_cast<int64_t>(count) - 1;
  int digits = 1;
  for (int64_t v = std::max<int64_t>(last, 0); v >= 10; v /= 10) ++digits;
  return std::max(digits, 3);
}

Result<std::string> expand_name_pattern(const std::string& pattern, int n, int digits, const std::string& stem) {
  if (pattern.find('/') != std::string::npos || pattern.find('\\') != std::string::npos)
    return invalid_argument("--name-pattern: '" + pattern + "' must be a file name, not a path");
  std::string out;
  bool has_number = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      out += pattern[i];
      continue;
    }
    size_t close = pattern.find('}', i);
    if (close == std::string::npos) return invalid_argument("--name-pattern: unclosed '{' in '" + pattern + "'");
    std::string key = pattern.substr(i + 1, close - i - 1);
    if (key == "stem") {
      out += stem;
    } else if (key == "n" || key.rfind("n:", 0) == 0) {
      int width = digits;
      if (key.size() > 2) {
        std::string w = key.substr(2);
        if (w.empty() || w.size() > 2 || w.find_first_not_of("0123456789") != std::string::npos)
          return invalid_argument("--name-pattern: bad width in '{" + key + "}'");
        width = std::stoi(w);
      }
      std::string num = std::to_string(n);
      if (static_cast<int>(num.size()) < width) num.insert(0, width - num.size(), '0');
      out += num;
      has_number = true;
    } else {
      return invalid_argument("--name-pattern: unknown placeholder '{" + key + "}' (use {n}, {n:W} or {stem})");
    }
    i = close;
  }
  if (!has_number && pattern.find("{stem}") == std::string::npos)
    return invalid_argument("--name-pattern: '" + pattern + "' needs {n} or {stem} so names differ");
  if (out.empty()) return invalid_argument("--name-pattern: '" + pattern + "' gives an empty name");
  return out;
}

namespace {
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    out += c;
    if (c == '"') out += '"';
  }
  out += '"';
  return out;
}
}  // namespace

std::string manifest_csv(const PrepareReport& report) {
  std::string out = "file,source,width,height,bytes,sha256,status,note\n";
  for (const auto& item : report.items) out += manifest_row(item);
  return out;
}

std::string manifest_row(const PrepareItem& item) {
  {
    std::string note;
    switch (item.outcome) {
      case PrepareItem::Outcome::kWritten: note = item.warning; break;
      case PrepareItem::Outcome::kDuplicate: note = "same file content as " + item.duplicate_of; break;
      case PrepareItem::Outcome::kNearDuplicate:
        note = "looks like " + item.duplicate_of + " (distance " + std::to_string(item.distance) + ")";
        break;
      case PrepareItem::Outcome::kFailed: note = item.error; break;
    }
    return csv_field(item.output) + "," + csv_field(item.relpath) + "," +
           (item.width ? std::to_string(item.width) : "") + "," + (item.height ? std::to_string(item.height) : "") +
           "," + std::to_string(item.bytes) + "," + item.sha256 + "," + outcome_name(item.outcome) + "," +
           csv_field(note) + "\n";
  }
}

const char* outcome_name(PrepareItem::Outcome outcome) {
  switch (outcome) {
    case PrepareItem::Outcome::kWritten: return "written";
    case PrepareItem::Outcome::kDuplicate: return "duplicate";
    case PrepareItem::Outcome::kNearDuplicate: return "near_duplicate";
    case PrepareItem::Outcome::kFailed: return "failed";
  }
  return "failed";
}

}  // namespace tagmetry
