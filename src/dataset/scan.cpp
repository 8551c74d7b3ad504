#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <cstring>

#include "listing.h"
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

namespace dataset_internal {
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

// The length of an image extension ending `name` (case-insensitive), or 0 when it has none.
size_t image_extension_length(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || name.size() - dot > 5) return 0;
  char ext[6];
  size_t n = name.size() - dot;
  for (size_t i = 0; i < n; ++i) {
    char c = name[dot + i];
    ext[i] = c >= 'A' && c <= 'Z' ? char(c + 32) : c;
  }
  std::string_view e(ext, n);
  for (const std::string& known : image_extensions())
    if (e == known) return n;
  return 0;
}

// The listed entries of one folder: names in one buffer, whether each is a regular file (links
// followed) and whether it is a symbolic link.
struct FolderEntries {
  std::string prefix;  // native folder path with its trailing '/'
  std::string names;
  struct Entry {
    uint32_t offset = 0, length = 0;
    bool regular = false, symlink = false;
  };
  std::vector<Entry> entries;
  void add(std::string_view name, bool regular, bool symlink) {
    entries.push_back({uint32_t(names.size()), uint32_t(name.size()), regular, symlink});
    names += name;
  }
  std::string_view name(const Entry& e) const { return std::string_view(names).substr(e.offset, e.length); }
};

// A set of names (views into a folder's listing): open addressing with a power-of-two table, the hash
// kept beside each view. Much cheaper than a node-based set for the 100,000s of names of a big folder.
class NameSet {
 public:
  void reserve(size_t n) {
    size_t size = 16;
    while (size < n * 2) size *= 2;
    slots_.assign(size, Slot{});
    count_ = 0;
  }
  void insert(std::string_view name) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    const uint64_t h = hash(name);
    size_t k = find_slot(name, h);
    if (slots_[k].data) return;
    slots_[k] = Slot{h, name.data(), uint32_t(name.size())};
    ++count_;
  }
  bool contains(std::string_view name) const {
    if (count_ == 0) return false;
    return slots_[find_slot(name, hash(name))].data != nullptr;
  }
  bool empty() const { return count_ == 0; }

 private:
  struct Slot {
    uint64_t hash = 0;
    const char* data = nullptr;
    uint32_t size = 0;
  };
  static uint64_t hash(std::string_view s) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      h = (h ^ w) * 0xff51afd7ed558ccdull;
      h ^= h >> 32;
    }
    for (; i < s.size(); ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001b3ull;
    h ^= h >> 29;
    return h * 0xc4ceb9fe1a85ec53ull;
  }
  size_t find_slot(std::string_view name, uint64_t h) const {
    const size_t mask = slots_.size() - 1;
    for (size_t k = size_t(h >> 20) & mask;; k = (k + 1) & mask) {
      const Slot& s = slots_[k];
      if (!s.data) return k;
      if (s.hash == h && s.size == name.size() && std::memcmp(s.data, name.data(), name.size()) == 0) return k;
    }
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(std::max<size_t>(16, old.size() * 2), Slot{});
    for (const Slot& s : old)
      if (s.data) slots_[find_slot(std::string_view(s.data, s.size), s.hash)] = s;
  }
  std::vector<Slot> slots_;
  size_t count_ = 0;
};

// The caption file name of an image: its extension replaced as path::replace_extension does.
std::string caption_name_for(std::string_view name, size_t image_ext_length, std::string_view ext) {
  std::string out(name.substr(0, name.size() - image_ext_length));
  if (!ext.empty() && ext[0] != '.') out += '.';
  out += ext;
  return out;
}

// Pairs one folder's images with their captions and finds its orphan captions.
void pair_folder(const FolderEntries& f, uint32_t folder, const fs::path& root, const std::string& root_prefix,
                 const ScanOptions& options, std::string_view other_ext, DatasetListing& out) {
  const std::string& cap_ext = options.caption_extension;
  const std::string cap_ext_lower = to_lower_ascii(cap_ext);
  // A caption extension with a separator points outside the image's folder: ask the file system.
  const bool listing_pairs = cap_ext.find('/') == std::string::npos;
  NameSet caption_names, other_names, image_stems;
  caption_names.reserve(f.entries.size() / 2 + 16);
  image_stems.reserve(f.entries.size() / 2 + 16);
  std::vector<std::string_view> captions;
  captions.reserve(f.entries.size() / 2 + 16);
  const bool lexical = f.prefix.size() >= root_prefix.size() && f.prefix.compare(0, root_prefix.size(), root_prefix) == 0;
  const std::string relprefix = lexical ? f.prefix.substr(root_prefix.size()) : std::string();
  const size_t first_image = out.images.size();
  for (const auto& e : f.entries) {
    if (!e.regular) continue;
    std::string_view name = f.name(e);
    if (name.ends_with(cap_ext)) caption_names.insert(name);
    if (!other_ext.empty() && name.ends_with(other_ext)) other_names.insert(name);
    if (name.starts_with(".")) continue;
    if (size_t ext_len = image_extension_length(name)) {
      ListedImage im;
      im.folder = folder;
      im.name = std::string(name);
      // relative_generic()'s answer from the names alone (the entry is root / … / name); a symbolic
      // link keeps the resolving relative_generic(), which a lexical answer would not match.
      if (e.symlink || !lexical)
        im.relpath = relative_generic(fs::path(f.prefix + im.name), root);
      else
        im.relpath = relprefix + im.name;
      image_stems.insert(name.substr(0, name.size() - ext_len));
      if (listing_pairs) im.caption_name = caption_name_for(name, ext_len, cap_ext);
      out.images.push_back(std::move(im));
    } else if (lower_extension(name) == cap_ext_lower) {
      captions.push_back(name);
    }
  }
  for (size_t i = first_image; i < out.images.size(); ++i) {
    ListedImage& im = out.images[i];
    std::error_code ec;
    if (listing_pairs) {
      im.has_caption = caption_names.contains(im.caption_name);
    } else {
      im.has_caption = fs::is_regular_file(caption_path_for(fs::path(f.prefix + im.name), cap_ext), ec);
    }
    if (!other_names.empty()) {
      size_t ext_len = image_extension_length(im.name);
      im.other_caption = other_names.contains(caption_name_for(im.name, ext_len, other_ext));
    }
  }
  for (std::string_view c : captions) {
    std::string_view stem = c.substr(0, c.size() - lower_extension(c).size());
    // "img001_jp.txt" style side files belong to "img001": not orphans.
    bool side_file = false;
    if (auto us = stem.rfind('_'); us != std::string_view::npos) side_file = image_stems.contains(stem.substr(0, us));
    if (!image_stems.contains(stem) && !side_file) out.orphan_captions.push_back(f.prefix + std::string(c));
  }
}

}  // namespace

// One directory listing per folder pairs images with captions: the entries' types come with the listing
// on most file systems, so pairing needs no stat per image.
Result<DatasetListing> list_dataset(const fs::path& root, const ScanOptions& options, std::string_view other_ext) {
  std::error_code ec;
  if (!fs::exists(root, ec)) return not_found(root.string() + ": no such folder");
  if (!fs::is_directory(root, ec)) return invalid_argument(root.string() + ": not a folder");
  DatasetListing out;
  const std::string root_prefix = entry_prefix(root);
  std::vector<FolderEntries> folders;

  if (options.recursive) {
    std::unordered_map<std::string, size_t> index;  // folder prefix → folders[]
    auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) return io_error(root.string() + ": cannot list (" + ec.message() + ")");
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_directory() && it->path().filename().string().starts_with(".")) {
        it.disable_recursion_pending();
        continue;
      }
      std::error_code fec, lec;
      bool regular = it->is_regular_file(fec);
      bool symlink = it->is_symlink(lec) || bool(lec);
      if (!regular) continue;
      const std::string& full = it->path().native();
      size_t slash = full.rfind('/');
      std::string prefix = slash == std::string::npos ? std::string() : full.substr(0, slash + 1);
      auto [pos, inserted] = index.try_emplace(prefix, folders.size());
      if (inserted) folders.emplace_back().prefix = std::move(prefix);
      folders[pos->second].add(std::string_view(full).substr(slash == std::string::npos ? 0 : slash + 1), regular, symlink);
    }
  } else {
    // One folder: readdir directly (a stat only for links and file systems that do not report types),
    // as directory_iterator would list it.
    DIR* dir = ::opendir(root.c_str());
    if (!dir) {
      int err = errno;
      if (err != EACCES)
        return io_error(root.string() + ": cannot list (" + std::error_code(err, std::generic_category()).message() + ")");
    } else {
      FolderEntries& f = folders.emplace_back();
      f.prefix = root_prefix;
      while (dirent* e = ::readdir(dir)) {
        std::string_view name = e->d_name;
        if (name == "." || name == "..") continue;
        bool regular = false, symlink = false;
        if (e->d_type == DT_REG) {
          regular = true;
        } else if (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN) {
          std::error_code fec;
          fs::path full(root_prefix + std::string(name));
          fs::file_status st = fs::symlink_status(full, fec);
          symlink = fs::is_symlink(st);
          regular = symlink ? fs::is_regular_file(full, fec) : fs::is_regular_file(st);
        }
        if (regular) f.add(name, regular, symlink);
      }
      ::closedir(dir);
    }
  }
  size_t total = 0;
  for (auto& f : folders) total += f.entries.size();
  out.images.reserve(total / 2 + 16);
  for (uint32_t i = 0; i < folders.size(); ++i) {
    out.folders.push_back(folders[i].prefix);
    pair_folder(folders[i], i, root, root_prefix, options, other_ext, out);
  }
  // Natural order; large listings sort in two halves on two threads, then merge.
  auto by_relpath = [](const ListedImage& a, const ListedImage& b) { return natural_less(a.relpath, b.relpath); };
  if (out.images.size() >= 8192 && std::thread::hardware_concurrency() > 1) {
    auto mid = out.images.begin() + long(out.images.size() / 2);
    std::thread first([&] { std::sort(out.images.begin(), mid, by_relpath); });
    std::sort(mid, out.images.end(), by_relpath);
    first.join();
    std::inplace_merge(out.images.begin(), mid, out.images.end(), by_relpath);
  } else {
    std::sort(out.images.begin(), out.images.end(), by_relpath);
  }
  std::sort(out.orphan_captions.begin(), out.orphan_captions.end(),
            [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  return out;
}

}  // namespace dataset_internal

Result<Dataset> scan_dataset(const fs::path& root, const ScanOptions& options) {
  TM_ASSIGN_OR_RETURN(dataset_internal::DatasetListing listing, dataset_internal::list_dataset(root, options, ""));
  Dataset ds;
  ds.root = root;
  ds.items.reserve(listing.images.size());
  for (auto& im : listing.images) {
    DatasetItem item;
    item.image = fs::path(listing.folders[im.folder] + im.name);
    item.relpath = std::move(im.relpath);
    item.caption = caption_path_for(item.image, options.caption_extension);
    item.has_caption = im.has_caption;
    ds.items.push_back(std::move(item));
  }
  ds.orphan_captions.reserve(listing.orphan_captions.size());
  for (auto& o : listing.orphan_captions) ds.orphan_captions.emplace_back(std::move(o));
  return ds;
}

}  // namespace tagmetry
