#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
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
  std::vector<std::string> captions;
  std::unordered_set<std::string> regular_files;  // native paths of every regular file listed
  std::unordered_set<std::string> image_stems;    // image path without extension, to find orphan captions
  const std::string caption_ext_lower = to_lower_ascii(options.caption_extension);
  // A caption extension with a separator points outside the image's folder: ask the file system.
  const bool listing_pairs = options.caption_extension.find('/') == std::string::npos;
  const std::string prefix = entry_prefix(root);
  const auto& image_exts = image_extensions();

  // One listed entry: its path (root / … / name), whether it is a regular file (links followed) and
  // whether it is itself a symbolic link.
  // Only names ending with the caption suffix can be a caption ("img.png" → "img" + ".txt"), so with a
  // ".ext" caption extension the set holds just those.
  const size_t last_dot = options.caption_extension.rfind('.');
  const std::string caption_suffix =
      options.caption_extension.starts_with(".") ? options.caption_extension.substr(last_dot) : std::string();
  auto visit = [&](std::string full, bool regular, bool symlink) {
    if (!regular) return;
    if (caption_suffix.empty() || full.ends_with(caption_suffix)) regular_files.insert(full);
    size_t slash = full.rfind('/');
    std::string_view name = std::string_view(full).substr(slash == std::string::npos ? 0 : slash + 1);
    if (name.starts_with(".")) return;
    const std::string ext = lower_extension(name);
    if (std::find(image_exts.begin(), image_exts.end(), ext) != image_exts.end()) {
      DatasetItem item;
      // relative_generic()'s answer from the names alone (the entry is root / … / name); a symbolic
      // link keeps the resolving relative_generic(), which a lexical answer would not match.
      if (symlink || full.size() <= prefix.size() || full.compare(0, prefix.size(), prefix) != 0)
        item.relpath = relative_generic(fs::path(full), root);
      else
        item.relpath = full.substr(prefix.size());
      image_stems.insert(full.substr(0, full.size() - ext.size()));
      item.image = fs::path(std::move(full));
      item.caption = caption_path_for(item.image, options.caption_extension);
      ds.items.push_back(std::move(item));
    } else if (ext == caption_ext_lower) {
      captions.push_back(std::move(full));
    }
  };
  auto visit_entry = [&](const fs::directory_entry& entry) {
    std::error_code fec, lec;
    bool regular = entry.is_regular_file(fec);
    bool symlink = entry.is_symlink(lec) || bool(lec);
    visit(entry.path().native(), regular, symlink);
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
      visit_entry(*it);
    }
  } else {
    // One folder: readdir directly (the entry types come with the names; a stat only for links and
    // file systems that do not report types), as directory_iterator would list it.
    DIR* dir = ::opendir(root.c_str());
    if (!dir) {
      int err = errno;
      if (err != EACCES)
        return io_error(root.string() + ": cannot list (" + std::error_code(err, std::generic_category()).message() + ")");
    } else {
      // Names first, then the containers sized once (growing them while small strings are freed
      // makes glibc consolidate its free lists again and again).
      std::vector<std::pair<std::string, unsigned char>> entries;
      while (dirent* e = ::readdir(dir)) {
        std::string_view name = e->d_name;
        if (name == "." || name == "..") continue;
        entries.emplace_back(prefix + std::string(name), e->d_type);
      }
      ds.items.reserve(entries.size() / 2 + 16);
      captions.reserve(entries.size() / 2 + 16);
      regular_files.reserve(entries.size() / 2 + 16);
      image_stems.reserve(entries.size() / 2 + 16);
      for (auto& [full, type] : entries) {
        std::error_code fec;
        bool regular = false, symlink = false;
        if (type == DT_REG) {
          regular = true;
        } else if (type == DT_LNK) {
          symlink = true;
          regular = fs::is_regular_file(fs::path(full), fec);
        } else if (type == DT_UNKNOWN) {
          fs::file_status st = fs::symlink_status(fs::path(full), fec);
          symlink = fs::is_symlink(st);
          regular = symlink ? fs::is_regular_file(fs::path(full), fec) : fs::is_regular_file(st);
        }
        visit(std::move(full), regular, symlink);
      }
      ::closedir(dir);
    }
  }
  for (DatasetItem& item : ds.items) {
    std::error_code fec;
    item.has_caption = listing_pairs ? regular_files.count(item.caption.native()) > 0
                                     : fs::is_regular_file(item.caption, fec);
  }
  std::sort(ds.items.begin(), ds.items.end(),
            [](const DatasetItem& a, const DatasetItem& b) { return natural_less(a.relpath, b.relpath); });
  for (const std::string& c : captions) {
    size_t slash = c.rfind('/');
    std::string_view cname = std::string_view(c).substr(slash == std::string::npos ? 0 : slash + 1);
    std::string stem = c.substr(0, c.size() - lower_extension(cname).size());
    // "img001_jp.txt" style side files belong to "img001": not orphans.
    std::string_view name = std::string_view(stem).substr(slash == std::string::npos ? 0 : slash + 1);
    bool side_file = false;
    if (auto us = name.rfind('_'); us != std::string::npos)
      side_file = image_stems.count(stem.substr(0, stem.size() - name.size() + us)) > 0;
    if (!image_stems.count(stem) && !side_file) ds.orphan_captions.emplace_back(c);
  }
  std::sort(ds.orphan_captions.begin(), ds.orphan_captions.end(),
            [](const fs::path& a, const fs::path& b) { return natural_less(a.string(), b.string()); });
  return ds;
}

}  // namespace tagmetry
