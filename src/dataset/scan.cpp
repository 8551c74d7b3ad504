#include <algorithm>
#include <unordered_set>

#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

const std::vector<std::string>& image_extensions() {
  static const std::vector<std::string> kExtensions{".jpg", ".jpeg", ".png", ".webp", ".avif",
                                                    ".gif", ".bmp",  ".tif", ".tiff", ".jfif"};
  return kExtensions;
}

bool has_image_extension(const fs::path& path) {
  std::string ext = to_lower_ascii(path.extension().string());
  const auto& all = image_extensions();
  return std::find(all.begin(), all.end(), ext) != all.end();
}

fs::path caption_path_for(const fs::path& image, std::string_view caption_extension) {
  fs::path p = image;
  p.replace_extension(fs::path(std::string(caption_extension)));
  return p;
}

namespace {

// "root/" as the directory iterator prefixes its entries (root / name adds no separator after one).
std::string entry_prefix(const fs::path& root) {
  std::string prefix = root.native();
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  return prefix;
}

// The path relative to root, as relative_generic() gives it, computed from the names alone for an
// entry the directory iterator produced under root (root / sub / name). Symbolic links keep the exact
// (resolving) relative_generic(), which a lexical answer would not match.
std::string entry_relpath(const fs::directory_entry& entry, const fs::path& root, const std::string& prefix) {
  std::error_code ec;
  const std::string& p = entry.path().native();
  if (entry.is_symlink(ec) || ec || prefix.empty() || p.size() <= prefix.size() || p.compare(0, prefix.size(), prefix) != 0)
    return relative_generic(entry.path(), root);
  return p.substr(prefix.size());
}

// path.extension() of a file name, lower-cased, without building paths: "" for ".hidden", "." and "..".
std::string lower_extension(std::string_view name) {
  if (name == "." || name == "..") return "";
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  return to_lower_ascii(name.substr(dot));
}

}  // namespace

// One directory listing pairs images with captions: every regular file's path goes into a set, so
// pairing needs no stat per image (the entries' types come with the listing on most file systems).
Result<Dataset> scan_dataset(const fs::path& root, const ScanOptions& options) {
  std::error_code ec;
  if (!fs::exists(root, ec)) return not_found(root.string() + ": no such folder");
  if (!fs::is_directory(root, ec)) return invalid_argument(root.string() + ": not a folder");
  Dataset ds;
  ds.root = root;
  std::vector<fs::path> captions;
  std::unordered_set<std::string> regular_files;  // native paths of every regular file listed
  std::unordered_set<std::string> image_stems;    // image path without extension, to find orphan captions
  const std::string caption_ext_lower = to_lower_ascii(options.caption_extension);
  // A caption extension with a separator points outside the image's folder: ask the file system.
  const bool listing_pairs = options.caption_extension.find('/') == std::string::npos;
  const std::string prefix = entry_prefix(root);
  const auto& image_exts = image_extensions();

  auto visit = [&](const fs::directory_entry& entry) {
    std::error_code fec;
    if (!entry.is_regular_file(fec)) return;
    const fs::path& p = entry.path();
    regular_files.insert(p.native());
    const std::string& full = p.native();
    std::string_view name = std::string_view(full).substr(full.rfind('/') == std::string::npos ? 0 : full.rfind('/') + 1);
    if (name.starts_with(".")) return;
    const std::string ext = lower_extension(name);
    if (std::find(image_exts.begin(), image_exts.end(), ext) != image_exts.end()) {
      DatasetItem item;
      item.image = p;
      item.relpath = entry_relpath(entry, root, prefix);
      item.caption = caption_path_for(p, options.caption_extension);
      fs::path stem = p;
      image_stems.insert(stem.replace_extension().native());
      ds.items.push_back(std::move(item));
    } else if (ext == caption_ext_lower) {
      captions.push_back(p);
    }
  };

  if (options.recursive) {
    auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) return io_error(root.string() + ": cannot list (" + ec.message() + ")");
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_directory() && it->path().filename().string().starts_with(".")) {
        it.disable_recursion_pending();
        continue;
      }
      visit(*it);
    }
  } else {
    auto it = fs::directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) return io_error(root.string() + ": cannot list (" + ec.message() + ")");
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      visit(*it);
    }
  }
  for (DatasetItem& item : ds.items) {
    std::error_code fec;
    item.has_caption = listing_pairs ? regular_files.count(item.caption.native()) > 0
                                     : fs::is_regular_file(item.caption, fec);
  }
  std::sort(ds.items.begin(), ds.items.end(),
            [](const DatasetItem& a, const DatasetItem& b) { return natural_less(a.relpath, b.relpath); });
  for (auto& c : captions) {
    fs::path stem = c;
    stem.replace_extension();
    // "img001_jp.txt" style side files belong to "img001": not orphans.
    std::string name = stem.filename().string();
    bool side_file = false;
    if (auto us = name.rfind('_'); us != std::string::npos) {
      const std::string& full = stem.native();
      side_file = image_stems.count(full.substr(0, full.size() - name.size()) + name.substr(0, us)) > 0;
    }
    if (!image_stems.count(stem.native()) && !side_file) ds.orphan_captions.push_back(c);
  }
  std::sort(ds.orphan_captions.begin(), ds.orphan_captions.end(),
            [](const fs::path& a, const fs::path& b) { return natural_less(a.string(), b.string()); });
  return ds;
}

}  // namespace tagmetry
