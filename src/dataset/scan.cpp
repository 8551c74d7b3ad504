#include <algorithm>
#include <set>

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

Result<Dataset> scan_dataset(const fs::path& root, const ScanOptions& options) {
  std::error_code ec;
  if (!fs::exists(root, ec)) return not_found(root.string() + ": no such folder");
  if (!fs::is_directory(root, ec)) return invalid_argument(root.string() + ": not a folder");
  Dataset ds;
  ds.root = root;
  std::vector<fs::path> captions;
  std::set<fs::path> image_stems;  // image path without extension, to find orphan captions

  auto visit = [&](const fs::directory_entry& entry) {
    std::error_code fec;
    if (!entry.is_regular_file(fec)) return;
    const fs::path& p = entry.path();
    if (p.filename().string().starts_with(".")) return;
    if (has_image_extension(p)) {
      DatasetItem item;
      item.image = p;
      item.relpath = relative_generic(p, root);
      item.caption = caption_path_for(p, options.caption_extension);
      item.has_caption = fs::is_regular_file(item.caption, fec);
      fs::path stem = p;
      image_stems.insert(stem.replace_extension());
      ds.items.push_back(std::move(item));
    } else if (to_lower_ascii(p.extension().string()) == to_lower_ascii(options.caption_extension)) {
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
  std::sort(ds.items.begin(), ds.items.end(),
            [](const DatasetItem& a, const DatasetItem& b) { return natural_less(a.relpath, b.relpath); });
  for (auto& c : captions) {
    fs::path stem = c;
    stem.replace_extension();
    // "img001_jp.txt" style side files belong to "img001": not orphans.
    std::string name = stem.filename().string();
    bool side_file = false;
    if (auto us = name.rfind('_'); us != std::string::npos) {
      side_file = image_stems.count(stem.parent_path() / name.substr(0, us)) > 0;
    }
    if (!image_stems.count(stem) && !side_file) ds.orphan_captions.push_back(c);
  }
  std::sort(ds.orphan_captions.begin(), ds.orphan_captions.end(),
            [](const fs::path& a, const fs::path& b) { return natural_less(a.string(), b.string()); });
  return ds;
}

}  // namespace tagmetry
