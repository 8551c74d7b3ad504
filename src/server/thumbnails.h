#pragma once
// Private to the server: gallery thumbnails, made with libvips on demand (JPEG shrink-on-load, EXIF
// orientation, alpha on white, longest side `size`) and cached as JPEG files under
// DATASET/.tagmetry/thumbs/ (a cached file is used while it is newer than the image).

#include <filesystem>
#include <string>

#include "tagmetry/status.h"

namespace tagmetry::server {

// Returns the JPEG bytes of the thumbnail of `image` (`relpath` names it in errors and in the cache key).
// Errors: the image cannot be decoded (kCorrupt, naming it), too many pixels.
Result<std::string> thumbnail_jpeg(const std::filesystem::path& image, const std::string& relpath, int size,
                                   const std::filesystem::path& cache_dir);

}  // namespace tagmetry::server
