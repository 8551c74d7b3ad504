#pragma once
// Whether a trainer can open each image of a dataset: a full decode of every file (what kohya's Pillow
// does while caching latents), remembered per file so that a second run decodes only what changed.
// Shared by `lint` (unreadable-image) and `export kohya` (which skips what fails).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

struct DatasetCorpus;

// Decodes the whole image. Errors name the file and the problem (not an image, empty, truncated,
// corrupt data). The one place that chooses the decoder call used for this check. Thread-safe.
Status check_image_decodes(const std::filesystem::path& path);

struct ImageCheckOptions {
  // Results of earlier checks, keyed by relative path + byte size + modification time. "" = no cache.
  // A cache that cannot be read or written (read-only dataset) is ignored: every image is decoded.
  std::filesystem::path cache_file;
  int threads = 0;  // 0: one per core
};

// The cache file of a dataset: DATASET/.tagmetry/decode-check.tsv.
std::filesystem::path image_check_cache_path(const std::filesystem::path& dataset_root);

struct ImageCheckResult {
  std::vector<std::string> errors;  // one per image, "" when it decodes
  size_t decoded = 0;               // images decoded in this call
  size_t cached = 0;                // images answered from the cache (unchanged since it was written)
  std::string cache_note;           // why the cache was not used or not saved ("" when it was)
};

// Checks `images` (paths as given; `keys` are their relative paths, the cache key, one per image) with
// check_image_decodes, in parallel, skipping files whose size and modification time match the cache.
// Rewrites the cache (atomically) when anything was decoded or dropped.
ImageCheckResult check_images_decode(const std::vector<std::filesystem::path>& images,
                                     const std::vector<std::string>& keys, const ImageCheckOptions& options);

// Checks every image of `corpus` whose header was readable, with the cache in the dataset's .tagmetry
// folder when `use_cache`, and records each failure as the item's image_error (lint's unreadable-image).
ImageCheckResult check_corpus_images(DatasetCorpus& corpus, bool use_cache, int threads = 0);

}  // namespace tagmetry
