#pragma once
// For the library's modules, not the tools (dataset module; used by stats): the folder listing behind
// scan_dataset(), in a light form for passes that open every file (names and folder prefixes, no
// filesystem::path per item).

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/dataset.h"
#include "tagmetry/status.h"

namespace tagmetry::dataset_internal {

struct ListedImage {
  std::string relpath;       // as DatasetItem::relpath
  std::string name;          // file name inside its folder
  std::string caption_name;  // caption file name inside the same folder ("" when the caption extension
                             // points elsewhere: then ask caption_path_for on the full path)
  uint32_t folder = 0;       // index into DatasetListing::folders
  bool has_caption = false;  // as DatasetItem::has_caption
  bool other_caption = false;  // a regular file (links followed) named like the caption with `other_extension`
};

struct DatasetListing {
  // Native folder prefixes with their trailing '/': an image's path is folders[folder] + name, spelled
  // exactly as scan_dataset() spells DatasetItem::image.
  std::vector<std::string> folders;
  std::vector<ListedImage> images;           // natural order of relpath
  std::vector<std::string> orphan_captions;  // native paths, natural order
};

// Lists `root` as scan_dataset() does (same items, pairing, order and orphans; images whose relative
// paths are equal, links resolved to one file, in order of their listed paths). `other_extension`
// (e.g. ".caption" when captions are ".txt"; "" for none) fills ListedImage::other_caption from the
// same listing.
Result<DatasetListing> list_dataset(const std::filesystem::path& root, const ScanOptions& options,
                                    std::string_view other_extension);

// The image's full native path.
inline std::string full_path(const DatasetListing& l, const ListedImage& im) { return l.folders[im.folder] + im.name; }

}  // namespace tagmetry::dataset_internal
