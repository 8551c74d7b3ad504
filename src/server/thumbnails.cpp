#include "thumbnails.h"

#include "tagmetry/vips_image.h"
#include "dataset_index.h"
#include "tagmetry/files.h"

namespace tagmetry::server {
namespace fs = std::filesystem;
using namespace image_internal;

namespace {
std::string cache_name(const std::string& relpath, int size) {
  return hex64(fnv1a_64(relpath)) + "-" + std::to_string(size) + ".jpg";
}
}  // namespace

Result<std::string> thumbnail_jpeg(const fs::path& image, const std::string& relpath, int size, const fs::path& cache_dir) {
  fs::path cached = cache_dir / cache_name(relpath, size);
  std::error_code ec, ec2;
  auto image_time = fs::last_write_time(image, ec);
  auto cached_time = fs::last_write_time(cached, ec2);
  if (!ec && !ec2 && cached_time >= image_time) {
    auto bytes = read_file(cached);
    if (bytes.ok() && !bytes->empty()) return bytes;
  }
  TM_RETURN_IF_ERROR(ensure_vips());
  DecodeOptions options;
  options.min_long_side = size;
  TM_ASSIGN_OR_RETURN(vips::VImage opened, open_image(image, options));
  TM_ASSIGN_OR_RETURN(vips::VImage rgb, to_rgb8(opened, /*apply_orientation=*/true, relpath));
  std::string out;
  try {
    vips::VImage thumb = rgb;
    if (rgb.width() > size || rgb.height() > size)
      thumb = rgb.thumbnail_image(size, vips::VImage::option()->set("height", size));
    void* buf = nullptr;
    size_t len = 0;
    thumb.write_to_buffer(".jpg", &buf, &len, vips::VImage::option()->set("Q", 82)->set("strip", true));
    out.assign(static_cast<const char*>(buf), len);
    g_free(buf);
  } catch (const vips::VError& e) {
    vips_error_clear();
    return vips_failure(relpath, e.what());
  }
  fs::create_directories(cache_dir, ec);
  if (!ec) (void)write_file_atomic(cached, out);  // a cache: failing to store it is not an error
  return out;
}

}  // namespace tagmetry::server
