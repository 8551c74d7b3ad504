#include "tagmetry/vips_image.h"

#include <mutex>

#include "tagmetry/strings.h"

namespace tagmetry::image_internal {
namespace fs = std::filesystem;

namespace {
// How strict a decode is. libjpeg reports corrupt entropy-coded data only as a warning ("Corrupt JPEG
// data: premature end of data segment") and fills the rest of the image with grey, so JPEGs fail on
// warnings: Pillow, and so kohya, refuse such a file. Other loaders fail on errors (libpng warns about
// harmless things such as a known incorrect sRGB profile).
VipsFailOn fail_on_for(std::string_view loader) {
  return loader.find("Jpeg") != std::string_view::npos ? VIPS_FAIL_ON_WARNING : VIPS_FAIL_ON_ERROR;
}

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
  if (auto at = lower.find("corrupt jpeg data: "); at != std::string::npos)
    return "corrupt JPEG data (" + line.substr(at + 19) + ")";
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

namespace {

Status too_large(const std::string& name, const vips::VImage& header, const DecodeOptions& options) {
  return corrupt(name + ": image too large (" + std::to_string(header.width()) + "x" + std::to_string(header.height()) +
                 " pixels, limit " + std::to_string(options.max_pixels) + " pixels)");
}

// The load options for an image whose header is `header`. Access is sequential (rows decoded once, top to
// bottom, in little memory) unless the EXIF orientation will be applied: autorot reads rows out of order,
// which a sequential JPEG or PNG load refuses ("out of order read") once the image outgrows libvips's
// line cache, so rotated images are opened for random access. JPEGs are shrunk on load (DCT scaling)
// while the longer side stays >= options.min_long_side, rotated or not.
vips::VOption* load_options(const vips::VImage& header, const char* loader, const DecodeOptions& options) {
  const int orientation = vips_image_get_orientation(header.get_image());
  const bool rotate = options.apply_orientation && orientation != 1;
  auto* opts = vips::VImage::option()
                   ->set("access", rotate ? VIPS_ACCESS_RANDOM : VIPS_ACCESS_SEQUENTIAL)
                   ->set("fail_on", fail_on_for(loader));
  if (options.min_long_side > 0 && std::string_view(loader).find("Jpeg") != std::string_view::npos) {
    int long_side = std::max(header.width(), header.height());
    int shrink = 1;
    while (shrink < 8 && long_side / (shrink * 2) >= options.min_long_side) shrink *= 2;
    if (shrink > 1) opts->set("shrink", shrink);
  }
  return opts;
}

void fill_info(const vips::VImage& header, ImageInfo* info) {
  if (!info) return;
  info->width = header.width();
  info->height = header.height();
  info->bands = header.bands();
  info->has_alpha = header.has_alpha();
  info->orientation = vips_image_get_orientation(header.get_image());
}

}  // namespace

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
    if (static_cast<int64_t>(header.width()) * header.height() > options.max_pixels)
      return too_large(name, header, options);
    fill_info(header, info);
    return vips::VImage::new_from_file(path.c_str(), load_options(header, loader, options));
  } catch (const vips::VError& e) {
    vips_error_clear();
    return vips_failure(name, e.what());
  }
}

Result<vips::VImage> open_image_buffer(std::string_view bytes, const std::string& name, const DecodeOptions& options,
                                       ImageInfo* info) {
  TM_RETURN_IF_ERROR(ensure_vips());
  if (bytes.empty()) return corrupt(name + ": empty file (0 bytes)");
  const char* loader = vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  if (!loader) {
    vips_error_clear();
    return corrupt(name + ": not an image (unrecognised format)");
  }
  try {
    // Headers only: cheap, and the same bytes are parsed again by the load that decodes.
    vips::VImage header = vips::VImage::new_from_buffer(bytes.data(), bytes.size(), "",
                                                        vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL));
    if (static_cast<int64_t>(header.width()) * header.height() > options.max_pixels)
      return too_large(name, header, options);
    fill_info(header, info);
    return vips::VImage::new_from_buffer(bytes.data(), bytes.size(), "", load_options(header, loader, options));
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
