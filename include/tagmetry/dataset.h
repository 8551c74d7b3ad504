#pragma once
// A dataset folder: images and the caption files beside them (img001.png ↔ img001.txt), as kohya pairs
// them. Scanning is cheap (no decoding) and deterministic (natural sort of relative paths).

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

// Image extensions Tagmetry reads (lower case, with dot): .jpg .jpeg .png .webp .avif .gif .bmp .tif .tiff
const std::vector<std::string>& image_extensions();

// True when the file name has one of image_extensions() (case-insensitive).
bool has_image_extension(const std::filesystem::path& path);

struct ScanOptions {
  bool recursive = false;
  std::string caption_extension = ".txt";
  // Folders whose name starts with '.' (e.g. .tagmetry) are always skipped.
};

struct DatasetItem {
  std::filesystem::path image;    // absolute or as given + relative part
  std::string relpath;            // relative to the dataset root, '/' separators ("sub/img001.png")
  std::filesystem::path caption;  // image with its extension replaced by the caption extension
  bool has_caption = false;
};

struct Dataset {
  std::filesystem::path root;
  std::vector<DatasetItem> items;              // natural order of relpath
  std::vector<std::filesystem::path> orphan_captions;  // caption files with no image beside them
};

// Lists the images under `root` and pairs each with its caption file. Errors when root is not a
// readable folder. Unreadable subfolders are skipped.
Result<Dataset> scan_dataset(const std::filesystem::path& root, const ScanOptions& options = {});

// Returns the caption path for an image: same folder, same stem, `caption_extension`.
std::filesystem::path caption_path_for(const std::filesystem::path& image, std::string_view caption_extension);

// The caption extension of a dataset whose user named none, decided in this one place for every command
// (lint, stats, edit, export, simulate, tag): `fallback` (".txt") unless no image has a `fallback`
// caption and some have a ".caption" one (for fallback ".caption": the other way round); then that one.
struct CaptionExtensionChoice {
  std::string extension;   // the extension to use
  bool switched = false;   // the other extension was chosen (worth a note to the user)
  size_t captions = 0;     // images with a caption of `extension`
  std::string note;        // "using the 6 .caption captions (no image has a .txt caption); …" when switched
};
CaptionExtensionChoice detect_caption_extension(const std::filesystem::path& root, bool recursive,
                                                std::string_view fallback = ".txt");

// Images that pair with one caption file (a.png and a.jpg both with a.txt), found from their relative
// paths ('/' separators): one group per shared stem with at least two images, each group the indices
// into `relpaths` in their given order. The first image of a group keeps the caption; the others would
// read or overwrite it. Groups are in the order of their first image.
std::vector<std::vector<size_t>> caption_collisions(const std::vector<std::string>& relpaths);

// "a.png and a.jpg share the caption a.txt": a group of caption_collisions() in words.
std::string caption_collision_message(const std::vector<std::string>& relpaths, const std::vector<size_t>& group,
                                      std::string_view caption_extension);

}  // namespace tagmetry
