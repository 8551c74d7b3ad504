#include "vips_image.h"

#include <mutex>

#include "tagmetry/strings.h"

namespace tagmetry::image_internal {
namespace fs = std::filesystem;

namespace {
std::string first_line(std::string_view s) {
  auto t = trim(s);
  auto nl = t.find('\n');
  return std::string(nl == std::string_view::npos ? t : t.substr(0, nl));
}

// libvips error text is terse ("VipsJpeg: Premature end of JPEG file"); keep the first line, and
// translate the most common causes into plain words.
std::string describe(const std::string& raw) {
  std::string line = first_line(raw);
  // Images decoded from memory: say "gifload", not "gifload_buffer", and drop ImageMagick's empty name.
  line = replace_all(replace_all(line, "load_buffer: ", "load: "), " `' @", " @");
  std::string lower = to_lower_ascii(line);
  if (lower.find("premature end") != std::string::npos || lower.find("truncat") != std::string::npos ||
      lower.find("read error") != std::string::npos || lower.find("out of order read") != std::string::npos ||
      lower.find("not enough") != std::string::npos)
    return "truncated or damaged image (" + line + ")";
  if (lower.find("is not a known file format") != std::string::npos ||
      lower.find("not a known") != std::string::npos)
    return "not an image (unrecognised format)";
  return line.empty() ? "cannot decode" : line;
}
}  // namespace

Status vips_failure(const std::string& name, const std::string& what) {
  return corrupt(name + ": " + describe(what));
}

Status ensure_vips() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    ok = VIPS_INIT("tagmetry") == 0;
    if (ok) {
      // libvips logs per-tile warnings for damaged files; we report one clear error per file instead.
      g_log_set_handler("VIPS", static_cast<GLogLevelFlags>(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE),
                        [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
      vips_cache_set_max(0);      // files change on disk between calls; never serve a stale decode
      vips_concurrency_set(1);    // our own pipelines parallelise across images
      vips_leak_set(FALSE);
    }
  });
  if (!ok) return internal_error("libvips failed to start: " + std::string(vips_error_buffer()));
  return {};
}

Result<vips::VImage> open_image(const fs::path& path, const DecodeOptions& options, ImageInfo* info) {
  TM_RETURN_IF_ERROR(ensure_vips());
  const std::string name = path.string();
  std::error_code ec;
  if (!fs::exists(path, ec)) return not_found(name + ": no such file");
  if (!fs::is_regular_file(path, ec)) return invalid_argument(name + ": not a file");
  if (fs::file_size(path, ec) == 0) return corrupt(name + ": empty file (0 bytes)");

  const char* loader = vips_foreign_find_load(path.c_str());
  if (!loader) {
    vips_error_clear();
    return corrupt(name + ": not an image (unrecognised format)");
  }
  try {
    vips::VImage header = vips::VImage::new_from_file(path.c_str(), vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL));
    int64_t pixels = static_cast<int64_t>(header.width()) * header.height();
    if (pixels > options.max_pixels) {
      return corrupt(name + ": image too large (" + std::to_string(header.width()) + "x" +
                     std::to_string(header.height()) + " pixels, limit " + std::to_string(options.max_pixels) +
                     " pixels)");
    }
    if (info) {
      info->width = header.width();
      info->height = header.height();
      info->bands = header.bands();
      info->has_alpha = header.has_alpha();
      info->orientation = vips_image_get_orientation(header.get_image());
    }
    auto opts = vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL)->set("fail_on", VIPS_FAIL_ON_TRUNCATED);
    std::string loader_name = loader;
    if (options.min_long_side > 0 && loader_name.find("Jpeg") != std::string::npos) {
      int long_side = std::max(header.width(), header.height());
      int shrink = 1;
      while (shrink < 8 && long_side / (shrink * 2) >= options.min_long_side) shrink *= 2;
      if (shrink > 1) opts->set("shrink", shrink);
    }
    return vips::VImage::new_from_file(path.c_str(), opts);
  } catch (const vips::VError& e) {
    vips_error_clear();
    return vips_failure(name, e.what());
  }
}

Result<vips::VImage> open_image_buffer(std::string_view bytes, const std::string& name, const DecodeOptions& options) {
  TM_RETURN_IF_ERROR(ensure_vips());
  if (bytes.empty()) return corrupt(name + ": empty file (0 bytes)");
  const char* loader = vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  if (!loader) {
    vips_error_clear();
    return corrupt(name + ": not an image (unrecognised format)");
  }
  try {
    auto opts = vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL)->set("fail_on", VIPS_FAIL_ON_TRUNCATED);
    vips::VImage image = vips::VImage::new_from_buffer(bytes.data(), bytes.size(), "", opts);
    int64_t pixels = static_cast<int64_t>(image.width()) * image.height();
    if (pixels > options.max_pixels) {
      return corrupt(name + ": image too large (" + std::to_string(image.width()) + "x" +
                     std::to_string(image.height()) + " pixels, limit " + std::to_string(options.max_pixels) +
                     " pixels)");
    }
    return image;
  } catch (const vips::VError& e) {
    vips_error_clear();
    return vips_failure(name, e.what());
  }
}

Result<vips::VImage> to_rgb8(const vips::VImage& input, bool apply_orientation, const std::string& name) {
  try {
    vips::VImage image = input;
    if (apply_orientation) image = image.autorot();
    if (image.interpretation() != VIPS_INTERPRETATION_sRGB || image.format() != VIPS_FORMAT_UCHAR) {
      image = image.colourspace(VIPS_INTERPRETATION_sRGB);
    }
    if (image.has_alpha()) {
      image = image.flatten(vips::VImage::option()->set("background", std::vector<double>{255, 255, 255}));
    }
    if (image.bands() > 3) image = image.extract_band(0, vips::VImage::option()->set("n", 3));
    if (image.bands() == 1) image = image.bandjoin({image, image});
    if (image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_UCHAR);
    return image;
  } catch (const vips::VError& e) {
    vips_error_clear();
    return vips_failure(name, e.what());
  }
}

Status materialise_into(const vips::VImage& image, uint8_t* pixels, const std::string& name) {
  try {
    if (image.bands() != 3 || image.format() != VIPS_FORMAT_UCHAR)
      return internal_error(name + ": expected 3-band 8-bit image");
    // Written straight into the caller's buffer (write_to_memory would allocate its own and need a copy).
    const size_t size = static_cast<size_t>(image.width()) * image.height() * 3;
    vips::VImage target =
        vips::VImage::new_from_memory(pixels, size, image.width(), image.height(), 3, VIPS_FORMAT_UCHAR);
    image.write(target);
    return {};
  } catch (const vips::VError& e) {
    vips_error_clear();
    return vips_failure(name, e.what());
  }
}

Result<RgbImage> materialise(const vips::VImage& image, const std::string& name) {
  RgbImage out;
  out.width = image.width();
  out.height = image.height();
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
  TM_RETURN_IF_ERROR(materialise_into(image, out.pixels.data(), name));
  return out;
}

}  // namespace tagmetry::image_internal
